package watcher

import (
	"slices"
	"time"
)

// changeSet accumulates distinct changed paths.
type changeSet struct {
	seen  map[string]struct{}
	paths []string            // the first MaxBatchPaths paths of seen, in order
	files map[string]struct{} // the paths of seen that are files whose content is to be checked
	first time.Time           // when the first path was added
}

func newChangeSet() *changeSet {
	return &changeSet{seen: make(map[string]struct{}), files: make(map[string]struct{})}
}

// addFile adds path, a file whose content verify checks.
func (c *changeSet) addFile(path string) {
	c.add(path)
	c.files[path] = struct{}{}
}

// remove takes path out of c.
func (c *changeSet) remove(path string) {
	delete(c.seen, path)
	delete(c.files, path)
	if i := slices.Index(c.paths, path); i >= 0 {
		c.paths = slices.Delete(c.paths, i, i+1)
	}
}

func (c *changeSet) empty() bool { return len(c.seen) == 0 }

func (c *changeSet) add(path string) {
	if _, ok := c.seen[path]; ok {
		return
	}
	if len(c.seen) == 0 {
		c.first = time.Now()
	}
	c.seen[path] = struct{}{}
	if len(c.paths) < MaxBatchPaths {
		c.paths = append(c.paths, path)
	}
}

// merge adds the paths of o to c. Ordered paths go first: if o.paths is
// full, c.paths is full afterwards, so the unordered rest of o.seen only
// affects the count.
func (c *changeSet) merge(o *changeSet) {
	for _, p := range o.paths {
		c.add(p)
	}
	for p := range o.seen {
		c.add(p)
	}
	for p := range o.files {
		c.files[p] = struct{}{}
	}
}

func (c *changeSet) batch() Batch {
	return Batch{Paths: c.paths[:len(c.paths):len(c.paths)], Count: len(c.seen)}
}
