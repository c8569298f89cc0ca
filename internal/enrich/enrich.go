// Package enrich adds country and autonomous-system data to attacker
// addresses from MaxMind DB (.mmdb) files the operator supplies
// (DECNET_GEOIP_DB, DECNET_ASN_DB). Both lookups are optional: with no file
// configured they return empty results, and no lookup ever returns an error,
// because a missing enrichment must never stop an attacker row being written.
package enrich

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Source is the value of country_source and asn_source for data that came
// from a MaxMind DB file (it fits their 16-character columns).
const Source = "maxmind"

// Column limits from the attackers table (spec/api_db.md §1.3); values are
// clipped so a hostile or unusual database can never make an insert fail.
const (
	maxASNameBytes    = 128
	maxBGPPrefixBytes = 43 // "ffff:…:ffff/128"
)

// maxDBSize bounds how much of a database file is read into memory. MaxMind's
// largest commercial databases are a few hundred MB; 1 GiB leaves room while
// refusing a mistaken path such as a disk image.
const maxDBSize = 1 << 30

// Result is the enrichment for one address. Empty strings and a zero ASN mean
// "unknown"; CountrySource and ASNSource are set only when their data is.
type Result struct {
	CountryCode   string
	CountrySource string
	ASN           int64
	ASName        string
	BGPPrefix     string
	ASNSource     string
}

// Enricher looks addresses up in the configured databases. It is safe for
// concurrent use; a nil or zero Enricher answers every lookup with an empty
// Result.
type Enricher struct {
	dbs atomic.Pointer[databases]
}

// databases is swapped out as a whole by Close, so a lookup in flight keeps
// using the readers it started with (they are heap-backed, never unmapped).
type databases struct {
	country *maxminddb.Reader
	asn     *maxminddb.Reader
}

// Open loads the country database at geoipPath and the ASN database at
// asnPath; an empty path turns that lookup off. The files are read into
// memory rather than memory-mapped, so replacing or truncating them while
// decnet runs cannot crash it.
func Open(geoipPath, asnPath string) (*Enricher, error) {
	country, err := openDB(geoipPath, "DECNET_GEOIP_DB", "country", "a GeoLite2-Country or GeoLite2-City .mmdb")
	if err != nil {
		return nil, err
	}
	if country != nil && looksLike(country, "asn", "country", "city") {
		return nil, fmt.Errorf("DECNET_GEOIP_DB: %s is an ASN database (type %q); point DECNET_GEOIP_DB at a GeoLite2-Country or GeoLite2-City .mmdb and DECNET_ASN_DB at this file",
			geoipPath, country.Metadata.DatabaseType)
	}
	asn, err := openDB(asnPath, "DECNET_ASN_DB", "ASN", "a GeoLite2-ASN .mmdb")
	if err != nil {
		return nil, err
	}
	if asn != nil && (looksLike(asn, "country", "asn", "isp") || looksLike(asn, "city", "asn", "isp")) {
		return nil, fmt.Errorf("DECNET_ASN_DB: %s is a country/city database (type %q); point DECNET_ASN_DB at a GeoLite2-ASN .mmdb and DECNET_GEOIP_DB at this file",
			asnPath, asn.Metadata.DatabaseType)
	}
	e := &Enricher{}
	e.dbs.Store(&databases{country: country, asn: asn})
	return e, nil
}

// looksLike reports whether r's database_type names kind and none of the
// other words, catching a country file given as the ASN one and vice versa
// without refusing combined or third-party compatible databases.
func looksLike(r *maxminddb.Reader, kind string, unless ...string) bool {
	t := strings.ToLower(r.Metadata.DatabaseType)
	if !strings.Contains(t, kind) {
		return false
	}
	for _, u := range unless {
		if strings.Contains(t, u) {
			return false
		}
	}
	return true
}

// openDB reads and parses one database; an empty path returns nil, nil.
// Every error is one line naming the setting, the file and the fix.
func openDB(path, setting, what, want string) (*maxminddb.Reader, error) {
	if path == "" {
		return nil, nil
	}
	off := fmt.Sprintf("or unset %s to turn %s lookup off", setting, what)
	data, err := readDB(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %s does not exist; point it at %s, %s", setting, path, want, off)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%s: %s is not readable by this user; fix its permissions, %s", setting, path, off)
	case err != nil:
		return nil, fmt.Errorf("%s: cannot read %s: %v; point it at %s, %s", setting, path, oneLine(err), want, off)
	}
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not a valid MaxMind DB file (%v); point it at %s, %s", setting, path, oneLine(err), want, off)
	}
	return r, nil
}

