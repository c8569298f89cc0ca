//go:build !linux

package decky

import (
	"fmt"
	"syscall"
)

// socketControl applies nothing off Linux: the per-socket TTL and window
// imitation rely on Linux socket options, so deckies there show the host OS.
func socketControl(OSProfile) func(network, address string, c syscall.RawConn) error {
	return nil
}

func newAliasBinder(iface string) (Binder, error) {
	return nil, fmt.Errorf("alias mode needs Linux (netlink) to add addresses to %s: use --net-mode loopback on this system", iface)
}

func newMacvlanBinder(iface string) (Binder, error) {
	return nil, fmt.Errorf("macvlan mode needs Linux (netlink) to create links on %s: use --net-mode loopback on this system", iface)
}
