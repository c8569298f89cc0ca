package bus

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMatchesFollowsNATSWildcardSemantics(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		// Pinned by the original's tests/bus/test_base.py.
		{"topology.>", "topology", false},
		{"decky.*.state", "decky.state", false},
		{"a.b", "a.b.c", false},
		{"topology.>", "topology.t1.status", true},
		{"topology.>", "topology.t1", true},
		{"decky.*.state", "decky.d1.state", true},
		{"decky.*.state", "decky.d1.x.state", false},
		{"a.b", "a.b", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.c", false},
		{"*", "a", true},
		{"*", "a.b", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"*.>", "a", false},
		{"*.>", "a.b", true},
		{"system.*.health", "system.ingest.health", true},
		{"system.*.health", "system.ingest.control", false},
		// '*' needs a non-empty token; empty tokens make a subject invalid.
		{"a.*", "a.", false},
		{"a.>", "a.", false},
		{"a.*.c", "a..c", false},
		// '>' that is not the last token is invalid NATS and matches nothing.
		{"a.>.c", "a.b.c", false},
		{"", "", false},
		{"a", "", false},
	}
	for _, tc := range tests {
		if got := Matches(tc.pattern, tc.subject); got != tc.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}

func TestTokenRejectsSeparatorsWildcardsAndWhitespace(t *testing.T) {
	for _, ok := range []string{"decky-01", "ssh", "T1110", "host:name", "a_b", "ümlaut"} {
		if err := Token(ok); err != nil {
			t.Errorf("Token(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "*", "a*", ">", "a>", "a b", "a\tb", "a\nb", " ", "a\u00a0b"} {
		err := Token(bad)
		if err == nil {
			t.Errorf("Token(%q) = nil, want error", bad)
			continue
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Token(%q) error %v does not wrap ErrInvalidToken", bad, err)
		}
		if bad != "" && !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("Token(%q) error %q does not name the token", bad, err)
		}
	}
}

func TestBuildersProduceCatalogueSubjects(t *testing.T) {
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct{ got, want string }{
		{must(EventSubject("decky-01", "ssh")), "events.decky-01.ssh"},
		{must(HealthSubject("ingest")), "system.ingest.health"},
		{must(ControlSubject("ingest")), "system.ingest.control"},
		{must(TTPRuleFired("T1110")), "ttp.rule.fired.T1110"},
		{must(TTPRuleReloaded("r-1")), "ttp.rule.reloaded.r-1"},
		{must(TTPRuleState("r-1")), "ttp.rule.state.r-1"},
		{must(DeckyState("h-uuid", "decky-01")), "decky.h-uuid:decky-01.state"},
		{must(DeckyTraffic("decky-01")), "decky.decky-01.traffic"},
		{must(DeckyMutation("decky-01")), "decky.decky-01.mutation"},
		{must(DeckyLifecycle("decky-01")), "decky.decky-01.lifecycle"},
		{must(DeckyServiceAdded("d")), "decky.d.service_added"},
		{must(DeckyServiceRemoved("d")), "decky.d.service_removed"},
		{must(DeckyServiceConfigChanged("d")), "decky.d.service_config_changed"},
		{must(DeckyMutateRequest("d")), "decky.d.mutate_request"},
		{must(TopologyStatus("t1")), "topology.t1.status"},
		{must(TopologyMutation("t1", MutationApplied)), "topology.t1.mutation.applied"},
		{must(Orchestrator(OrchestratorEmail, "u1")), "orchestrator.email.u1"},
		{must(CanaryPlaced("tok")), "canary.tok.placed"},
		{must(CanaryTriggered("tok")), "canary.tok.triggered"},
		{must(CanaryRevoked("tok")), "canary.tok.revoked"},
		{must(AttackerObservation("keystroke.digraph_simhash")), "attacker.observation.keystroke.digraph_simhash"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if err := validSubject(tc.got); err != nil {
			t.Errorf("built subject %q is not a valid subject: %v", tc.got, err)
		}
	}
	for _, fixed := range []string{AttackerObserved, AttackerScored, AttackerSessionEnded, CredentialCaptured,
		CredentialReuseDetected, TTPTagged, EmailReceived, SMTPProbePending, SystemLog, IdentityFormed,
		IdentityCampaignAssigned, CampaignFormed, AttributionStateChanged, SystemWebhookSubscriptionsChanged} {
		if err := validSubject(fixed); err != nil {
			t.Errorf("catalogue subject %q invalid: %v", fixed, err)
		}
	}
	if !Matches(AttackerAll, AttackerSessionEnded) || !Matches(HealthAll, must(HealthSubject("x"))) ||
		!Matches(EventsAll, must(EventSubject("d", "s"))) {
		t.Error("family patterns do not match their members")
	}
}

func TestBuildersRejectInvalidTokensNamingThem(t *testing.T) {
	tests := []struct {
		name  string
		build func() (string, error)
		token string
	}{
		{"event decky with dot", func() (string, error) { return EventSubject("a.b", "ssh") }, "a.b"},
		{"event service wildcard", func() (string, error) { return EventSubject("d", "*") }, "*"},
		{"event empty decky", func() (string, error) { return EventSubject("", "ssh") }, ""},
		{"health with space", func() (string, error) { return HealthSubject("in gest") }, "in gest"},
		{"control with >", func() (string, error) { return ControlSubject(">") }, ">"},
		{"sub-technique", func() (string, error) { return TTPRuleFired("T1110.001") }, "T1110.001"},
		{"decky state name", func() (string, error) { return DeckyState("h", "x.y") }, "x.y"},
		{"decky traffic", func() (string, error) { return DeckyTraffic("") }, ""},
		{"topology id", func() (string, error) { return TopologyStatus("t*") }, "t*"},
		{"canary token", func() (string, error) { return CanaryTriggered("a b") }, "a b"},
		{"observation empty segment", func() (string, error) { return AttackerObservation("a..b") }, ""},
		{"observation wildcard", func() (string, error) { return AttackerObservation("a.>") }, ">"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.build()
			if err == nil {
				t.Fatalf("built %q, want error", s)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("error %v does not wrap ErrInvalidToken", err)
			}
			if tc.token != "" && !strings.Contains(err.Error(), `"`+tc.token+`"`) {
				t.Errorf("error %q does not name token %q", err, tc.token)
			}
		})
	}
	if _, err := TopologyMutation("t1", "exploded"); err == nil {
		t.Error("TopologyMutation accepted an unknown phase")
	}
	if _, err := Orchestrator("fax", "u1"); err == nil {
		t.Error("Orchestrator accepted an unknown kind")
	}
}

func TestEnvelopeRoundTripsThroughJSON(t *testing.T) {
	in := Envelope{V: 1, ID: newID(), Topic: "attacker.observed", Type: "observed", TS: 1700000000.25,
		Payload: json.RawMessage(`{"attacker_ip":"203.0.113.9"}`)}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"v", "id", "topic", "type", "ts", "payload"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("wire form lacks %q: %s", k, data)
		}
	}
	out, err := decodeEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.V != in.V || out.ID != in.ID || out.Topic != in.Topic || out.Type != in.Type || out.TS != in.TS ||
		string(out.Payload) != string(in.Payload) {
		t.Errorf("round trip mismatch:\n in %+v\nout %+v", in, out)
	}
	if got, want := out.Time(), time.Unix(1700000000, 250_000_000).UTC(); !got.Equal(want) {
		t.Errorf("Time() = %v, want %v", got, want)
	}
	if len(in.ID) != 32 {
		t.Errorf("id %q is not a uuid4 hex", in.ID)
	}
}

func TestDecodeEnvelopeFillsDefaultsAndRegeneratesMissingID(t *testing.T) {
	env, err := decodeEnvelope([]byte(`{"type":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if env.V != 1 || env.ID == "" || string(env.Payload) != "{}" {
		t.Errorf("defaults not applied: %+v", env)
	}
	if _, err := decodeEnvelope([]byte(`[1,2]`)); err == nil {
		t.Error("non-object body accepted")
	}
}

func TestRedactHidesURLSecrets(t *testing.T) {
	got := redact("nats://user:s3cret@h1:4222, nats://tok3n@h2:4222,nats://h3:4222")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "tok3n") {
		t.Errorf("secret leaked: %s", got)
	}
	if !strings.Contains(got, "h1:4222") || !strings.Contains(got, "h3:4222") {
		t.Errorf("hosts lost: %s", got)
	}
}
