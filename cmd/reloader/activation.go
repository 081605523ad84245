package main

import "github.com/reloader-dev/reloader/supervisor"

// inheritFromSystemd adds the sockets systemd passed to reloader (socket
// activation) before the -l ones, so the child gets them from fd 3 on.
func inheritFromSystemd(cfg supervisor.Config) (supervisor.Config, error) {
	socks, err := supervisor.SocketsFromEnv()
	if err != nil {
		return cfg, err
	}
	cfg.Inherited = append(cfg.Inherited, socks...)
	return cfg, nil
}
