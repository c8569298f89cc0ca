package enrich

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

// iso is a GeoIP2 country sub-record.
func iso(cc string) mmdbtype.Map {
	return mmdbtype.Map{"iso_code": mmdbtype.String(cc), "names": mmdbtype.Map{"en": mmdbtype.String("name of " + cc)}}
}

// longName is an organisation name longer than as_name's 128 bytes, with a
// two-byte rune straddling the cut and control characters to strip.
var longName = "Long\x00Name\t" + strings.Repeat("x", 119) + "é" + strings.Repeat("y", 80)

// countryRecords are GeoLite2-Country shaped, plus deliberately bad ones.
var countryRecords = map[string]mmdbtype.DataType{
	"1.2.3.0/24":     mmdbtype.Map{"country": iso("US"), "registered_country": iso("US")},
	"81.2.69.0/24":   mmdbtype.Map{"registered_country": iso("gb")},                        // only registered, lower case
	"5.6.7.0/24":     mmdbtype.Map{"country": iso("USA"), "registered_country": iso("NL")}, // bad located code
	"5.6.8.0/24":     mmdbtype.Map{"country": iso("1!")},                                   // nothing usable
	"9.9.9.0/24":     mmdbtype.Map{"country": mmdbtype.String("US")},                       // wrong shape
	"10.0.0.0/8":     mmdbtype.Map{"country": iso("ZZ")},                                   // private: must never be read
	"2a01:4f8::/32":  mmdbtype.Map{"country": iso("DE"), "registered_country": iso("DE")},
	"185.199.0.0/22": mmdbtype.Map{"country": iso("\u00dcS")}, // non-ASCII
}

// asnRecords are GeoLite2-ASN shaped, plus deliberately bad ones.
var asnRecords = map[string]mmdbtype.DataType{
	"1.2.3.0/24":    asnRec(mmdbtype.Uint32(64500), "Example Net"),
	"2a01:4f8::/32": asnRec(mmdbtype.Uint32(24940), "Hetzner Online GmbH"),
	"8.8.8.0/24":    asnRec(mmdbtype.Uint32(15169), longName),
	"7.7.7.0/24":    asnRec(mmdbtype.Uint32(0), "zero"),
	"9.9.9.0/24":    asnRec(mmdbtype.String("19281"), "wrong type"),
	"6.6.6.0/24":    asnRec(mmdbtype.Uint64(1<<40), "too big"),
	"10.0.0.0/8":    asnRec(mmdbtype.Uint32(1), "private"),
}

func asnRec(n mmdbtype.DataType, org string) mmdbtype.Map {
	return mmdbtype.Map{"autonomous_system_number": n, "autonomous_system_organization": mmdbtype.String(org)}
}

