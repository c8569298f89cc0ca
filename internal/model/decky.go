package model

import "time"

// Decky states stored in fleet_deckies.state.
const (
	// DeckyPending is a decky planned but not yet serving.
	DeckyPending = "pending"
	// DeckyRunning is a decky whose every service is listening.
	DeckyRunning = "running"
	// DeckyDegraded is a decky with some services listening and some failed.
	DeckyDegraded = "degraded"
	// DeckyFailed is a decky none of whose services could start.
	DeckyFailed = "failed"
	// DeckyTornDown is a decky an operator removed.
	DeckyTornDown = "torn_down"
)

// Network binding modes of a decky's addresses.
const (
	// NetLoopback binds decky addresses inside 127.0.0.0/8: no privilege,
	// reachable from this host only.
	NetLoopback = "loopback"
	// NetAlias adds decky addresses to a real interface (CAP_NET_ADMIN).
	NetAlias = "alias"
	// NetMacvlan gives each decky a macvlan link with its own MAC
	// (CAP_NET_ADMIN).
	NetMacvlan = "macvlan"
)

// MutateIntervalGlobal is the MutateInterval of a decky that rotates on the
// global interval, which operators change at run time; it is a sentinel
// rather than a copy so a later change of the global value reaches it.
const MutateIntervalGlobal = -1

// LocalHost is the host_uuid of deckies run by this process (the original's
// "local" sentinel); swarm workers use their own uuid.
const LocalHost = "local"

// Decky is one fake host: its persona, address and services. It is the row
// of fleet_deckies and what the runtime serves.
type Decky struct {
	// Name is the decky's identity (syslog HOSTNAME, bus subject token).
	Name string `json:"name"`
	// HostUUID is the host that runs it; LocalHost for this process.
	HostUUID string `json:"host_uuid"`
	// Hostname is the persona's host name shown in prompts and banners.
	Hostname  string `json:"hostname"`
	Distro    string `json:"distro"`
	Archetype string `json:"archetype,omitempty"`
	// NmapOS is the OS family whose TTL and window the decky imitates.
	NmapOS string `json:"nmap_os"`
	// Seed drives every persona choice; derived from the name unless set.
	Seed uint64 `json:"seed"`
	IP   string `json:"ip"`
	// NetMode is NetLoopback, NetAlias or NetMacvlan; Interface is the
	// parent interface of the latter two.
	NetMode   string `json:"net_mode"`
	Interface string `json:"interface,omitempty"`
	// Services are service slugs in deploy order.
	Services []string `json:"services"`
	// ServiceConfig holds each service's validated config, by slug then key.
	ServiceConfig map[string]map[string]string `json:"service_config,omitempty"`
	// MutateInterval is the service rotation period in minutes; 0 disables
	// rotation and MutateIntervalGlobal follows the operator's global
	// interval (GET /config's global_mutation_interval).
	MutateInterval int       `json:"mutate_interval,omitempty"`
	LastMutated    time.Time `json:"last_mutated,omitzero"`
	State          string    `json:"state"`
	LastError      string    `json:"last_error,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}
