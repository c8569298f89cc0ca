package profiler

import (
	"net/url"
	"slices"
	"strings"

	"github.com/decnet/decnet/internal/model"
)

// Fingerprint types the profiler stores in attackers.fingerprints. Identity
// clustering reads the client ones (ja3, ja4h, hassh, hassh_server) and the
// infrastructure ones (payload_sha256, c2_endpoint) as its high tier.
const (
	FPJA3              = "ja3"
	FPJA4              = "ja4"
	FPJA4H             = "ja4h"
	FPJA4QUIC          = "ja4_quic"
	FPHASSH            = "hassh"
	FPHASSHServer      = "hassh_server"
	FPJARM             = "jarm"
	FPTCPFP            = "tcpfp"
	FPTLSCertSHA256    = "tls_cert_sha256"
	FPHTTPUserAgent    = "http_useragent"
	FPSSHClientVersion = "ssh_client_version"
	FPPayloadSHA256    = "payload_sha256"
	FPC2Endpoint       = "c2_endpoint"
)

// MaxFingerprints caps the distinct fingerprints kept per address; later
// ones are counted in FingerprintsDropped.
const MaxFingerprints = 64

// fieldFingerprints maps an event field to the fingerprint type it carries,
// whatever the service: sensors and services name them the same way.
var fieldFingerprints = []struct{ field, typ string }{
	{"ja3", FPJA3},
	{"ja4", FPJA4},
	{"ja4h", FPJA4H},
	{"ja4_quic", FPJA4QUIC},
	{"hassh", FPHASSH},
	{"hassh_server_hash", FPHASSHServer},
	{"jarm_hash", FPJARM},
	{"tcpfp_hash", FPTCPFP},
	{"cert_sha256", FPTLSCertSHA256},
}

// FingerprintState collects an address's distinct typed fingerprints in
// first-seen order.
type FingerprintState struct {
	Entries []model.Fingerprint `json:"entries,omitempty"`
	Dropped int                 `json:"dropped,omitempty"`
}

// Add folds the fingerprints one event carries. headers is the parsed
// request header map (keys lower-cased, as ParseHeaders returns them) of a
// request event, or nil.
func (s *FingerprintState) Add(service, eventType string, fields map[string]string, headers map[string]string) {
	for _, ff := range fieldFingerprints {
		if v := fields[ff.field]; v != "" {
			s.add(ff.typ, v, service)
		}
	}
	if service == "ssh" && fields["client_version"] != "" {
		s.add(FPSSHClientVersion, fields["client_version"], service)
	}
	if ua := headers["user-agent"]; ua != "" {
		s.add(FPHTTPUserAgent, ua, service)
	}
	switch eventType {
	case "file_captured":
		if v := fields["sha256"]; v != "" {
			s.add(FPPayloadSHA256, strings.ToLower(v), service)
		}
	case "download_attempt":
		if ep := c2Endpoint(fields["url"], fields["host"]); ep != "" {
			s.add(FPC2Endpoint, ep, service)
		}
	}
}

func (s *FingerprintState) add(typ, value, service string) {
	value = clip(value)
	if value == "" || slices.ContainsFunc(s.Entries, func(f model.Fingerprint) bool {
		return f.Type == typ && f.Value == value
	}) {
		return
	}
	if len(s.Entries) >= MaxFingerprints {
		s.Dropped++
		return
	}
	s.Entries = append(s.Entries, model.Fingerprint{Type: typ, Value: value, Service: clip(service)})
}

// List returns a copy of the fingerprints, never nil.
func (s *FingerprintState) List() []model.Fingerprint {
	return append([]model.Fingerprint{}, s.Entries...)
}

// c2Endpoint is the host[:port] a download reached for, lower-cased: the
// infrastructure shared by the actors who use it. A URL that does not parse
// falls back to the host the shell recorded.
func c2Endpoint(raw, host string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.Host != "" {
		return strings.ToLower(u.Host)
	}
	return strings.ToLower(strings.TrimSpace(host))
}