// buildDB serialises records into an in-memory .mmdb of the given type.
func buildDB(t testing.TB, dbType string, records map[string]mmdbtype.DataType) []byte {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range records {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile puts data in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testDBs writes the country and ASN databases and returns their paths.
func testDBs(t *testing.T) (geoip, asn string) {
	t.Helper()
	return writeFile(t, "GeoLite2-Country.mmdb", buildDB(t, "GeoLite2-Country", countryRecords)),
		writeFile(t, "GeoLite2-ASN.mmdb", buildDB(t, "GeoLite2-ASN", asnRecords))
}

func openT(t *testing.T, geoip, asn string) *Enricher {
	t.Helper()
	e, err := Open(geoip, asn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

var us = Result{CountryCode: "US", CountrySource: "maxmind", ASN: 64500, ASName: "Example Net", BGPPrefix: "1.2.3.0/24", ASNSource: "maxmind"}

func TestLookup(t *testing.T) {
	geoip, asn := testDBs(t)
	e := openT(t, geoip, asn)
	clippedName := "LongName" + strings.Repeat("x", 119) // 127 bytes: "é" would cross byte 128 and is dropped whole
	tests := []struct {
		name, ip string
		want     Result
	}{
		{"ipv4 hit in both", "1.2.3.4", us},
		{"ipv4-mapped ipv6 is looked up as ipv4", "::ffff:1.2.3.4", us},
		{"surrounding space", " 1.2.3.4\n", us},
		{"ipv6 hit", "2a01:4f8:c17:1::2", Result{CountryCode: "DE", CountrySource: "maxmind", ASN: 24940, ASName: "Hetzner Online GmbH", BGPPrefix: "2a01:4f8::/32", ASNSource: "maxmind"}},
		{"registered country fallback, upper-cased", "81.2.69.160", Result{CountryCode: "GB", CountrySource: "maxmind"}},
		{"bad located code falls back", "5.6.7.8", Result{CountryCode: "NL", CountrySource: "maxmind"}},
		{"no usable code", "5.6.8.1", Result{}},
		{"non-ascii code", "185.199.1.1", Result{}},
		{"wrong record shapes are no data", "9.9.9.9", Result{}},
		{"AS 0 is no data", "7.7.7.7", Result{}},
		{"AS above 32 bits is no data", "6.6.6.6", Result{}},
		{"name cleaned and clipped", "8.8.8.8", Result{ASN: 15169, ASName: clippedName, BGPPrefix: "8.8.8.0/24", ASNSource: "maxmind"}},
		{"miss", "203.0.114.1", Result{}},
		{"ipv6 miss", "2600:1f18::1", Result{}},
		{"private has a record but is skipped", "10.1.2.3", Result{}},
		{"loopback", "127.0.0.1", Result{}},
		{"unspecified", "::", Result{}},
		{"link-local with zone", "fe80::1%eth0", Result{}},
		{"multicast", "224.0.0.1", Result{}},
		{"unparseable", "1.2.3.4.5", Result{}},
		{"empty", "", Result{}},
		{"host:port is not an address", "1.2.3.4:22", Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Lookup(tt.ip)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.ip, diff)
			}
			checkColumns(t, got)
		})
	}
}

// checkColumns asserts the invariants the attackers table relies on.
func checkColumns(t testing.TB, r Result) {
	t.Helper()
	if r.CountryCode != "" && (len(r.CountryCode) != 2 || strings.ToUpper(r.CountryCode) != r.CountryCode) {
		t.Errorf("country code %q", r.CountryCode)
	}
	if len(r.ASName) > 128 || !utf8.ValidString(r.ASName) {
		t.Errorf("as_name %q (%d bytes)", r.ASName, len(r.ASName))
	}
	if len(r.BGPPrefix) > 43 || len(r.CountrySource) > 16 || len(r.ASNSource) > 16 {
		t.Errorf("column overflow: %+v", r)
	}
	if r.ASN < 0 || r.ASN > 1<<32-1 {
		t.Errorf("asn %d", r.ASN)
	}
}

func TestOnlyOneDatabaseConfigured(t *testing.T) {
	geoip, asn := testDBs(t)
	if diff := cmp.Diff(Result{CountryCode: "US", CountrySource: "maxmind"}, openT(t, geoip, "").Lookup("1.2.3.4")); diff != "" {
		t.Errorf("country only mismatch (-want +got):\n%s", diff)
	}
	want := Result{ASN: 64500, ASName: "Example Net", BGPPrefix: "1.2.3.0/24", ASNSource: "maxmind"}
	if diff := cmp.Diff(want, openT(t, "", asn).Lookup("1.2.3.4")); diff != "" {
		t.Errorf("asn only mismatch (-want +got):\n%s", diff)
	}
}

func TestDisabledEnricherReturnsEmpty(t *testing.T) {
	var nilE *Enricher
	both, err := Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*Enricher{"nil": nilE, "zero": {}, "both paths empty": both} {
		if got := e.Lookup("1.2.3.4"); got != (Result{}) {
			t.Errorf("%s: Lookup = %+v, want empty", name, got)
		}
		if err := e.Close(); err != nil {
			t.Errorf("%s: Close = %v", name, err)
		}
	}
}

func TestCloseThenLookupIsEmpty(t *testing.T) {
	geoip, asn := testDBs(t)
	e := openT(t, geoip, asn)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.Lookup("1.2.3.4"); got != (Result{}) {
		t.Errorf("after Close: %+v", got)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestOpenErrorsNameSettingFileAndFix(t *testing.T) {
	geoip, asn := testDBs(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "GeoLite2-Country.mmdb")
	garbage := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	random := writeFile(t, "random.mmdb", garbage)
	empty := writeFile(t, "empty.mmdb", nil)
	tests := []struct {
		name, geoip, asn string
		want             []string
	}{
		{"missing geoip", missing, "", []string{"DECNET_GEOIP_DB", missing, "does not exist", "GeoLite2-Country", "unset DECNET_GEOIP_DB"}},
		{"missing asn", geoip, filepath.Join(dir, "asn.mmdb"), []string{"DECNET_ASN_DB", "asn.mmdb", "does not exist", "GeoLite2-ASN", "unset DECNET_ASN_DB"}},
		{"random bytes", random, "", []string{"DECNET_GEOIP_DB", random, "not a valid MaxMind DB file", "unset DECNET_GEOIP_DB"}},
		{"empty file", "", empty, []string{"DECNET_ASN_DB", empty, "not a valid MaxMind DB file"}},
		{"directory", dir, "", []string{"DECNET_GEOIP_DB", "not a regular file"}},
		{"asn file as geoip", asn, "", []string{"DECNET_GEOIP_DB", "is an ASN database", "DECNET_ASN_DB at this file"}},
		{"country file as asn", "", geoip, []string{"DECNET_ASN_DB", "is a country/city database", "DECNET_GEOIP_DB at this file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Open(tt.geoip, tt.asn)
			if err == nil {
				e.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error must be one line: %q", err)
			}
		})
	}
}

func TestCityLayoutAndCompatibleTypesOpen(t *testing.T) {
	city := buildDB(t, "GeoIP2-City", map[string]mmdbtype.DataType{
		"1.2.3.0/24": mmdbtype.Map{"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Springfield")}}, "country": iso("US")},
	})
	combined := buildDB(t, "ipinfo country_asn", map[string]mmdbtype.DataType{
		"1.2.3.0/24": asnRec(mmdbtype.Uint32(64500), "Example Net"),
	})
	e := openT(t, writeFile(t, "city.mmdb", city), writeFile(t, "combined.mmdb", combined))
	if diff := cmp.Diff(us, e.Lookup("1.2.3.9")); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestConcurrentLookupsAndClose(t *testing.T) {
	geoip, asn := testDBs(t)
	e := openT(t, geoip, asn)
	ips := []string{"1.2.3.4", "2a01:4f8::1", "8.8.8.8", "10.0.0.1", "nonsense", "203.0.114.1"}
	want := map[string]Result{}
	for _, ip := range ips {
		want[ip] = e.Lookup(ip)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 500; i++ {
				ip := ips[(g+i)%len(ips)]
				if got := e.Lookup(ip); got != want[ip] {
					t.Errorf("Lookup(%q) = %+v, want %+v", ip, got, want[ip])
					return
				}
			}
		})
	}
	wg.Wait()

	// Close racing lookups: each lookup sees either the data or nothing.
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				ip := ips[(g+i)%len(ips)]
				if got := e.Lookup(ip); got != want[ip] && got != (Result{}) {
					t.Errorf("Lookup(%q) during Close = %+v", ip, got)
					return
				}
			}
		})
	}
	wg.Go(func() { e.Close() })
	wg.Wait()
}

