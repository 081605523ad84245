package watcher

import "sync"

// holdRequest asks Run's goroutine to start (hold) or end a hold; done is
// closed once it did.
type holdRequest struct {
	hold bool
	done chan struct{}
}

// Hold makes the writes that happen from now until release is called not
// count: run a code generator between the two. When release is called the
// watcher takes the content the files have then as their content: a write
// made while held whose event arrives later counts only if it left other
// bytes than the ones the files held at release. Changes seen before Hold
// are delivered as usual meanwhile. Holds nest: the last release settles.
//
// Hold and release wait for Run's goroutine (Hold blocks until Run has
// started); after Run returned they do nothing. release may be called more
// than once; only the first call counts.
func (w *Watcher) Hold() (release func()) {
	return holdOn(w.holds, w.done)
}

func holdOn(holds chan<- holdRequest, done <-chan struct{}) func() {
	send := func(hold bool) bool {
		r := holdRequest{hold: hold, done: make(chan struct{})}
		select {
		case holds <- r:
		case <-done:
			return false
		}
		select {
		case <-r.done:
		case <-done:
		}
		return true
	}
	if !send(true) {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(func() { send(false) }) }
}

// settle ends a hold: it takes the events that already arrived, then
// walks the tree, reads the files written meanwhile and the new ones, and
// records what they hold now as their content. It costs what one walk of
// the Poller costs.
func (w *Watcher) settle(held *changeSet) {
	for {
		select {
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			w.handle(ev, held)
			continue
		default:
		}
		break
	}
	w.sums.rescan(&w.cfg)
	w.log.Debug("watcher: hold released", "absorbed", len(held.seen))
}
