package decky

import (
	"regexp"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func TestSeedIsFirstEightBytesOfSHA256(t *testing.T) {
	// printf 'decky-01:0' | sha256sum → 567f3d7b4b2208e0…
	if got, want := Seed("decky-01", "0"), uint64(0x567f3d7b4b2208e0); got != want {
		t.Fatalf("Seed = %#x, want %#x", got, want)
	}
	if Seed("decky-01", "0") == Seed("decky-02", "0") || Seed("decky-01", "0") == Seed("decky-01", "1") {
		t.Fatal("different names or instances share a seed")
	}
}

func TestDerive(t *testing.T) {
	// printf 'web:ssh' | sha256sum → ae1a4d9411b01f9641b2…
	if got := DeriveHex("web", "ssh", 20); got != "ae1a4d9411b01f9641b2" {
		t.Errorf("DeriveHex = %s", got)
	}
	// printf 'web:ssh:3' | sha256sum → f3d73e4c…
	if got := DeriveHexAt("web", "ssh", 3, 7); got != "f3d73e4" {
		t.Errorf("DeriveHexAt = %s (odd lengths are truncated, not padded)", got)
	}
	long := DeriveBytes("web", "ssh", 100)
	if len(long) != 100 || string(long[:32]) != string(DeriveBytes("web", "ssh", 32)) {
		t.Error("long derivations must extend the short ones")
	}
	if string(DeriveBytesAt("web", "ssh", 0, 8)) == string(DeriveBytesAt("web", "ssh", 1, 8)) {
		t.Error("indexes must differ")
	}
	if DeriveUUID("web", "machine-id") != DeriveUUID("web", "machine-id") || DeriveUUID("web", "a") == DeriveUUID("web", "b") {
		t.Error("DeriveUUID not stable per namespace")
	}
	if DeriveUUID("web", "a").Version() != 5 {
		t.Error("DeriveUUID is not a v5 UUID")
	}
}

func TestRandDeterministic(t *testing.T) {
	a, b := NewRand(42), NewRand(42)
	for range 100 {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed, different streams")
		}
	}
	if NewRand(1).Uint64() == NewRand(2).Uint64() {
		t.Fatal("different seeds, same first value")
	}
	r := NewRand(7)
	for range 1000 {
		if v := r.IntRange(10, 99); v < 10 || v > 99 {
			t.Fatalf("IntRange gave %d", v)
		}
	}
	if r.Intn(0) != 0 || r.Intn(-3) != 0 {
		t.Error("Intn of an empty range must not panic")
	}
	if Pick(r, []string(nil)) != "" {
		t.Error("Pick of nothing must be the zero value")
	}
}

func TestPickWeighted(t *testing.T) {
	r := NewRand(9)
	items := []string{"never", "mostly", "rarely"}
	counts := map[string]int{}
	for range 10000 {
		counts[PickWeighted(r, items, []float64{0, 9, 1})]++
	}
	if counts["never"] != 0 {
		t.Errorf("zero weight picked %d times", counts["never"])
	}
	if counts["mostly"] < 8500 || counts["rarely"] < 700 {
		t.Errorf("weights not respected: %v", counts)
	}
	// Bad tables degrade to a uniform pick instead of panicking.
	if got := PickWeighted(r, items, []float64{1}); got == "" {
		t.Error("length mismatch gave nothing")
	}
	if got := PickWeighted(r, items, []float64{0, -1, 0}); got == "" {
		t.Error("all-zero weights gave nothing")
	}
}

func TestFakeUptime(t *testing.T) {
	ages := map[time.Duration]bool{}
	for _, host := range []string{"a", "b", "c", "decky-01", "decky-02"} {
		age := BootAge(host)
		if age < time.Hour || age > 45*24*time.Hour {
			t.Errorf("%s: boot age %v outside 1h–45d", host, age)
		}
		if age != BootAge(host) || !BootTime(host).Equal(BootTime(host)) {
			t.Errorf("%s: boot time not stable", host)
		}
		ages[age] = true
		now := time.Now()
		if up := Uptime(host, now); up < age {
			t.Errorf("%s: uptime %v below boot age %v", host, up, age)
		}
	}
	if len(ages) < 4 {
		t.Error("hosts share boot ages")
	}
}

func TestGenerateHostname(t *testing.T) {
	words := `(alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|kilo|lima|mike|nova|oscar|prod|web|db|mail|proxy|dev|stage|backup|monitor|files)`
	for _, tc := range []struct {
		style string
		re    string
	}{
		{HostnameGeneric, `^SRV-` + `(ALPHA|BRAVO|CHARLIE|DELTA|ECHO|FOXTROT|GOLF|HOTEL|INDIA|JULIET|KILO|LIMA|MIKE|NOVA|OSCAR|PROD|WEB|DB|MAIL|PROXY|DEV|STAGE|BACKUP|MONITOR|FILES)` + `-[1-9][0-9]$`},
		{HostnameRHEL, `^` + words + `[1-9][0-9]\.localdomain$`},
		{HostnameMinimal, `^` + words + `-[1-9][0-9]$`},
		{HostnameRolling, `^` + words + `-` + words + `$`},
	} {
		t.Run(tc.style, func(t *testing.T) {
			re := regexp.MustCompile(tc.re)
			seen := map[string]bool{}
			for i := range 200 {
				seed := Seed(string(rune('a'+i%26))+string(rune('a'+i/26)), PersonaInstance)
				h, err := GenerateHostname(tc.style, NewRand(seed))
				if err != nil {
					t.Fatal(err)
				}
				if !re.MatchString(h) {
					t.Fatalf("%q does not match %s", h, tc.re)
				}
				again, _ := GenerateHostname(tc.style, NewRand(seed))
				if again != h {
					t.Fatalf("same seed gave %q then %q", h, again)
				}
				seen[h] = true
			}
			if len(seen) < 50 {
				t.Errorf("only %d distinct names in 200 seeds", len(seen))
			}
		})
	}
	if _, err := GenerateHostname("bogus", NewRand(1)); err == nil {
		t.Error("unknown style accepted")
	}
}

func TestPersona(t *testing.T) {
	d := model.Decky{Name: "web-01", Hostname: "SRV-WEB-42", Distro: "rocky9", NmapOS: "windows"}
	p, err := NewPersona(d)
	if err != nil {
		t.Fatal(err)
	}
	if p.Seed != Seed("web-01", "0") {
		t.Error("zero seed must be derived from the name")
	}
	if p.Distro.HostnameStyle != HostnameRHEL || p.OS.TTL != 128 || !p.IsWindows() {
		t.Errorf("persona %+v", p)
	}
	// Namespaces are independent streams; the same namespace repeats.
	if p.Rand("ssh").Uint64() != p.Rand("ssh").Uint64() || p.Rand("ssh").Uint64() == p.Rand("http").Uint64() {
		t.Error("Persona.Rand streams")
	}
	other, _ := NewPersona(model.Decky{Name: "web-02", Distro: "debian"})
	if p.Rand("ssh").Uint64() == other.Rand("ssh").Uint64() || p.Hex("machine-id", 32) == other.Hex("machine-id", 32) {
		t.Error("two deckies share persona values")
	}
	if other.OS.Family != "linux" {
		t.Error("empty nmap_os must run as linux")
	}
	if _, err := NewPersona(model.Decky{Name: "x", Distro: "beos"}); err == nil {
		t.Error("unknown distro accepted")
	}
}