// corruptEnricher wraps raw bytes as both databases, bypassing Open's type
// check so the same bytes exercise both decoders.
func corruptEnricher(data []byte) *Enricher {
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil
	}
	e := &Enricher{}
	e.dbs.Store(&databases{country: r, asn: r})
	return e
}

var probeIPs = []string{"1.2.3.4", "2a01:4f8::1", "8.8.8.8", "81.2.69.1", "9.9.9.9", "6.6.6.6", "203.0.114.1", "2600::1"}

func TestCorruptDatabaseNeverPanics(t *testing.T) {
	for _, base := range [][]byte{buildDB(t, "GeoLite2-Country", countryRecords), buildDB(t, "GeoLite2-ASN", asnRecords)} {
		rng := rand.New(rand.NewPCG(7, 11))
		for round := 0; round < 300; round++ {
			data := bytes.Clone(base)
			for n := 1 + rng.IntN(8); n > 0; n-- {
				data[rng.IntN(len(data))] = byte(rng.Uint32())
			}
			e := corruptEnricher(data)
			for _, ip := range probeIPs {
				checkColumns(t, e.Lookup(ip))
			}
		}
	}
}

// FuzzLookup feeds arbitrary database bytes and addresses through Lookup:
// it must never panic and must always fit the attackers columns.
func FuzzLookup(f *testing.F) {
	f.Add(buildDB(f, "GeoLite2-Country", countryRecords), "1.2.3.4")
	f.Add(buildDB(f, "GeoLite2-ASN", asnRecords), "8.8.8.8")
	f.Add(buildDB(f, "GeoLite2-ASN", asnRecords), "2a01:4f8::1")
	f.Fuzz(func(t *testing.T, data []byte, ip string) {
		if len(data) > 1<<16 {
			return
		}
		checkColumns(t, corruptEnricher(data).Lookup(ip))
	})
}
