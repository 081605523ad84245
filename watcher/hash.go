package watcher

import (
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxHashSize is the largest file whose content is hashed. A write to a
// bigger file always counts as a change; a write that leaves a smaller
// file's bytes as they were does not.
const MaxHashSize = 4 << 20

// fileSum is what the watcher remembers of a file that counts: its size and
// modification time (to tell cheaply whether it was written) and, for a
// file of at most MaxHashSize bytes, an FNV-64a hash of its content. It
// costs 24 bytes per file plus the map entry and the path.
type fileSum struct {
	size   int64
	mod    int64 // modification time, in nanoseconds since the epoch
	sum    uint64
	hashed bool // sum is set: the file was small enough
}

// sameContent reports whether a and b are known to hold the same bytes.
func (a fileSum) sameContent(b fileSum) bool {
	return a.hashed && b.hashed && a.size == b.size && a.sum == b.sum
}

// sameStamp reports whether a and b have the same size and modification
// time, so that the file was most likely not written in between.
func (a fileSum) sameStamp(b fileSum) bool { return a.size == b.size && a.mod == b.mod }

// stamp returns the size and modification time of fi.
func stamp(fi fs.FileInfo) fileSum {
	return fileSum{size: fi.Size(), mod: fi.ModTime().UnixNano()}
}

// sumFile reads the file at path and returns its stamp and, if it is at
// most MaxHashSize bytes long, the hash of its content. ok is false when
// it is not a regular file or cannot be read.
func sumFile(path string) (s fileSum, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return fileSum{}, false
	}
	s = stamp(fi)
	if fi.Size() > MaxHashSize {
		return s, true
	}
	h := fnv.New64a()
	// Read one byte past the limit, in case the file grew since Stat.
	n, err := io.Copy(h, io.LimitReader(f, MaxHashSize+1))
	if err != nil || n > MaxHashSize {
		return s, true
	}
	s.size, s.sum, s.hashed = n, h.Sum64(), true
	return s, true
}

// contentSums remembers the content of the files that count, so that a
// write which leaves a file's bytes unchanged is not a change. Make it with
// make: a nil contentSums cannot record.
type contentSums map[string]fileSum

// seed records path as it is now, at the first sight of it.
func (c contentSums) seed(path string) {
	if s, ok := sumFile(path); ok {
		c[path] = s
	}
}

// changed records path as it is now and reports whether its content
// differs from what was recorded: it appeared, went away, changed its
// bytes, or is too big to tell.
func (c contentSums) changed(path string) bool {
	old, known := c[path]
	now, ok := sumFile(path)
	if !ok {
		delete(c, path)
		// A file gone that was never seen (it came and went while held,
		// or it is not a regular file) is no change of the build.
		return known
	}
	c[path] = now
	return !known || !old.sameContent(now)
}

// rescan walks the tree as cfg filters it, re-reads the files that are
// new or whose size or modification time changed since they were
// recorded, and forgets the files that are gone. It is how writes whose
// events have not arrived yet are taken as the files' content.
func (c contentSums) rescan(cfg *config) {
	seen := make(map[string]bool, len(c))
	filepath.WalkDir(cfg.root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir():
			if cfg.skipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		case !d.Type().IsRegular() || !cfg.matchFile(path, d.Name()):
			return nil
		}
		seen[path] = true
		if fi, err := d.Info(); err == nil {
			if old, ok := c[path]; !ok || !old.sameStamp(stamp(fi)) {
				c.seed(path)
			}
		}
		return nil
	})
	for path := range c {
		if !seen[path] {
			delete(c, path)
		}
	}
}
