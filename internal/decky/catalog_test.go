package decky

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArchetypeTable(t *testing.T) {
	all := Archetypes()
	if len(all) != 15 {
		t.Fatalf("got %d archetypes, want 15", len(all))
	}
	for _, tc := range []Archetype{
		{"windows-workstation", "Windows Workstation", []string{"smb", "rdp"}, []string{"debian", "ubuntu22"}, "windows"},
		{"domain-controller", "Domain Controller", []string{"ldap", "smb", "rdp", "llmnr"}, []string{"debian", "ubuntu22"}, "windows_server"},
		{"linux-server", "Linux Server", []string{"ssh", "http"}, []string{"debian", "ubuntu22", "rocky9", "fedora"}, "linux"},
		{"iot-device", "IoT Device", []string{"mqtt", "snmp", "telnet"}, []string{"alpine"}, "embedded"},
		{"industrial-control", "Industrial Control System", []string{"conpot", "snmp"}, []string{"debian"}, "embedded"},
		{"devops-host", "DevOps Host", []string{"docker_api", "ssh", "k8s"}, []string{"ubuntu22", "debian"}, "linux"},
		{"deaddeck", "Deaddeck (Entry Point)", []string{"ssh"}, []string{"debian", "ubuntu22"}, "linux"},
	} {
		got, err := LookupArchetype(tc.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.Slug, diff)
		}
	}
	// Every referenced distro and OS family exists.
	for _, a := range all {
		for _, d := range a.PreferredDistros {
			if _, err := LookupDistro(d); err != nil {
				t.Errorf("%s: %v", a.Slug, err)
			}
		}
		if _, err := LookupOSProfile(a.NmapOS); err != nil {
			t.Errorf("%s: %v", a.Slug, err)
		}
	}
	// Callers get copies.
	all[0].Services[0] = "changed"
	if a, _ := LookupArchetype(all[0].Slug); a.Services[0] == "changed" {
		t.Error("Archetypes returned the table's own slices")
	}
}

func TestDistroTable(t *testing.T) {
	want := []Distro{
		{"debian", "debian:bookworm-slim", "Debian 12 (Bookworm)", "generic", "debian"},
		{"ubuntu22", "ubuntu:22.04", "Ubuntu 22.04 LTS (Jammy)", "generic", "ubuntu:22.04"},
		{"ubuntu20", "ubuntu:20.04", "Ubuntu 20.04 LTS (Focal)", "generic", "ubuntu:20.04"},
		{"rocky9", "rockylinux:9-minimal", "Rocky Linux 9", "rhel", "debian"},
		{"centos7", "centos:7", "CentOS 7", "rhel", "debian"},
		{"alpine", "alpine:3.19", "Alpine Linux 3.19", "minimal", "debian"},
		{"fedora", "fedora:39", "Fedora 39", "rhel", "debian"},
		{"kali", "kalilinux/kali-rolling", "Kali Linux (Rolling)", "rolling", "kali"},
		{"arch", "archlinux:latest", "Arch Linux", "rolling", "debian"},
	}
	if diff := cmp.Diff(want, Distros()); diff != "" {
		t.Errorf("distros (-want +got):\n%s", diff)
	}
}

func TestOSProfileTable(t *testing.T) {
	want := []OSProfile{
		{Family: "linux", TTL: 64, SynRetries: 6, Timestamps: 1, WindowScaling: 1, SACK: 1, ECN: 2, NoPMTUDisc: 0, FinTimeout: 60, ICMPRateLimit: 1000, ICMPRateMask: 6168, Window: 64240},
		{Family: "windows", TTL: 128, SynRetries: 2, Timestamps: 1, WindowScaling: 1, SACK: 1, ECN: 0, NoPMTUDisc: 0, FinTimeout: 30, Window: 8192},
		{Family: "windows_server", TTL: 128, SynRetries: 2, Timestamps: 1, WindowScaling: 1, SACK: 1, ECN: 1, NoPMTUDisc: 0, FinTimeout: 30, Window: 8192},
		{Family: "bsd", TTL: 64, SynRetries: 6, Timestamps: 1, WindowScaling: 1, SACK: 1, ECN: 0, FinTimeout: 60, ICMPRateLimit: 250, ICMPRateMask: 6168, Window: 65535},
		{Family: "embedded", TTL: 255, SynRetries: 3, NoPMTUDisc: 1, FinTimeout: 15, Window: 5840},
		{Family: "cisco", TTL: 255, SynRetries: 2, NoPMTUDisc: 1, FinTimeout: 15, Window: 4128},
	}
	if diff := cmp.Diff(want, OSProfiles()); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	if got := ProfileFor("plan9"); got.Family != "linux" {
		t.Errorf("unknown family falls back to %s, want linux", got.Family)
	}
	if got := ProfileFor(""); got.Family != "linux" {
		t.Errorf("empty family falls back to %s, want linux", got.Family)
	}
	wantSysctls := []Sysctl{
		{"net.ipv4.ip_default_ttl", "128"}, {"net.ipv4.tcp_syn_retries", "2"}, {"net.ipv4.tcp_timestamps", "1"},
		{"net.ipv4.tcp_window_scaling", "1"}, {"net.ipv4.tcp_sack", "1"}, {"net.ipv4.tcp_ecn", "1"},
		{"net.ipv4.ip_no_pmtu_disc", "0"}, {"net.ipv4.tcp_fin_timeout", "30"}, {"net.ipv4.icmp_ratelimit", "0"},
		{"net.ipv4.icmp_ratemask", "0"},
	}
	p, _ := LookupOSProfile("windows_server")
	if diff := cmp.Diff(wantSysctls, p.Sysctls()); diff != "" {
		t.Errorf("sysctls (-want +got):\n%s", diff)
	}
	if c := ProfileFor("linux").WindowClamp(); c != 0 {
		t.Errorf("linux clamp = %d, want none (the host kernel is linux already)", c)
	}
	if c := ProfileFor("windows").WindowClamp(); c != 8192 {
		t.Errorf("windows clamp = %d, want 8192", c)
	}
	if !IsWindows("windows_server") || IsWindows("linux") {
		t.Error("IsWindows")
	}
}

func TestLookupErrorsListValidSlugs(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"archetype", func() error { _, err := LookupArchetype("x"); return err }(),
			`unknown archetype "x" (valid: database-server, deaddeck, devops-host, domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, printer, voip-server, web-server, windows-server, windows-workstation)`},
		{"distro", func() error { _, err := LookupDistro("gentoo"); return err }(),
			`unknown distro "gentoo" (valid: alpine, arch, centos7, debian, fedora, kali, rocky9, ubuntu20, ubuntu22)`},
		{"os", func() error { _, err := LookupOSProfile("os2"); return err }(),
			`unknown nmap_os "os2" (valid: bsd, cisco, embedded, linux, windows, windows_server)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || tc.err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", tc.err, tc.want)
			}
			if strings.Contains(tc.err.Error(), "\n") {
				t.Error("error spans lines")
			}
		})
	}
}
