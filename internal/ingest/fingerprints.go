package ingest

import (
	"encoding/json"
	"net/netip"
	"strconv"

	"github.com/decnet/decnet/internal/model"
)

// Services whose events are about a remote host rather than a decky's
// visitor: the passive TLS sniffer and the active prober.
const (
	serviceSniffer = "sniffer"
	serviceProber  = "prober"
)

// field returns fields[k] capped to n bytes.
func field(f map[string]string, k string, n int) string {
	return capString(f[k], n)
}

type vncVersionPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Value           string `json:"value"`
}

type ja3Payload struct {
	FingerprintType string `json:"fingerprint_type"`
	JA3             string `json:"ja3"`
	JA3S            string `json:"ja3s,omitempty"`
	JA4             string `json:"ja4,omitempty"`
	JA4S            string `json:"ja4s,omitempty"`
	TLSVersion      string `json:"tls_version,omitempty"`
	SNI             string `json:"sni,omitempty"`
	ALPN            string `json:"alpn,omitempty"`
	DstPort         string `json:"dst_port,omitempty"`
	RawCiphers      string `json:"raw_ciphers,omitempty"`
	RawExtensions   string `json:"raw_extensions,omitempty"`
}

type ja4lPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	RTTMs           string `json:"rtt_ms"`
	ClientTTL       string `json:"client_ttl,omitempty"`
}

type tlsResumptionPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Mechanisms      string `json:"mechanisms"`
}

// tlsCertificatePayload serves both the sniffer's passive certificate and
// the prober's active one; the prober adds the target and the cert hash.
type tlsCertificatePayload struct {
	FingerprintType string `json:"fingerprint_type"`
	SubjectCN       string `json:"subject_cn"`
	Issuer          string `json:"issuer,omitempty"`
	SelfSigned      string `json:"self_signed,omitempty"`
	NotBefore       string `json:"not_before,omitempty"`
	NotAfter        string `json:"not_after,omitempty"`
	SANs            string `json:"sans,omitempty"`
	SNI             string `json:"sni,omitempty"`
	CertSHA256      string `json:"cert_sha256,omitempty"`
	TargetIP        string `json:"target_ip,omitempty"`
	TargetPort      string `json:"target_port,omitempty"`
}

type jarmPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Hash            string `json:"hash"`
	TargetIP        string `json:"target_ip"`
	TargetPort      string `json:"target_port"`
}

type hasshServerPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Hash            string `json:"hash"`
	TargetIP        string `json:"target_ip"`
	TargetPort      string `json:"target_port"`
	SSHBanner       string `json:"ssh_banner,omitempty"`
	KexAlgorithms   string `json:"kex_algorithms,omitempty"`
	EncryptionS2C   string `json:"encryption_s2c,omitempty"`
	MACS2C          string `json:"mac_s2c,omitempty"`
	CompressionS2C  string `json:"compression_s2c,omitempty"`
}

type tcpfpPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Hash            string `json:"hash"`
	Raw             string `json:"raw,omitempty"`
	TargetIP        string `json:"target_ip"`
	TargetPort      string `json:"target_port"`
	TTL             string `json:"ttl,omitempty"`
	WindowSize      string `json:"window_size,omitempty"`
	DFBit           string `json:"df_bit,omitempty"`
	MSS             string `json:"mss,omitempty"`
	WindowScale     string `json:"window_scale,omitempty"`
	SackOK          string `json:"sack_ok,omitempty"`
	Timestamp       string `json:"timestamp,omitempty"`
	OptionsOrder    string `json:"options_order,omitempty"`
}

// icmpErrorResult is how the target answered one deliberately bad probe.
type icmpErrorResult struct {
	Returned bool   `json:"returned"`
	RTTMs    string `json:"rtt_ms,omitempty"`
	SrcIP    string `json:"src_ip,omitempty"`
}

type icmpErrors struct {
	PortUnreachable icmpErrorResult `json:"port_unreachable"`
	TimeExceeded    icmpErrorResult `json:"time_exceeded"`
	FragNeeded      icmpErrorResult `json:"frag_needed"`
	ParamProblem    icmpErrorResult `json:"param_problem"`
}

type icmp6Errors struct {
	PortUnreachable   icmpErrorResult `json:"port_unreachable_v6"`
	HopLimitExceeded  icmpErrorResult `json:"hop_limit_exceeded"`
	UnknownNextHeader icmpErrorResult `json:"unknown_next_header"`
	BadDestOption     icmpErrorResult `json:"bad_dest_option"`
}

