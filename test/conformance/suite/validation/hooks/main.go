// hooks: config.md "POSIX-platform Hooks": when each runs, in order, with the state on stdin.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	// Hooks run in the runtime's namespace: they use the bundle's static busybox by host path.
	sh := filepath.Join(c.Bundle, "bin", "busybox")
	log := filepath.Join(c.Bundle, "hooks.log")
	hook := func(name string) rspec.Hook {
		// Each hook appends its name, then saves the state it read on stdin.
		script := fmt.Sprintf("echo %s >> %s; cat > %s", name, log, filepath.Join(c.Bundle, "state-"+name+".json"))
		return rspec.Hook{Path: sh, Args: []string{"sh", "-c", script}}
	}
	hooks := &rspec.Hooks{
		Prestart:      []rspec.Hook{hook("prestart1"), hook("prestart2")},
		CreateRuntime: []rspec.Hook{hook("createRuntime")},
		Poststart:     []rspec.Hook{hook("poststart1"), hook("poststart2")},
		Poststop:      []rspec.Hook{hook("poststop1"), hook("poststop2")},
	}
	g.Config.Hooks = hooks
	if err := ocitest.WriteConfig(c.Bundle, g); err != nil {
		ocitest.Fatal(err)
	}

	err = c.Create()
	t.Check(err, "create with hooks succeeds", "runtime.md#lifecycle")
	if err != nil {
		t.Plan()
		return
	}
	t.Check(wantLog(log, "prestart1", "prestart2", "createRuntime"), "create runs the prestart hooks in order, then createRuntime, and no later hook", "runtime.md#lifecycle config.md#prestart")
	t.Check(checkHookState(c, "prestart1", rspec.StateCreating, rspec.StateCreated), "a prestart hook reads the container's state (id, pid, bundle) on stdin", "config.md#posix-platform-hooks")

	err = c.Start()
	t.Check(err, "start succeeds", "runtime.md#start")
	t.Check(wantLog(log, "prestart1", "prestart2", "createRuntime", "poststart1", "poststart2"), "start runs the poststart hooks in order", "config.md#poststart")
	t.Check(checkHookState(c, "poststart1", rspec.StateRunning), "a poststart hook reads the state (running) on stdin", "config.md#posix-platform-hooks")

	os.WriteFile(filepath.Join(c.Bundle, "go"), nil, 0o644)
	if _, err := c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped); err != nil {
		t.Ok(false, "the process exits", ocitest.Diag(err))
	}
	err = c.Delete()
	t.Check(err, "delete succeeds", "runtime.md#delete")
	t.Check(wantLog(log, "prestart1", "prestart2", "createRuntime", "poststart1", "poststart2", "poststop1", "poststop2"), "delete runs the poststop hooks in order", "config.md#poststop")
	t.Check(checkHookState(c, "poststop1", rspec.StateStopped), "a poststop hook reads the state (stopped) on stdin", "config.md#posix-platform-hooks")
	t.Plan()
}

func wantLog(path string, want ...string) error {
	data, _ := os.ReadFile(path)
	got := strings.Fields(string(data))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		return fmt.Errorf("hooks ran: %v, want %v", got, want)
	}
	return nil
}

func checkHookState(c *ocitest.Container, name string, statuses ...rspec.ContainerState) error {
	data, err := os.ReadFile(filepath.Join(c.Bundle, "state-"+name+".json"))
	if err != nil {
		return err
	}
	var st rspec.State
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("hook stdin is not a state: %v: %q", err, data)
	}
	if st.ID != c.ID {
		return fmt.Errorf("state id %q, want %q", st.ID, c.ID)
	}
	want, _ := filepath.EvalSymlinks(c.Bundle)
	got, _ := filepath.EvalSymlinks(st.Bundle)
	if got != want {
		return fmt.Errorf("state bundle %q, want %q", st.Bundle, c.Bundle)
	}
	ok := false
	for _, s := range statuses {
		ok = ok || st.Status == s
	}
	if !ok {
		return fmt.Errorf("state status %q, want one of %v", st.Status, statuses)
	}
	if name != "poststop1" && st.Pid <= 0 {
		return fmt.Errorf("state pid %d, want the container process's pid", st.Pid)
	}
	return nil
}
