// process: config.md "process": cwd, env, args, user (uid, gid, additionalGids, umask),
// noNewPrivileges, checked from inside.
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessCwd("/tmp")
	g.AddProcessEnv("CONFORMANCE", "process test=1")
	g.SetProcessArgs([]string{"/runtimetest", "--path=/", "an arg with spaces"})
	g.SetProcessUID(1)
	g.SetProcessGID(1)
	g.AddProcessAdditionalGid(2)
	g.AddProcessAdditionalGid(3)
	g.SetProcessUmask(0o027)
	g.SetProcessNoNewPrivileges(true)
	// A non-root user must still be able to read /config.json and run /runtimetest: both are
	// world-readable in the bundle.
	ocitest.Inside(t, "process", g, nil)
	t.Plan()
}