type icmpPayload struct {
	FingerprintType string     `json:"fingerprint_type"`
	Matrix          string     `json:"matrix"`
	FPHash          string     `json:"fp_hash"`
	TargetIP        string     `json:"target_ip"`
	Errors          icmpErrors `json:"errors"`
}

type icmp6Payload struct {
	FingerprintType string      `json:"fingerprint_type"`
	Matrix          string      `json:"matrix"`
	FPHash          string      `json:"fp_hash"`
	TargetIP        string      `json:"target_ip"`
	Errors          icmp6Errors `json:"errors"`
}

// ja4hPayload identifies an HTTP client by JA4H. The request path and the
// client port are left out on purpose: they change per request and
// connection, and the bounty table deduplicates on the whole payload.
type ja4hPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	JA4H            string `json:"ja4h"`
	Protocol        string `json:"protocol,omitempty"`
	Method          string `json:"method,omitempty"`
}

// httpSettingsPayload is an HTTP/2 or HTTP/3 SETTINGS fingerprint; as with
// JA4H, the per-connection client port is not part of the identity.
type httpSettingsPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	Settings        string `json:"settings"`
	FrameOrder      string `json:"frame_order,omitempty"`
	Protocol        string `json:"protocol"`
}

type ja4QUICPayload struct {
	FingerprintType string `json:"fingerprint_type"`
	JA4QUIC         string `json:"ja4_quic"`
	SNI             string `json:"sni,omitempty"`
	ALPN            string `json:"alpn,omitempty"`
	RawCiphers      string `json:"raw_ciphers,omitempty"`
}

type fileArtifactPayload struct {
	Kind        string `json:"kind"`
	StoredAs    string `json:"stored_as"`
	SHA256      string `json:"sha256,omitempty"`
	Size        string `json:"size,omitempty"`
	OrigPath    string `json:"orig_path,omitempty"`
	Attribution string `json:"attribution,omitempty"`
	WriterComm  string `json:"writer_comm,omitempty"`
}

// mailAttachment is one attachment listed by the SMTP relay.
type mailAttachment struct {
	Filename       string `json:"filename"`
	ContentType    string `json:"content_type"`
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	MacroIndicator bool   `json:"macro_indicator"`
	Encrypted      bool   `json:"encrypted"`
}

type mailArtifactPayload struct {
	Kind            string           `json:"kind"`
	StoredAs        string           `json:"stored_as"`
	SHA256          string           `json:"sha256,omitempty"`
	Size            string           `json:"size,omitempty"`
	MsgID           string           `json:"msg_id,omitempty"`
	Subject         string           `json:"subject,omitempty"`
	FromHdr         string           `json:"from_hdr,omitempty"`
	ToHdr           string           `json:"to_hdr,omitempty"`
	MailFrom        string           `json:"mail_from,omitempty"`
	RcptTo          string           `json:"rcpt_to,omitempty"`
	ContentType     string           `json:"content_type,omitempty"`
	AttachmentCount string           `json:"attachment_count,omitempty"`
	Attachments     []mailAttachment `json:"attachments,omitempty"`
}

// maxAttachments bounds the attachment list copied from attachments_json.
const maxAttachments = 64

// parseAttachments decodes attachments_json. Malformed input yields nil:
// the list is a convenience, the .eml on disk is the evidence.
func parseAttachments(raw string) []mailAttachment {
	if raw == "" || len(raw) > maxHeadersJSON {
		return nil
	}
	var in []struct {
		Filename       any `json:"filename"`
		ContentType    any `json:"content_type"`
		Size           any `json:"size"`
		SHA256         any `json:"sha256"`
		MacroIndicator any `json:"macro_indicator"`
		Encrypted      any `json:"encrypted"`
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil
	}
	if len(in) > maxAttachments {
		in = in[:maxAttachments]
	}
	out := make([]mailAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, mailAttachment{
			Filename:       capString(asString(a.Filename), maxShort),
			ContentType:    capString(asString(a.ContentType), maxShort),
			Size:           asInt(a.Size),
			SHA256:         capString(asString(a.SHA256), 128),
			MacroIndicator: asBool(a.MacroIndicator),
			Encrypted:      asBool(a.Encrypted),
		})
	}
	return out
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func asInt(v any) int64 {
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1<<53 {
		return 0
	}
	return int64(f)
}

func asBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true" || b == "True" || b == "1"
	}
	return false
}

// probeTarget is the attacker address of a prober event: the host it
// probed. An unparseable target is recorded as unknown rather than stored
// as an attacker address.
func probeTarget(f map[string]string) string {
	t := f["target_ip"]
	if t == "" || len(t) > 64 {
		return model.UnknownIP
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return model.UnknownIP
	}
	return a.String()
}

