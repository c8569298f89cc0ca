package fleet

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	_ "github.com/decnet/decnet/internal/services/all"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

func newRuntime(t *testing.T) (*Runtime, *sqlstore.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Dialect: "sqlite", DSN: filepath.Join(dir, "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt, err := New(Options{Repo: st, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.StopAll(context.Background()) })
	return rt, st
}

func testDecky(name, ip string, services ...string) model.Decky {
	return model.Decky{
		Name: name, HostUUID: model.LocalHost, Hostname: "srv-" + name, Distro: "debian", NmapOS: "linux",
		Seed: 7, IP: ip, NetMode: model.NetLoopback, Services: services, State: model.DeckyPending,
	}
}

// addr returns where the decky's service listens, from the runtime's view.
func addr(t *testing.T, rt *Runtime, name, service string) string {
	t.Helper()
	sts, err := rt.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Name != name {
			continue
		}
		for _, s := range st.Services {
			if s.Name == service && len(s.Ports) > 0 {
				return net.JoinHostPort(st.IP, strconv.Itoa(s.Ports[0].Port))
			}
		}
	}
	t.Fatalf("%s/%s is not listening", name, service)
	return ""
}

func dials(a string) bool {
	c, err := net.DialTimeout("tcp", a, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestReconcileStartsStoredDeckiesAndStopsRemovedOnes(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	if err := st.CreateDeckies(ctx, []model.Decky{
		testDecky("a", "127.81.0.2", "ssh", "telnet"), testDecky("b", "127.81.0.3", "ssh"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	sshA, telnetA, sshB := addr(t, rt, "a", "ssh"), addr(t, rt, "a", "telnet"), addr(t, rt, "b", "ssh")
	for _, a := range []string{sshA, telnetA, sshB} {
		if !dials(a) {
			t.Errorf("%s does not accept connections", a)
		}
	}
	if d, _ := st.GetDecky(ctx, model.LocalHost, "a"); d.State != model.DeckyRunning || d.LastError != "" {
		t.Errorf("stored state %q %q, want running", d.State, d.LastError)
	}
	if err := st.DeleteDecky(ctx, model.LocalHost, "b"); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if dials(sshB) {
		t.Error("a removed decky still listens")
	}
	if !dials(sshA) {
		t.Error("the remaining decky stopped listening")
	}
}

func TestChangedServicesRestartTheDecky(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	d := testDecky("a", "127.81.1.2", "ssh")
	if err := st.CreateDeckies(ctx, []model.Decky{d}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	sshA := addr(t, rt, "a", "ssh")
	d.Services = []string{"telnet"}
	if err := st.UpdateDecky(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if dials(sshA) {
		t.Error("ssh still listens after it was removed from the decky")
	}
	if !dials(addr(t, rt, "a", "telnet")) {
		t.Error("telnet does not listen after it was added")
	}
}

func TestAPortInUseDegradesTheDeckyWithAnActionableError(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	// Something else already holds the telnet port of this address.
	var blocker net.Listener
	var err error
	for _, port := range []int{23, 23 + UnprivilegedPortOffset} {
		if blocker, err = net.Listen("tcp", net.JoinHostPort("127.81.2.2", strconv.Itoa(port))); err == nil {
			break
		}
	}
	if blocker == nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	if err := st.CreateDeckies(ctx, []model.Decky{testDecky("a", "127.81.2.2", "ssh", "telnet", "nosuch")}); err != nil {
		t.Fatal(err)
	}
	rt.Reconcile(ctx)
	d, err := st.GetDecky(ctx, model.LocalHost, "a")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != model.DeckyDegraded {
		t.Errorf("state %q, want degraded", d.State)
	}
	for _, want := range []string{"telnet: ", "is already in use", `nosuch: unknown service "nosuch"`} {
		if !strings.Contains(d.LastError, want) {
			t.Errorf("last_error %q lacks %q", d.LastError, want)
		}
	}
	if !dials(addr(t, rt, "a", "ssh")) {
		t.Error("the healthy service of a degraded decky does not listen")
	}
}

func TestADeckyThatCannotStartIsFailedAndNotRetriedEveryTick(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	if err := st.CreateDeckies(ctx, []model.Decky{testDecky("a", "127.81.3.2", "nosuch")}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err == nil {
		t.Error("Reconcile hid a decky that failed to start")
	}
	if d, _ := st.GetDecky(ctx, model.LocalHost, "a"); d.State != model.DeckyFailed {
		t.Errorf("state %q, want failed", d.State)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Errorf("second Reconcile retried an unchanged failed decky: %v", err)
	}
}

func TestHostKeysAndPersonaSurviveARestart(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	if err := st.CreateDeckies(ctx, []model.Decky{testDecky("a", "127.81.4.2", "ssh"), testDecky("b", "127.81.4.3", "ssh")}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	keyA, keyB := hostKey(t, addr(t, rt, "a", "ssh")), hostKey(t, addr(t, rt, "b", "ssh"))
	if keyA == keyB {
		t.Error("two deckies share a host key")
	}
	rt.StopAll(ctx)
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hostKey(t, addr(t, rt, "a", "ssh")); got != keyA {
		t.Error("a decky's host key changed across a restart")
	}
}
