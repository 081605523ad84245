package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/reloader-dev/reloader/watcher"
)

// Then says what follows a rule's command.
type Then string

// The values of Rule.Then, weakest first.
const (
	ThenNone    Then = "none"    // nothing: the command only runs
	ThenReload  Then = "reload"  // BrowserRefresh, for the live-reload proxy
	ThenRestart Then = "restart" // a new child of the binary serving now, no build
	ThenRebuild Then = "rebuild" // a build and a new child, as for a .go file
)

// Thens lists the values of Rule.Then.
func Thens() []Then { return []Then{ThenRebuild, ThenRestart, ThenReload, ThenNone} }

// strength orders Then values: when the files of several rules change at
// once, the strongest Then follows. "" is no work at all.
func (t Then) strength() int {
	switch t {
	case "":
		return -1
	case ThenNone:
		return 0
	case ThenReload:
		return 1
	case ThenRestart:
		return 2
	}
	return 3
}

// Rule is a per-pattern action ([[watch.rule]] in .reloader.toml): when
// files it matches change, Run runs, then Then follows. A file that a rule
// matches counts as a change even if its extension is not watched, and its
// rules alone decide what follows it; a file no rule matches is rebuilt
// for as before.
type Rule struct {
	// Name names the rule in logs, output ("[name] ") and events. ""
	// means "rule N", N counting from 1 in Config.Rules.
	Name string
	// Match lists globs (doublestar syntax) of paths relative to the watch
	// root, "/"-separated: "**/*.templ". Empty matches nothing: the rule
	// runs only at start.
	Match []string
	// Exclude lists globs like Match; a file matching one is not the
	// rule's.
	Exclude []string
	// Run is the command, run in Dir as the pre_build hook is; its output
	// is prefixed "[name] " and its failure is a failed build. Files it
	// writes while it runs are no new change. Empty runs nothing.
	Run []string
	// Then is what follows. "" means ThenRebuild.
	Then Then
}

// label is the rule's name, or "rule N" for the i-th rule (from 0).
func (r Rule) label(i int) string {
	if r.Name != "" {
		return r.Name
	}
	return "rule " + strconv.Itoa(i+1)
}

// checkRules returns a *FieldError for the first bad rule.
func checkRules(rules []Rule) error {
	for i, r := range rules {
		bad := func(format string, args ...any) error {
			return &FieldError{Field: fmt.Sprintf("Rules[%d] (%s)", i, r.label(i)), Value: r, Err: fmt.Errorf(format, args...)}
		}
		if r.Then != "" && !slices.Contains(Thens(), r.Then) {
			return bad("then %q is not one of rebuild, restart, reload, none", r.Then)
		}
		if len(r.Run) > 0 && r.Run[0] == "" {
			return bad("run has an empty program name")
		}
		for _, g := range append(slices.Clone(r.Match), r.Exclude...) {
			if !doublestar.ValidatePattern(g) {
				return bad("bad glob %q", g)
			}
		}
	}
	return nil
}

// matches reports whether rel (relative to the watch root, "/"-separated)
// is the rule's.
func (r Rule) matches(rel string) bool {
	in := false
	for _, g := range r.Match {
		if doublestar.MatchUnvalidated(g, rel) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, g := range r.Exclude {
		if doublestar.MatchUnvalidated(g, rel) {
			return false
		}
	}
	return true
}

// ruleWork is what a change asks for: the rules to run, in Config.Rules
// order, and what follows them.
type ruleWork struct {
	rules []int            // indexes into Config.Rules, ascending
	paths map[int][]string // the files each rule matched, relative
	then  Then             // the strongest of the rules' Then, ThenRebuild for other files
}

// rebuild returns the work of a change no rule claims: a build.
func rebuild() ruleWork { return ruleWork{then: ThenRebuild} }

// merge returns the work of w and o together.
func (w ruleWork) merge(o ruleWork) ruleWork {
	out := ruleWork{then: w.then}
	if o.then.strength() > out.then.strength() {
		out.then = o.then
	}
	for _, x := range []ruleWork{w, o} {
		for _, i := range x.rules {
			if !slices.Contains(out.rules, i) {
				out.rules = append(out.rules, i)
			}
			if len(x.paths[i]) > 0 {
				if out.paths == nil {
					out.paths = map[int][]string{}
				}
				out.paths[i] = append(out.paths[i], x.paths[i]...)
			}
		}
	}
	slices.Sort(out.rules)
	return out
}

// startWork runs every rule that has a command, then builds: generators
// make what the first build needs.
func startWork(rules []Rule) ruleWork {
	w := rebuild()
	for i, r := range rules {
		if len(r.Run) > 0 {
			w.rules = append(w.rules, i)
		}
	}
	return w
}

// classify returns the work of batch b, whose paths are under root. A
// batch with more paths than it lists may hold files of any rule: it runs
// them all and builds.
func classify(rules []Rule, root string, b watcher.Batch) ruleWork {
	if len(rules) == 0 {
		return rebuild()
	}
	if b.Count > len(b.Paths) {
		return startWork(rules)
	}
	var w ruleWork
	claimed := 0
	for _, p := range b.Paths {
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		mine := false
		for i, r := range rules {
			if r.matches(rel) {
				mine = true
				w = w.merge(ruleWork{rules: []int{i}, paths: map[int][]string{i: {rel}}, then: cmp.Or(r.Then, ThenRebuild)})
			}
		}
		if mine {
			claimed++
		}
	}
	if claimed < len(b.Paths) || len(b.Paths) == 0 {
		w = w.merge(rebuild())
	}
	return w
}

// classify returns the work of a batch from the watcher.
func (s *Supervisor) classify(b watcher.Batch) ruleWork {
	if !s.cfg.Watch {
		return rebuild()
	}
	return classify(s.cfg.Rules, s.watchOpts.Root, b)
}

// ruleFilter is a watcher.Options.Also function: a file any rule matches
// counts.
func ruleFilter(rules []Rule, root string) func(string) bool {
	return func(path string) bool {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return false
		}
		rel = filepath.ToSlash(rel)
		for _, r := range rules {
			if r.matches(rel) {
				return true
			}
		}
		return false
	}
}