// sensorBounties derives the fingerprints the sniffer and the prober
// report, and the per-service ones that need no header parsing.
func (d *deriver) sensorBounties() {
	ev, f := d.ev, d.ev.Fields
	if v := f["client_version"]; v != "" && ev.EventType == "version" {
		d.fingerprint(vncVersionPayload{"vnc_client_version", capString(v, maxShort)})
	}
	// The sniffer sees every handshake on the wire; the TLS decoys (HTTPS,
	// SMTP STARTTLS) report the ClientHello they answered with the same
	// field names, so both give the attacker a ja3 fingerprint.
	if v := f["ja3"]; v != "" && (ev.Service == serviceSniffer || ev.EventType == "tls_client_hello" || ev.EventType == "starttls") {
		port := field(f, "dst_port", maxShort)
		if port == "" && ev.DstPort > 0 {
			port = strconv.Itoa(ev.DstPort)
		}
		d.fingerprint(ja3Payload{
			FingerprintType: "ja3",
			JA3:             capString(v, maxShort),
			JA3S:            field(f, "ja3s", maxShort),
			JA4:             field(f, "ja4", maxShort),
			JA4S:            field(f, "ja4s", maxShort),
			TLSVersion:      field(f, "tls_version", maxShort),
			SNI:             field(f, "sni", maxShort),
			ALPN:            field(f, "alpn", maxShort),
			DstPort:         port,
			RawCiphers:      field(f, "raw_ciphers", maxValue),
			RawExtensions:   field(f, "raw_extensions", maxValue),
		})
	}
	switch ev.Service {
	case serviceSniffer:
		if v := f["ja4l_rtt_ms"]; v != "" {
			d.fingerprint(ja4lPayload{"ja4l", capString(v, maxShort), field(f, "ja4l_client_ttl", maxShort)})
		}
		if v := f["resumption"]; v != "" {
			d.fingerprint(tlsResumptionPayload{"tls_resumption", capString(v, maxShort)})
		}
		if v := f["subject_cn"]; v != "" {
			p := certPayload(f, v)
			p.SNI = field(f, "sni", maxShort)
			d.fingerprint(p)
		}
	case serviceProber:
		d.proberBounties()
	}
	switch ev.EventType {
	case "http_request_fingerprint":
		if v := f["ja4h"]; v != "" {
			d.fingerprint(ja4hPayload{
				FingerprintType: "ja4h",
				JA4H:            capString(v, maxShort),
				Protocol:        field(f, "proto", maxShort),
				Method:          field(f, "method", maxShort),
			})
		}
	case "http2_settings", "http3_settings":
		proto := "h2"
		if ev.EventType == "http3_settings" {
			proto = "h3"
		}
		d.fingerprint(httpSettingsPayload{
			FingerprintType: ev.EventType,
			Settings:        field(f, "settings", maxValue),
			FrameOrder:      field(f, "frame_order", maxValue),
			Protocol:        proto,
		})
	case "quic_client_hello":
		if v := f["ja4_quic"]; v != "" {
			d.fingerprint(ja4QUICPayload{
				FingerprintType: "ja4_quic",
				JA4QUIC:         capString(v, maxShort),
				SNI:             field(f, "sni", maxShort),
				ALPN:            field(f, "alpn", maxShort),
				RawCiphers:      field(f, "raw_ciphers", maxValue),
			})
		}
	case "file_captured":
		if v := f["stored_as"]; v != "" {
			d.bounty(model.BountyArtifact, d.attackerIP, fileArtifactPayload{
				Kind:        "file",
				StoredAs:    capString(v, maxValue),
				SHA256:      field(f, "sha256", 128),
				Size:        field(f, "size", maxShort),
				OrigPath:    field(f, "orig_path", maxValue),
				Attribution: field(f, "attribution", maxShort),
				WriterComm:  field(f, "writer_comm", maxShort),
			})
		}
	case "message_stored":
		if v := f["stored_as"]; v != "" {
			d.bounty(model.BountyArtifact, d.attackerIP, mailArtifactPayload{
				Kind:            "mail",
				StoredAs:        capString(v, maxValue),
				SHA256:          field(f, "sha256", 128),
				Size:            field(f, "size", maxShort),
				MsgID:           field(f, "msg_id", maxShort),
				Subject:         field(f, "subject", maxValue),
				FromHdr:         field(f, "from_hdr", maxValue),
				ToHdr:           field(f, "to_hdr", maxValue),
				MailFrom:        field(f, "mail_from", maxValue),
				RcptTo:          field(f, "rcpt_to", maxValue),
				ContentType:     field(f, "content_type", maxShort),
				AttachmentCount: field(f, "attachment_count", maxShort),
				Attachments:     parseAttachments(f["attachments_json"]),
			})
		}
	}
}

