// Package supervisor runs a Go app in generations and swaps a new
// generation in when its sources change, without refusing a request: the
// supervisor owns the listening sockets and never closes them.
//
// # A swap
//
// A change (a file edit, Reload, SIGHUP) starts a new generation while the
// current child keeps serving:
//
//  1. Build. The rules (Config.Rules) whose files changed run, then the
//     pre_build hook, then `go build` for a `go run` command (or the
//     configured build command); what rules and the hook write is no new
//     change (watcher.Watcher.Hold), in the watch root and in every other
//     directory watched (the modules outside it, the env files). A rule
//     may ask for less: a restart of the serving binary (no build), a
//     BrowserRefresh or nothing, and such a change waits for a build
//     under way. A change that arrives during the build cancels it and
//     builds again. A failed build emits BuildFailed with the compiler's
//     output; the old child keeps serving.
//     On Linux, with Config.Instrument, the go build adds reloader's hook
//     file to the main package through -overlay (internal/instrument; the
//     source tree is never written); if that build fails where a plain one
//     succeeds, InstrumentFailed is emitted and the run builds plainly.
//     The build and the hooks run at Config.BuildNice (nice 10 by
//     default, and the lowest best-effort I/O priority on Linux): the exec
//     shim lowers its new process group before it execs them, so the
//     compiler's children never take the CPU from the serving child.
//  2. Start. The child is started in its own process group with what the
//     server hands out: the sockets at fds 3, 4, ... with LISTEN_FDS,
//     LISTEN_PID (set by the exec shim) and LISTEN_FDNAMES, a private
//     NOTIFY_SOCKET, or, behind the proxy, a private port in $PORT.
//  3. Ready. The child is ready on READY=1, on the proxy's connect probe,
//     when /proc shows it blocked in accept on a socket it was handed or
//     with one in an epoll set (Linux, ReadyAuto), or after staying up for
//     the ready delay (Config.Ready). A child that
//     exits or times out first is killed and StartFailed is emitted; the
//     old child keeps serving. Changes that arrive meanwhile wait, merged
//     into one, and build once this generation is settled.
//  4. Steer. The ready child is promoted: with steering, a BPF program
//     sends every new connection to its own SO_REUSEPORT socket; with one
//     shared socket both children accept; the proxy sends new requests to
//     it. Swapped is emitted.
//  5. Drain. The old child is retired in the background: with steering,
//     the supervisor waits until its accept queue is empty, then sends it
//     the stop signal, waits up to the stop timeout and kills its process
//     group.
//  6. Retire. The old child's sockets, binary and process group are
//     released.
//
// # What starts a generation
//
// For a `go run` Command, only changes to what the binary is built from
// count: the directories `go list -deps` names outside GOROOT and the
// module cache (modules outside the watch root, such as go.work `use`
// directories and `replace ../x` targets, are watched from their module
// root), the files they embed, go.mod, go.sum, go.work, and what
// WatchRoot (when set) and WatchInclude add. The list runs after every
// swap and when a module file changes (WatchingDeps); before its first
// answer, or when it fails (WatchDepsFailed), every file under the watch
// root counts, as it does for other commands. A change to one of
// Config.EnvFiles starts a new child of the serving build without a build
// (Restarting): env files are read for every generation.
//
// # Sockets on demand
//
// A child reloader built with its instrumentation (Linux) also gets
// RELOADER_HOOK_SOCKET, a private unix SOCK_SEQPACKET socket next to its
// NOTIFY_SOCKET. The app asks there for the socket of each TCP address it
// listens on; an address the supervisor does not hold yet is bound then
// (Listening with asked_by=app) and held from then on, with a steered
// socket per generation as for -l, but never in LISTEN_FDS: each
// generation gets it by asking. The app's first accept on a socket it was
// handed makes it ready (via "accept"), before any delay. An address the
// new generation does not ask for keeps the old child's socket until that
// child stops; connections then wait in its queue for the next generation
// that asks.
//
// In sequential mode (Config.Restart, and on platforms that cannot hand
// sockets to a child) the old child is stopped after step 1 and before
// step 2; requests wait in the kernel's queue meanwhile. An app that binds
// its own port cannot start next to the old child: when a new child fails
// with "address already in use" on an address the old child's process
// group listens on, the run switches to sequential mode for good, emits
// SequentialFallback once, and starts the same build again at once. A serving child
// that exits on its own emits Crashed and, with Config.RestartOnCrash, is
// restarted after a backoff that doubles up to a cap.
//
// # Live reload
//
// With Config.LiveReload the proxy serves the addresses (as Config.Proxy),
// puts reloader's script into the app's HTML documents and serves
// /__reloader/ itself (internal/livereload). emit hands every event to its
// hub, which tells browsers: building, build-failed (the compiler output
// with editor links), swapped (emitted after the promotion, so the reload
// reaches the new child), crashed (the child's last lines), and css or
// reload for BrowserRefresh. A change that only touches Config.Assets
// starts no build: it emits BrowserRefresh.
//
// Everything that happens is an Event, delivered to Config.OnEvent and
// logged with a stable event= attribute.
package supervisor
