package profiler

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/decnet/decnet/internal/model"
)

func TestFingerprintsAreTypedDedupedAndIncludeInternalSensors(t *testing.T) {
	evs := []model.Event{
		ev(0, "web1", "ssh", "login_attempt", "hassh", "ec7378c1a92f5a8dde7e8b7a1ddf33d1", "client_version", "SSH-2.0-libssh2_1.10.0"),
		ev(1, "web2", "ssh", "login_attempt", "hassh", "ec7378c1a92f5a8dde7e8b7a1ddf33d1"),
		ev(2, "decnet-prober", "prober", "jarm", "jarm_hash", "27d40d40d29d40d1dc42d43d00041d", "hassh_server_hash", "b12d2871a1189eff20364cf5333619ee"),
		ev(3, "decnet-sniffer", "sniffer", "tls_session", "ja3", "771,4865-4866,0-23,29-23,0", "ja4", "t13d1516h2_8daaf6152771_b186095e22b6"),
		ev(4, "web1", "http", "request", "headers", `{"User-Agent":"curl/8.5.0","Accept":"*/*"}`, "ja4h", "ge11nn020000_4740ae6347b0_000000000000_000000000000"),
		ev(5, "web1", "ssh", "download_attempt", "url", "http://EVIL.example:8080/x.sh", "host", "evil.example"),
		ev(6, "web1", "ssh", "download_attempt", "url", "::not a url", "host", "Backup.Example"),
		ev(7, "web1", "ssh", "file_captured", "sha256", "ABCDEF0123"),
	}
	got := Analyze("203.0.113.7", evs).Fingerprints
	want := []model.Fingerprint{
		{Type: FPHASSH, Value: "ec7378c1a92f5a8dde7e8b7a1ddf33d1", Service: "ssh"},
		{Type: FPSSHClientVersion, Value: "SSH-2.0-libssh2_1.10.0", Service: "ssh"},
		{Type: FPHASSHServer, Value: "b12d2871a1189eff20364cf5333619ee", Service: "prober"},
		{Type: FPJARM, Value: "27d40d40d29d40d1dc42d43d00041d", Service: "prober"},
		{Type: FPJA3, Value: "771,4865-4866,0-23,29-23,0", Service: "sniffer"},
		{Type: FPJA4, Value: "t13d1516h2_8daaf6152771_b186095e22b6", Service: "sniffer"},
		{Type: FPJA4H, Value: "ge11nn020000_4740ae6347b0_000000000000_000000000000", Service: "http"},
		{Type: FPHTTPUserAgent, Value: "curl/8.5.0", Service: "http"},
		{Type: FPC2Endpoint, Value: "evil.example:8080", Service: "ssh"},
		{Type: FPC2Endpoint, Value: "backup.example", Service: "ssh"},
		{Type: FPPayloadSHA256, Value: "abcdef0123", Service: "ssh"},
	}
	// Analyze sorts by time only, so the order inside one event follows
	// fieldFingerprints: compare as sets of entries.
	less := func(a, b model.Fingerprint) bool { return a.Type+a.Value < b.Type+b.Value }
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(less)); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
}

func TestFingerprintsAreBoundedAndClipped(t *testing.T) {
	var s FingerprintState
	for i := range MaxFingerprints + 5 {
		s.Add("ssh", "login_attempt", map[string]string{"hassh": strings.Repeat("h", i+1)}, nil)
	}
	if len(s.Entries) != MaxFingerprints || s.Dropped != 5 {
		t.Errorf("kept %d, dropped %d; want %d and 5", len(s.Entries), s.Dropped, MaxFingerprints)
	}
	var long FingerprintState
	long.Add("ssh", "login_attempt", map[string]string{"hassh": strings.Repeat("x", 10_000)}, nil)
	if n := len(long.Entries[0].Value); n != MaxLabelLen {
		t.Errorf("kept a %d-byte value, want it cut to %d", n, MaxLabelLen)
	}
}
