package services

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/shell"
)

// Protocols of a Port.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Port is one port a service listens on.
type Port struct {
	Number int    `json:"port"`
	Proto  string `json:"proto"`
}

func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Number, p.Proto) }

// Service is one emulated protocol. Implementations are stateless
// descriptions; New builds the per-decky instance the runtime feeds
// connections to.
type Service interface {
	// Name is the unique slug (ssh, http, smtp_relay …).
	Name() string
	// Description is one line for `decnet services`.
	Description() string
	// Ports are the ports the service binds with this config: every
	// declared port is bound.
	Ports(cfg Config) []Port
	// Schema lists the config keys with their types and defaults.
	Schema() Schema
	// New prepares the service for one decky. It must not listen: the
	// runtime opens the sockets and applies the shared limits.
	New(env *Env) (Handler, error)
}

// Handler serves the TCP connections of one service in one decky. It
// returns when the connection is done; the runtime closes it afterwards and
// recovers a panic into a protocol_error event.
type Handler interface {
	ServeConn(ctx context.Context, c *Conn)
}

// PacketHandler is implemented by handlers of services with UDP ports; it
// reads from pc until ctx ends or pc is closed.
type PacketHandler interface {
	ServePacket(ctx context.Context, pc net.PacketConn, port Port) error
}

// Env is what a service instance gets from its decky.
type Env struct {
	Decky  model.Decky
	Config Config
	// Emitter sends this service's events.
	Emitter *Emitter
	// HostKeys are the decky's persisted SSH host keys (Ed25519, ECDSA,
	// RSA); TLS is its persisted self-signed certificate.
	HostKeys []ssh.Signer
	TLS      *tls.Certificate
	// FS is the decky's virtual filesystem, shared by its shell services.
	FS *shell.FS
	// Quarantine stores captured files for this decky and service.
	Quarantine *Quarantine
	// Notify publishes bus notifications (attacker.session.ended …); nil
	// drops them.
	Notify Notifier
	Limits Limits
	Logger *slog.Logger
}

// Rand returns a generator seeded by the decky and service, so persona
// choices (versions, banners, names) are stable per decky and differ across
// the fleet and across services.
func (e *Env) Rand() *rand.Rand {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(e.Emitter.service); i++ {
		h ^= uint64(e.Emitter.service[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(e.Decky.Seed, h))
}

// Notifier publishes a notification on the bus (core NATS, at most once).
type Notifier interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

var registry struct {
	sync.RWMutex
	m map[string]Service
}

// Register adds s to the registry. It panics on an empty or duplicate name:
// both are programming errors that must fail at start.
func Register(s Service) {
	registry.Lock()
	defer registry.Unlock()
	name := s.Name()
	if name == "" || strings.ContainsAny(name, " .*>\t") {
		panic(fmt.Sprintf("services: invalid service name %q", name))
	}
	if registry.m == nil {
		registry.m = make(map[string]Service)
	}
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("services: %q registered twice", name))
	}
	registry.m[name] = s
}

// Lookup returns the service registered as name, or an error listing the
// known ones.
func Lookup(name string) (Service, error) {
	registry.RLock()
	s, ok := registry.m[name]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown service %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// All returns every registered service sorted by name.
func All() []Service {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Service, 0, len(registry.m))
	for _, s := range registry.m {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Names returns the registered service names, sorted.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.Name()
	}
	return out
}

// Catalog adapts the registry to fleet planning, which must know service
// names and validate their config without importing every protocol.
type Catalog struct{}

// Names lists the registered services.
func (Catalog) Names() []string { return Names() }

// Known reports whether name is registered.
func (Catalog) Known(name string) bool {
	_, err := Lookup(name)
	return err == nil
}

// FleetSingleton is implemented by services that run once per fleet rather
// than once per decky (the original's fleet_singleton flag); they cannot be
// added to a decky.
type FleetSingleton interface {
	FleetSingleton() bool
}

// Singleton reports whether name is a registered fleet singleton.
func (Catalog) Singleton(name string) bool {
	s, err := Lookup(name)
	if err != nil {
		return false
	}
	fs, ok := s.(FleetSingleton)
	return ok && fs.FleetSingleton()
}

// Validate coerces raw config for service name (fleet.md §1.1 rules).
func (Catalog) Validate(name string, raw map[string]string) (map[string]string, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	out, err := s.Schema().Validate(raw)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", name, err)
	}
	return out, nil
}
