package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 16, item 4: `reloader config` names where each variable the app
// gets comes from: FILE:LINE for the env files, the layer for run.env,
// which beats them.
func TestConfigShowsEnvFileOrigins(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), "command = [\"./app\"]\n\n[run]\nenv_file = [\".env\", \"local.env\"]\n")
	write(t, filepath.Join(dir, ".env"), "# shared\nA=1\nB=1\n")
	write(t, filepath.Join(dir, "local.env"), "B=2\nSECRET=hunter2\n")
	t.Chdir(dir)
	var out, stderr bytes.Buffer
	if code := runWithIO(context.Background(), []string{"config", "--env", "A=run"}, ioStreams{Out: &out, Err: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		`run.env_file = [".env", "local.env"]`,
		"#   A from run.env (flag --env)",
		"#   B from local.env:1",
		"#   SECRET from local.env:2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("config output shows an env file's value:\n%s", out.String())
	}
}

// A missing .env is fine when it is the default; a file the user lists
// must exist, and a bad line is an error naming the file and line.
func TestConfigEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	o, err := parse(t, dir, "--", "./app")
	if err != nil {
		t.Fatalf("no .env, default run.env_file: %v", err)
	}
	if len(o.Config.EnvFiles) != 1 || !o.Config.EnvFiles[0].Optional {
		t.Errorf("default env files = %+v, want an optional .env", o.Config.EnvFiles)
	}
	for _, tt := range []struct {
		name, file string
		args       []string
		want       string
	}{
		{"missing listed file", "", []string{"--env-file", "dev.env"}, "flag --env-file: run.env_file: supervisor: env file: open dev.env"},
		{"bad line", "A=1\nnot a line\n", nil, "default value: run.env_file: supervisor: env file .env:2: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				write(t, filepath.Join(dir, ".env"), tt.file)
			}
			_, err := parse(t, dir, append(tt.args, "--", "./app")...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one with %q", err, tt.want)
			}
		})
	}
}
