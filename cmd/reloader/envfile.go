package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/reloader-dev/reloader/supervisor"
)

// envFiles returns the run.env_file files and checks that they parse. The
// default (.env) is optional: a missing .env is fine; a file the user
// names must exist. Relative paths are relative to the working directory.
func (s *settings) envFiles() ([]supervisor.EnvFile, error) {
	optional := s.origin("run.env_file") == "default"
	var files []supervisor.EnvFile
	for _, p := range s.list("run.env_file") {
		if strings.TrimSpace(p) == "" {
			return nil, s.errorf("run.env_file", "an empty path")
		}
		files = append(files, supervisor.EnvFile{Path: p, Optional: optional})
	}
	if _, err := supervisor.ReadEnvFiles(".", files); err != nil {
		return nil, s.keyError("run.env_file", err)
	}
	return files, nil
}

// printAppEnv writes, as TOML comments, every variable the env files and
// run.env give the app and where its value comes from (FILE:LINE, or
// where run.env was set). Values are not shown: env files hold secrets.
func printAppEnv(w io.Writer, s *settings) {
	files, err := s.envFiles()
	if err != nil {
		fmt.Fprintf(w, "# app environment: %v\n", err)
		return
	}
	vars, _ := supervisor.ReadEnvFiles(".", files)
	origin := map[string]string{}
	for _, v := range vars {
		origin[v.Key] = fmt.Sprintf("%s:%d", v.File, v.Line)
	}
	run, _ := s.env("run.env")
	for _, kv := range run {
		k, _, _ := strings.Cut(kv, "=")
		origin[k] = "run.env (" + s.origin("run.env") + ")"
	}
	if len(origin) == 0 {
		return
	}
	fmt.Fprintln(w, "# app environment (run.env beats run.env_file, which beats the inherited environment):")
	keys := make([]string, 0, len(origin))
	for k := range origin {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "#   %s from %s\n", k, origin[k])
	}
}
