package ingest

import (
	"net/netip"

	"github.com/decnet/decnet/internal/model"
)

// DeriveOptions configures Derive.
type DeriveOptions struct {
	// TrustedProxies are reverse proxies in front of the decoys (the
	// DECNET_TRUSTED_PROXIES setting); their forwarding headers are
	// legitimate, so requests from them yield no ip_leak or spoofed_source.
	TrustedProxies []netip.Prefix
	// Format renders an event as the logs row's raw_line when it arrived
	// natively (Raw empty); nil leaves raw_line empty for such events.
	Format func(model.Event) string
}

// Derive computes everything one event adds to the database: its logs row,
// the credential attempt it carries (if any) and its bounty rows. It is pure
// and total: any event, however malformed, yields a record, and every value
// copied out of the event is size-capped.
func Derive(ev model.Event, o DeriveOptions) model.IngestRecord {
	d := deriver{ev: ev, opts: &o, attackerIP: attackerIP(ev)}
	raw := ev.Raw
	if raw == "" && o.Format != nil {
		raw = o.Format(ev)
	}
	d.rec.Log = model.LogEntry{
		EventID:    ev.ID,
		Timestamp:  ev.TS,
		Decky:      ev.Decky,
		Service:    ev.Service,
		EventType:  ev.EventType,
		AttackerIP: d.attackerIP,
		SessionID:  ev.SessionID,
		RawLine:    raw,
		Fields:     ev.Fields,
		Msg:        ev.Msg,
	}
	if len(ev.Fields) == 0 {
		return d.rec
	}
	d.rec.Credential = deriveCredential(ev, d.attackerIP)
	d.httpBounties()
	d.sensorBounties()
	return d.rec
}

// deriver carries one event through the extractors.
type deriver struct {
	ev         model.Event
	opts       *DeriveOptions
	attackerIP string
	rec        model.IngestRecord
}

// attackerIP is the address rows are filed under. Prober events describe
// the probed host and name it in target_ip when the emitter left src_ip
// unset.
func attackerIP(ev model.Event) string {
	if ev.SrcIP != "" && ev.SrcIP != model.UnknownIP {
		return ev.SrcIP
	}
	if ev.Service == serviceProber {
		return probeTarget(ev.Fields)
	}
	return model.UnknownIP
}

// bounty appends a bounty row filed under ip.
func (d *deriver) bounty(typ, ip string, payload any) {
	d.rec.Bounties = append(d.rec.Bounties, model.Bounty{
		Timestamp:  d.ev.TS,
		Decky:      d.ev.Decky,
		Service:    d.ev.Service,
		AttackerIP: ip,
		BountyType: typ,
		Payload:    marshalPayload(payload),
	})
}

// fingerprint appends a fingerprint bounty filed under the event's attacker.
func (d *deriver) fingerprint(payload any) {
	d.bounty(model.BountyFingerprint, d.attackerIP, payload)
}

// isHTTPService reports whether proxy-claim and header-order fingerprints
// apply: they describe a web client talking to a web decoy.
func isHTTPService(s string) bool {
	return s == "http" || s == "https"
}

// httpBounties derives the bounties that read the request headers.
func (d *deriver) httpBounties() {
	raw, ok := d.ev.Fields["headers"]
	if !ok {
		return
	}
	hs := parseHeaders(raw)
	if len(hs) == 0 {
		return
	}
	// A web request yields up to three bounties; sizing once saves regrowth
	// on the hottest path.
	d.rec.Bounties = make([]model.Bounty, 0, 3)
	if ua, ok := lookupHeader(hs, "User-Agent"); ok {
		cat, tool, sig := classifyUserAgent(ua)
		d.fingerprint(userAgentPayload{
			FingerprintType: "http_useragent",
			Value:           capString(ua, maxValue),
			Category:        cat,
			Tool:            tool,
			Signals:         sig,
		})
	}
	if !isHTTPService(d.ev.Service) {
		return
	}
	if claim, hdr, seen, ok := proxyClaim(hs, d.ev.SrcIP, d.opts.TrustedProxies); ok {
		source := capString(d.ev.SrcIP, 64)
		if source == "" {
			source = model.UnknownIP
		}
		if cat := claimCategory(claim); cat == claimPublic {
			d.bounty(model.BountyIPLeak, d.attackerIP, ipLeakPayload{
				SourceIP:     source,
				RealIPClaim:  claim.String(),
				SourceHeader: hdr,
				HeadersSeen:  seen,
			})
		} else {
			d.fingerprint(spoofedSourcePayload{
				FingerprintType: "spoofed_source",
				SourceIP:        source,
				ClaimedIP:       claim.String(),
				SourceHeader:    hdr,
				HeadersSeen:     seen,
				ClaimCategory:   cat,
			})
		}
	}
	d.fingerprint(httpQuirks(hs))
}
