//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/cloudflare/tableflip"

	"github.com/reloader-dev/reloader/supervisor"
)

// manifestName is the tableflip file that lists the sockets an upgrading
// reloader hands over, in fd order: the new reloader needs every one, also
// those systemd passed (which no -l names, and whose LISTEN_FDS is gone).
const manifestName = "reloader-sockets"

// handedSocket is one line of the manifest.
type handedSocket struct {
	Name    string `json:"name,omitempty"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Keep    bool   `json:"keep,omitempty"`
	// Asked marks an address a child asked for on demand: the new
	// reloader keeps it out of LISTEN_FDS too.
	Asked bool `json:"asked,omitempty"`
}

// addManifest gives tableflip a pipe holding the manifest of socks.
func addManifest(upg *tableflip.Upgrader, socks []supervisor.ServingSocket) error {
	list := make([]handedSocket, len(socks))
	for i, ss := range socks {
		list[i] = handedSocket{Name: ss.Name, Network: ss.Network, Addr: ss.Addr, Keep: ss.Keep, Asked: ss.Asked}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("socket manifest: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("socket manifest: %w", err)
	}
	defer r.Close()
	_, err = w.Write(b) // far below a pipe's capacity
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("socket manifest: %w", err)
	}
	if err := upg.Fds.AddFile(manifestName, r); err != nil {
		return fmt.Errorf("socket manifest: %w", err)
	}
	return nil
}

// readManifest returns the sockets the old reloader listed; ok is false
// when it sent no manifest.
func readManifest(upg *tableflip.Upgrader) (list []handedSocket, ok bool, err error) {
	f, err := upg.Fds.File(manifestName)
	if err != nil || f == nil {
		return nil, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, false, fmt.Errorf("socket manifest: %w", err)
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, false, fmt.Errorf("socket manifest: %w", err)
	}
	return list, true, nil
}

// inheritedConn takes the socket handed over for network and addr from
// tableflip; nil when there is none.
func inheritedConn(upg *tableflip.Upgrader, network, addr string) (syscall.Conn, error) {
	if network == "udp" {
		pc, err := upg.Fds.PacketConn(network, addr)
		if pc == nil || err != nil {
			return nil, err
		}
		return pc.(syscall.Conn), nil
	}
	ln, err := upg.Fds.Listener(network, addr)
	if ln == nil || err != nil {
		return nil, err
	}
	return ln.(syscall.Conn), nil
}

// inheritFromParent takes over the sockets an upgrading reloader handed
// over: every one its manifest lists, in its fd order, then any -l address
// it did not hand over. An older reloader sends no manifest: its sockets
// are looked up by the -l addresses.
func inheritFromParent(upg *tableflip.Upgrader, cfg supervisor.Config) (supervisor.Config, error) {
	list, ok, err := readManifest(upg)
	if err != nil {
		return cfg, fmt.Errorf("reloader: serve: %w", err)
	}
	if !ok {
		for _, a := range cfg.Listen {
			list = append(list, handedSocket{Name: a.Name, Network: a.Network, Addr: a.Addr})
		}
	}
	taken := make([]bool, len(cfg.Listen))
	for _, h := range list {
		a := supervisor.Address{Name: h.Name, Network: h.Network, Addr: h.Addr}
		conn, err := inheritedConn(upg, h.Network, h.Addr)
		if err != nil {
			return cfg, fmt.Errorf("reloader: serve: inherited %s: %w", a, err)
		}
		if conn == nil {
			if ok {
				return cfg, fmt.Errorf("reloader: serve: inherited %s: the old reloader listed it but handed nothing over", a)
			}
			continue
		}
		for i, l := range cfg.Listen {
			if !taken[i] && sameSocket(l, a) {
				taken[i] = true
				break
			}
		}
		cfg.Inherited = append(cfg.Inherited, supervisor.InheritedSocket{Address: a, Conn: conn, Busy: true, Keep: h.Keep, Asked: h.Asked})
	}
	var rest []supervisor.Address
	for i, l := range cfg.Listen {
		if !taken[i] {
			rest = append(rest, l)
		}
	}
	cfg.Listen = rest
	return cfg, nil
}

// sameSocket reports whether the -l address l is the handed-over socket a:
// the same network, and the same address or (for a port chosen at bind,
// ":0") the same name, empty or not.
func sameSocket(l, a supervisor.Address) bool {
	if l.Network != a.Network {
		return false
	}
	if l.Addr == a.Addr {
		return true
	}
	if l.Network == "unix" {
		return false
	}
	if _, port, err := net.SplitHostPort(l.Addr); err == nil && port == "0" {
		return l.Name == a.Name
	}
	return false
}
