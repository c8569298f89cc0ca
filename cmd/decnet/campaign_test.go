package main

import (
	"strings"
	"testing"
)

func TestCampaignClustererIsMasterOnlyAndNeedsASharedNATSServer(t *testing.T) {
	_, err := runCLI(t, map[string]string{"DECNET_DATA_DIR": t.TempDir(), "DECNET_MODE": "agent"}, "campaign-clusterer")
	if err == nil || !strings.Contains(err.Error(), "master-only") {
		t.Errorf("on an agent: %v; want it refused as master-only", err)
	}
	_, err = runCLI(t, map[string]string{"DECNET_DATA_DIR": t.TempDir(), "DECNET_MODE": "master", "DECNET_NATS_URL": ""},
		"campaign-clusterer")
	if err == nil || !strings.Contains(err.Error(), "DECNET_NATS_URL") {
		t.Errorf("without NATS: %v; want an error naming DECNET_NATS_URL", err)
	}
}
