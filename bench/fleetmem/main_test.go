package main

import (
	"slices"
	"testing"
)

func TestParseDeckyProbesGreetingPortsOnly(t *testing.T) {
	ok, targets := parseDecky("  decky-01  127.91.0.2  SRV-ALPHA-33  ssh:22 telnet:23 ftp:21,30000-30009", []string{"ssh", "telnet", "ftp"})
	want := []string{"127.91.0.2:22", "127.91.0.2:23", "127.91.0.2:21"}
	if !ok || !slices.Equal(targets, want) {
		t.Errorf("got %v %v, want true %v", ok, targets, want)
	}
	if ok, _ := parseDecky("  decky-01  127.91.0.2  H  ssh:22", []string{"ssh", "ftp"}); ok {
		t.Error("a decky missing a wanted service counted as serving")
	}
}