// certPayload copies the certificate fields the sniffer and prober share.
func certPayload(f map[string]string, cn string) tlsCertificatePayload {
	return tlsCertificatePayload{
		FingerprintType: "tls_certificate",
		SubjectCN:       capString(cn, maxShort),
		Issuer:          field(f, "issuer", maxValue),
		SelfSigned:      field(f, "self_signed", maxShort),
		NotBefore:       field(f, "not_before", maxShort),
		NotAfter:        field(f, "not_after", maxShort),
		SANs:            field(f, "sans", maxValue),
	}
}

// proberBounties derives the prober's fingerprints of attacker hosts; their
// attacker address is the probed target, not the event's source.
func (d *deriver) proberBounties() {
	f := d.ev.Fields
	target := probeTarget(f)
	port := field(f, "target_port", maxShort)
	fp := func(payload any) { d.bounty(model.BountyFingerprint, target, payload) }
	if v := f["jarm_hash"]; v != "" {
		fp(jarmPayload{"jarm", capString(v, maxShort), target, port})
	}
	if v := f["subject_cn"]; v != "" {
		p := certPayload(f, v)
		p.CertSHA256 = field(f, "cert_sha256", 128)
		p.TargetIP, p.TargetPort = target, port
		fp(p)
	}
	if v := f["hassh_server_hash"]; v != "" {
		fp(hasshServerPayload{
			FingerprintType: "hassh_server",
			Hash:            capString(v, maxShort),
			TargetIP:        target,
			TargetPort:      port,
			SSHBanner:       field(f, "ssh_banner", maxShort),
			KexAlgorithms:   field(f, "kex_algorithms", maxValue),
			EncryptionS2C:   field(f, "encryption_s2c", maxValue),
			MACS2C:          field(f, "mac_s2c", maxValue),
			CompressionS2C:  field(f, "compression_s2c", maxShort),
		})
	}
	if v := f["tcpfp_hash"]; v != "" {
		fp(tcpfpPayload{
			FingerprintType: "tcpfp",
			Hash:            capString(v, maxShort),
			Raw:             field(f, "tcpfp_raw", maxValue),
			TargetIP:        target,
			TargetPort:      port,
			TTL:             field(f, "ttl", maxShort),
			WindowSize:      field(f, "window_size", maxShort),
			DFBit:           field(f, "df_bit", maxShort),
			MSS:             field(f, "mss", maxShort),
			WindowScale:     field(f, "window_scale", maxShort),
			SackOK:          field(f, "sack_ok", maxShort),
			Timestamp:       field(f, "timestamp", maxShort),
			OptionsOrder:    field(f, "options_order", maxShort),
		})
	}
	if v := f["icmp_fp_hash"]; v != "" {
		fp(icmpPayload{
			FingerprintType: "icmp_error",
			Matrix:          field(f, "icmp_matrix", maxShort),
			FPHash:          capString(v, maxShort),
			TargetIP:        target,
			Errors: icmpErrors{
				PortUnreachable: icmpResult(f, "icmp_port_unreach", ""),
				TimeExceeded:    icmpResult(f, "icmp_time_exceeded", "icmp_time_exceeded_hop"),
				FragNeeded:      icmpResult(f, "icmp_frag_needed", ""),
				ParamProblem:    icmpResult(f, "icmp_param_problem", ""),
			},
		})
	}
	if v := f["icmp6_fp_hash"]; v != "" {
		fp(icmp6Payload{
			FingerprintType: "icmp6_error",
			Matrix:          field(f, "icmp6_matrix", maxShort),
			FPHash:          capString(v, maxShort),
			TargetIP:        target,
			Errors: icmp6Errors{
				PortUnreachable:   icmpResult(f, "icmp6_port_unreach", ""),
				HopLimitExceeded:  icmpResult(f, "icmp6_hop_limit_exceeded", "icmp6_hop_limit_exceeded_hop"),
				UnknownNextHeader: icmpResult(f, "icmp6_unknown_next_header", ""),
				BadDestOption:     icmpResult(f, "icmp6_bad_dest_option", ""),
			},
		})
	}
}

// icmpResult reads one probe's flag ("1" = the target answered), its RTT
// (key + "_rtt_ms") and, for hop-limited probes, the router that answered.
func icmpResult(f map[string]string, key, hopKey string) icmpErrorResult {
	r := icmpErrorResult{
		Returned: f[key] == "1" || f[key] == "true",
		RTTMs:    field(f, key+"_rtt_ms", maxShort),
	}
	if hopKey != "" {
		r.SrcIP = field(f, hopKey, 64)
	}
	return r
}
