//go:build unix

package main

import (
	"context"

	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/cloudflare/tableflip"
	"golang.org/x/sys/unix"

	"github.com/reloader-dev/reloader/supervisor"
)

// serveRun runs the supervisor under a tableflip upgrader until ctx is done
// or a self-upgrade has handed everything to a new reloader.
func serveRun(ctx context.Context, opts *ServeOptions) error {
	log := opts.Config.Logger
	// Before anything slow: a signal during start-up must not kill reloader.
	early := notifyEarly(log, syscall.SIGHUP, syscall.SIGUSR2)
	defer early.close()
	reapCtx, stopReaping := context.WithCancel(context.WithoutCancel(ctx)) // until serveRun returns
	defer stopReaping()
	adoptOrphans(reapCtx, log, false) // as PID 1 only
	// reloader writes the pid file itself: tableflip's is mode 0600 and
	// never removed.
	upg, err := tableflip.New(tableflip.Options{UpgradeTimeout: opts.UpgradeTimeout})
	if err != nil {
		return fmt.Errorf("reloader: serve: %w", err)
	}
	defer upg.Stop()
	if opts.PIDFile != "" {
		// After a self-upgrade the file names the new reloader, which keeps it.
		defer func() {
			if err := removePIDFile(opts.PIDFile, os.Getpid()); err != nil {
				log.Warn("serve: pid file", "event", "pid_file", "err", err)
			}
		}()
	}
	// tableflip's ready and names pipes (fds 3 and 4 of an upgraded
	// reloader) and its inherited sockets must never reach the app.
	cloexecAbove(2)

	cfg := opts.Config
	if upg.HasParent() {
		cfg, err = inheritFromParent(upg, cfg)
	} else {
		cfg, err = inheritFromSystemd(cfg)
	}
	if err != nil {
		return err
	}
	s, err := supervisor.New(ctx, cfg)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigs := early.started()
	go func() {
		select {
		case <-s.Ready():
		case <-runCtx.Done():
			return
		}
		// Before upg.Ready: the old reloader exits once it returns, and
		// the file must name this one by then.
		if opts.PIDFile != "" {
			if err := writePIDFile(opts.PIDFile, os.Getpid()); err != nil {
				log.Error("serve: pid file", "event", "pid_file", "err", err)
			}
		}
		if err := upg.Ready(); err != nil {
			log.Error("serve: ready", "event", "serve_ready", "err", err)
		} else {
			log.Info("serve: ready", "event", "serve_ready", "pid", os.Getpid(), "pid_file", opts.PIDFile)
		}
		if upg.HasParent() {
			log.Info("serve: upgraded; waiting for the old reloader to drain", "event", "upgraded")
			if err := upg.WaitForParent(runCtx); err != nil {
				log.Warn("serve: old reloader", "err", err)
			}
			s.ReleaseInherited()
			log.Info("serve: old reloader gone; released what it handed over", "event", "inherited_released")
		}
	}()
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGHUP {
					s.Reload("SIGHUP")
					continue
				}
				if os.Getpid() == 1 {
					// The old reloader exits after the hand-over, and the
					// kernel ends a pid namespace whose init exits.
					log.Error("upgrade failed; still serving", "event", "upgrade_failed", "err", "reloader is PID 1: its exit would end the container; restart the container instead")
					continue
				}
				upgrade(upg, s, log)
			case <-upg.Exit():
				// A new reloader is ready and owns the sockets.
				s.Handoff()
				cancel()
				return
			case <-runCtx.Done():
				return
			}
		}
	}()
	return s.Run(runCtx)
}

// upgrade hands the serving sockets to a new reloader process. On failure
// the old one keeps serving.
func upgrade(upg *tableflip.Upgrader, s *supervisor.Supervisor, log interface {
	Info(string, ...any)
	Error(string, ...any)
}) {
	socks := s.Serving()
	if err := addManifest(upg, socks); err != nil {
		log.Error("upgrade failed; still serving", "event", "upgrade_failed", "err", err)
		return
	}
	for _, ss := range socks {
		var err error
		switch c := ss.Conn.(type) {
		case tableflip.Listener:
			err = upg.Fds.AddListener(ss.Network, ss.Addr, c)
		case tableflip.PacketConn:
			err = upg.Fds.AddPacketConn(ss.Network, ss.Addr, c)
		default:
			err = fmt.Errorf("%T cannot be handed over", ss.Conn)
		}
		if err != nil {
			log.Error("upgrade failed; still serving", "event", "upgrade_failed", "addr", ss.Addr, "err", err)
			return
		}
	}
	log.Info("upgrading reloader", "event", "upgrading", "pid", os.Getpid())
	if err := upg.Upgrade(); err != nil {
		log.Error("upgrade failed; still serving", "event", "upgrade_failed", "err", err)
	}
}

// cloexecAbove sets FD_CLOEXEC on every open fd above n.
func cloexecAbove(n int) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		// No /proc: try the usual range.
		for fd := n + 1; fd < 256; fd++ {
			unix.CloseOnExec(fd)
		}
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > n {
			unix.CloseOnExec(fd)
		}
	}
}
