// Package watcher watches a Go source tree and delivers debounced batches of
// changed files.
//
// It is the only part of reloader that talks to the operating system's file
// notification API (through github.com/fsnotify/fsnotify). The supervisor
// reads [Batch] values from [Watcher.Changes] and rebuilds and restarts the
// server for each one.
//
// # Lifecycle
//
// [New] walks the tree and adds one watch per directory before it returns, so
// a change made after New returns is never missed. Events are queued (by the
// kernel and by fsnotify) until [Watcher.Run] starts processing them. Run
// blocks until its context is cancelled or [Watcher.Close] is called; when it
// returns, the Changes and Errors channels are closed and all OS resources
// are released. A Watcher runs at most once. Call Close when New succeeded but
// Run is never called; calling it after Run is harmless.
//
//	w, err := watcher.New(watcher.Options{Root: "."})
//	if err != nil {
//		return err
//	}
//	defer w.Close()
//	go w.Run(ctx)
//	for b := range w.Changes() {
//		rebuild(b)
//	}
//
// # What counts as a change
//
// A path counts when its base name is one of [Options.Names] or its extension
// is one of [Options.Extensions] (by default "go.mod", "go.sum" and ".go"),
// and it is not:
//
//   - a test file (name ending in "_test.go"), unless [Options.IncludeTests];
//   - an editor temporary file: "*.swp", "*.swo", "*.swx", "*~", "4913",
//     ".#*", "*___jb_tmp___", "*___jb_old___";
//   - a hidden file (name starting with "."), unless listed in Names;
//   - rejected by [Options.Ignore].
//
// Directories named in [Options.SkipDirs] (by default .git, vendor,
// node_modules and testdata), hidden directories and directories rejected by
// Options.Ignore are never entered or watched. The root itself is always
// watched. Symbolic links are not followed (except for the root).
//
// Creating, writing, removing or renaming a matching file counts as a change
// of that file; a change of attributes only (chmod, or touch on an existing
// file) does not. A change is a change of content: the watcher keeps a hash
// of every matching file up to [MaxHashSize] bytes, read when watching
// starts, and when a batch is about to be delivered it reads the files
// written and drops those whose bytes are as they were (a save without
// edits, a generator that writes the same output). [Watcher.Hold] makes
// the writes of a generator not count at all. An editor that saves by writing a temporary file and renaming it
// over the real one (vim, JetBrains IDEs, many "safe write" modes) therefore
// produces one change of the real file. When a directory appears (mkdir, mv
// into the tree, git checkout), it is watched and walked at once, and every
// matching file already inside it counts as changed, so files created before
// the watch was in place are not missed. When a watched directory is removed
// or renamed away, the directory's own path counts as changed, because the
// files it contained are gone from the build.
//
// # Batching
//
// Changes are collected until no event has arrived for [Options.Debounce]
// (the quiet period restarts on every event while changes are pending), or
// until [Options.MaxWait] has passed since the first change, whichever comes
// first. The distinct changed paths then form one [Batch]. If the consumer
// has not yet received the previous batch, the new changes are merged into
// it: the watcher never blocks on a slow consumer and never drops a change.
// A burst such as a git checkout touching thousands of files therefore yields
// a single batch.
//
// If the kernel event queue overflows, the watcher rescans the tree for new
// directories, reports [ErrOverflow] on [Watcher.Errors], and adds the root
// directory itself to the next batch, meaning "anything may have changed".
//
// # Platform notes
//
// On Linux every watched directory uses one inotify watch, limited per user
// by the sysctl fs.inotify.max_user_watches, and every Watcher uses one
// inotify instance, limited by fs.inotify.max_user_instances. Hitting a
// limit yields an error wrapping [ErrWatchLimit] or [ErrInstanceLimit] whose
// message names the sysctl and its current value. On macOS and the BSDs
// (kqueue) fsnotify opens one file descriptor per watched file and directory,
// so large trees may need a higher open-file limit (ulimit -n). Paths are
// compared case-sensitively on all platforms.
package watcher
