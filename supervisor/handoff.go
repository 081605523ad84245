package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
)

// InheritedSocket is a socket the supervisor did not open: one passed to
// reloader by systemd socket activation, or by the reloader it upgrades
// from.
type InheritedSocket struct {
	// Address names the socket. Name goes into LISTEN_FDNAMES; Network
	// and Addr describe it.
	Address
	// Conn is the socket: a *net.TCPListener, *net.UnixListener or
	// *net.UDPConn. The supervisor owns it from New on.
	Conn syscall.Conn
	// Busy means a child of another process still serves on it (an
	// upgrade in progress). The first child then gets a socket of its own
	// where steering is possible, and the socket is kept until
	// ReleaseInherited.
	Busy bool
}

// ServingSocket is the socket that currently serves an address.
type ServingSocket struct {
	Address
	Conn syscall.Conn
}

// openInherited makes a group from a socket someone else opened. Steering
// needs SO_REUSEPORT set on it already (systemd's ReusePort=, or an earlier
// reloader); otherwise the socket is shared by every child.
func openInherited(in InheritedSocket, steer bool, log *slog.Logger) (*sockGroup, error) {
	closer, ok := in.Conn.(io.Closer)
	if !ok {
		return nil, fmt.Errorf("supervisor: inherited socket %s: %T cannot be closed", in.Address, in.Conn)
	}
	fd, err := dupFD(in.Conn)
	if err != nil {
		return nil, &ListenError{in.Address, err}
	}
	m := &member{ln: closer, fd: fd}
	if in.Busy {
		m.users = 1 // the other process's child; see ReleaseInherited
		m.inherited = true
	}
	sg := &sockGroup{Address: in.Address, members: []*member{m}, serving: m}
	sg.opts.ReusePort = reusePortSet(fd)
	if steer && in.Network == "tcp" {
		if !sg.opts.ReusePort {
			log.Warn("connection steering unavailable for an inherited socket without SO_REUSEPORT (systemd: ReusePort=yes); using it shared", "addr", in.Addr)
		} else if err := attachSteering(fd, 0); err != nil {
			log.Warn("connection steering unavailable; using one shared socket", "addr", in.Addr, "err", err)
		} else {
			sg.steer = true
		}
	}
	return sg, nil
}

// releaseInherited drops the hold that Busy inherited sockets keep for the
// process they came from.
func (g *groups) releaseInherited() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, sg := range g.gs {
		for _, m := range sg.members {
			if m != nil && m.inherited {
				m.inherited = false
				g.releaseOne(i, m)
			}
		}
	}
}

// serving returns the sockets that serve now, in fd order.
func (g *groups) serving() []ServingSocket {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]ServingSocket, 0, len(g.gs))
	for _, sg := range g.gs {
		out = append(out, servingConn(sg.Address, sg.serving.ln))
	}
	return out
}

// steered reports whether any address is steered.
func (g *groups) steered() bool {
	for _, sg := range g.gs {
		if sg.steer {
			return true
		}
	}
	return false
}

// openAll opens the inherited sockets, then the configured addresses.
func openAll(ctx context.Context, cfg Config, log *slog.Logger) (*groups, error) {
	g := &groups{log: log}
	for _, in := range cfg.Inherited {
		sg, err := openInherited(in, !cfg.NoSteering, log)
		if err != nil {
			g.close()
			return nil, err
		}
		g.gs = append(g.gs, sg)
	}
	opts := ListenOptions{ReusePort: cfg.ReusePort, BindWait: cfg.BindWait, Log: log, UnixMode: cfg.UnixSocketMode}
	for _, a := range cfg.Listen {
		sg, err := openGroup(ctx, a, opts, !cfg.NoSteering && a.Network == "tcp", log)
		if err != nil {
			g.close()
			return nil, err
		}
		g.gs = append(g.gs, sg)
	}
	return g, nil
}