// runRules runs the commands of w's rules in order, holding the watch
// meanwhile, and emits RuleDone for each. The first failure stops them and
// is returned as a *BuildError.
func (s *Supervisor) runRules(ctx context.Context, w ruleWork) error {
	for _, i := range w.rules {
		r := s.cfg.Rules[i]
		if len(r.Run) == 0 {
			continue
		}
		name := r.label(i)
		start := time.Now()
		release := s.holdWatch()
		err := s.runCommand(ctx, name, r.Run)
		release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.emit(RuleDone{Rule: name, Then: cmp.Or(r.Then, ThenRebuild), Took: time.Since(start), Err: err})
		if err != nil {
			return &BuildError{Cmd: r.Run, Err: fmt.Errorf("watch.rule %w", err)}
		}
	}
	return nil
}

// refreshes returns the BrowserRefresh events of w's rules with then =
// "reload", one per rule.
func (s *Supervisor) refreshes(w ruleWork) []BrowserRefresh {
	var out []BrowserRefresh
	for _, i := range w.rules {
		r := s.cfg.Rules[i]
		if r.Then != ThenReload {
			continue
		}
		paths := w.paths[i]
		css := len(paths) > 0
		for _, p := range paths {
			css = css && strings.HasSuffix(p, ".css")
		}
		out = append(out, BrowserRefresh{Paths: paths, CSS: css, Source: r.label(i)})
	}
	return out
}

// errNoBinary is returned by relink when no binary serves to start again.
var errNoBinary = errors.New("no binary serves")

// relink returns what to start for a restart without a build: last, the
// build serving now, with its binary linked to a path of generation gen's
// own (the serving child's binary is removed when it is replaced). It
// wraps errNoBinary when there is none: then a build is needed.
func (s *Supervisor) relink(gen int, last built) (built, error) {
	if len(last.argv) == 0 {
		return built{}, errNoBinary
	}
	if last.binary == "" {
		return last, nil // the command itself, or a kept BuildOutput
	}
	out := filepath.Join(s.buildDir, "app-"+strconv.Itoa(gen))
	if err := os.Link(last.binary, out); err != nil {
		return built{}, fmt.Errorf("%w: %w", errNoBinary, err)
	}
	b := last
	b.binary = out
	b.argv = append([]string{out}, last.argv[1:]...)
	return b, nil
}

// startsChild reports whether the work ends in a new child.
func (w ruleWork) startsChild() bool { return w.then == ThenRebuild || w.then == ThenRestart }

// buildStep runs attempt a's rules, then what its work asks for: a build
// (prepare), the serving binary again (relink, or a build when there is
// none), or nothing.
func (s *Supervisor) buildStep(ctx context.Context, a *attempt) (built, error) {
	if err := s.runRules(ctx, a.work); err != nil {
		return built{}, err
	}
	switch a.work.then {
	case ThenNone, ThenReload:
		return built{}, nil
	case ThenRestart:
		b, err := s.relink(a.gen, a.last)
		if !errors.Is(err, errNoBinary) {
			return b, err
		}
		s.log.Debug("no binary to restart; building", "err", err)
	}
	return s.gens.prepare(ctx, a.gen, a.change)
}
