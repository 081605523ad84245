package main

import (
	"log/slog"
	"os"
	"os/signal"
)

// earlySignals takes the signals reloader handles from the very start, so
// that one arriving during start-up (supervisor.New may retry a busy
// address for bind_wait) never kills reloader by its default action. Until
// started is called each is logged and dropped: the first child runs the
// current code anyway, and a self-upgrade needs a reloader that serves.
type earlySignals struct {
	c    chan os.Signal
	stop chan struct{}
	done chan struct{}
}

// notifyEarly starts taking sigs. Call close when done.
func notifyEarly(log *slog.Logger, sigs ...os.Signal) *earlySignals {
	if log == nil {
		log = slog.Default()
	}
	e := &earlySignals{c: make(chan os.Signal, 2), stop: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(e.c, sigs...)
	go func() {
		defer close(e.done)
		for {
			select {
			case sig := <-e.c:
				log.Warn("signal during start-up; ignored", "event", "signal_ignored", "signal", sig.String())
			case <-e.stop:
				return
			}
		}
	}()
	return e
}

// started ends the start-up and returns the channel on which the signals
// arrive from now on.
func (e *earlySignals) started() <-chan os.Signal {
	close(e.stop)
	<-e.done
	return e.c
}

// close stops taking the signals.
func (e *earlySignals) close() { signal.Stop(e.c) }