// readDB reads a regular file of at most maxDBSize bytes, refusing devices
// and directories that would otherwise read forever or fail obscurely.
func readDB(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > maxDBSize {
		return nil, fmt.Errorf("larger than %d MiB", maxDBSize>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDBSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDBSize {
		return nil, fmt.Errorf("larger than %d MiB", maxDBSize>>20)
	}
	return data, nil
}

// oneLine keeps a wrapped library error from breaking the one-line rule.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Close releases the databases; later lookups return empty Results. Lookups
// already running finish against the old data.
func (e *Enricher) Close() error {
	if e != nil {
		e.dbs.Store(nil)
	}
	return nil
}

// Lookup returns what the configured databases know about ip. An unparseable
// address, a private, loopback or otherwise non-global one, a miss, or a
// corrupt record all give empty fields; it never fails or panics.
func (e *Enricher) Lookup(ip string) Result {
	if e == nil {
		return Result{}
	}
	dbs := e.dbs.Load()
	if dbs == nil || (dbs.country == nil && dbs.asn == nil) {
		return Result{}
	}
	addr, ok := publicAddr(ip)
	if !ok {
		return Result{}
	}
	var res Result
	if dbs.country != nil {
		if cc := lookupCountry(dbs.country, addr); cc != "" {
			res.CountryCode, res.CountrySource = cc, Source
		}
	}
	if dbs.asn != nil {
		if asn, name, prefix := lookupASN(dbs.asn, addr); asn != 0 {
			res.ASN, res.ASName, res.BGPPrefix, res.ASNSource = asn, name, prefix, Source
		}
	}
	return res
}

// publicAddr parses ip and accepts only globally routable unicast addresses,
// since databases hold nothing meaningful for the rest. IPv4-mapped IPv6 is
// looked up as IPv4 and a zone is dropped.
func publicAddr(ip string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Addr{}, false
	}
	a = a.WithZone("").Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return netip.Addr{}, false
	}
	return a, true
}

// countryRecord is the part of the GeoIP2/GeoLite2 Country and City layout
// decnet reads; every other field is skipped while decoding.
type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// lookupCountry returns the located country, falling back to the country the
// network is registered to (anycast and satellite ranges have only that).
func lookupCountry(r *maxminddb.Reader, addr netip.Addr) (cc string) {
	defer func() {
		if recover() != nil { // belt and braces: the reader is meant to return errors
			cc = ""
		}
	}()
	var rec countryRecord
	if err := r.Lookup(addr).Decode(&rec); err != nil {
		return ""
	}
	if cc := countryCode(rec.Country.ISOCode); cc != "" {
		return cc
	}
	return countryCode(rec.RegisteredCountry.ISOCode)
}

// countryCode accepts exactly two ASCII letters and upper-cases them; any
// other value would not fit, or would not mean, country_code.
func countryCode(s string) string {
	if len(s) != 2 {
		return ""
	}
	for i := 0; i < 2; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return strings.ToUpper(s)
}

// asnRecord is the GeoLite2-ASN layout. The number is decoded wide so an
// out-of-range value is rejected here rather than wrapped.
type asnRecord struct {
	Number       uint64 `maxminddb:"autonomous_system_number"`
	Organization string `maxminddb:"autonomous_system_organization"`
}

// lookupASN returns the AS number, its clipped organisation name and the
// network the record was found in; asn 0 means nothing usable was found.
func lookupASN(r *maxminddb.Reader, addr netip.Addr) (asn int64, name, prefix string) {
	defer func() {
		if recover() != nil {
			asn, name, prefix = 0, "", ""
		}
	}()
	res := r.Lookup(addr)
	var rec asnRecord
	if err := res.Decode(&rec); err != nil || !res.Found() {
		return 0, "", ""
	}
	if rec.Number == 0 || rec.Number > math.MaxUint32 {
		return 0, "", ""
	}
	if p := res.Prefix(); p.IsValid() && p.Addr().Is4() == addr.Is4() {
		prefix = clip(p.Masked().String(), maxBGPPrefixBytes)
	}
	return int64(rec.Number), clip(clean(rec.Organization), maxASNameBytes), prefix
}

// clean makes a database string safe to store and display: valid UTF-8,
// no control characters, no surrounding space.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence, which
// also keeps it within n characters for MySQL's utf8mb4 VARCHAR(n).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
