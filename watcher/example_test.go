package watcher_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/reloader-dev/reloader/watcher"
)

func Example() {
	root, err := os.MkdirTemp("", "watcher-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)

	w, err := watcher.New(watcher.Options{
		Root: root,
		// Exclude the directory the supervisor builds into.
		Ignore: func(path string, isDir bool) bool {
			return isDir && filepath.Base(path) == "bin"
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := w.Run(ctx); err != nil {
			log.Print(err)
		}
	}()

	// The watcher is ready as soon as New returns.
	for name, content := range map[string]string{
		"main.go":   "package main\n",
		"README.md": "not a Go file, does not count\n",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	select {
	case b := <-w.Changes():
		rel, _ := filepath.Rel(w.Root(), b.First())
		fmt.Printf("%d file(s) changed, first: %s\n", b.Count, rel)
	case <-time.After(5 * time.Second):
		fmt.Println("timeout")
	}
	// Output: 1 file(s) changed, first: main.go
}
