// hooks_fail: config.md: a failing prestart hook fails the lifecycle; a failing poststart or
// poststop hook is a warning and the lifecycle goes on as if it had succeeded.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	prestartFails(t)
	poststartFails(t)
	poststopFails(t)
	t.Plan()
}

func newContainer(args []string, hooks func(sh, log string) *rspec.Hooks) (*ocitest.Container, string) {
	g := ocitest.DefaultConfig()
	g.SetProcessArgs(args)
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	log := filepath.Join(c.Bundle, "hooks.log")
	g.Config.Hooks = hooks(filepath.Join(c.Bundle, "bin", "busybox"), log)
	if err := ocitest.WriteConfig(c.Bundle, g); err != nil {
		ocitest.Fatal(err)
	}
	return c, log
}

func hook(sh, log, name string, code int) rspec.Hook {
	return rspec.Hook{Path: sh, Args: []string{"sh", "-c", fmt.Sprintf("cat >/dev/null; echo %s >> %s; exit %d", name, log, code)}}
}

func prestartFails(t *ocitest.TAP) {
	c, _ := newContainer([]string{"sh", "-c", "touch /ran"}, func(sh, log string) *rspec.Hooks {
		return &rspec.Hooks{Prestart: []rspec.Hook{hook(sh, log, "prestart1", 1)}}
	})
	defer c.Destroy()
	err := c.Create()
	if err == nil {
		err = c.Start()
	}
	t.Check(ocitest.Expect(true, err, "create+start with a failing prestart hook"), "a failing prestart hook MUST make the runtime generate an error", "config.md#prestart")
	c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	_, serr := os.Stat(filepath.Join(c.Bundle, "ran"))
	if serr == nil {
		serr = errors.New("the container's process ran")
	} else if errors.Is(serr, os.ErrNotExist) {
		serr = nil
	}
	t.Check(serr, "a failing prestart hook MUST stop the container: its process never runs", "config.md#prestart")
}

func poststartFails(t *ocitest.TAP) {
	c, log := newContainer([]string{"sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; touch /ran"}, func(sh, log string) *rspec.Hooks {
		return &rspec.Hooks{Poststart: []rspec.Hook{hook(sh, log, "poststart1", 1), hook(sh, log, "poststart2", 0)}}
	})
	defer c.Destroy()
	err := c.Create()
	if err == nil {
		err = c.Start()
	}
	t.Check(err, "a failing poststart hook MUST NOT fail start (log a warning, go on)", "config.md#poststart")
	t.Check(wantLog(log, "poststart1", "poststart2"), "after a failing poststart hook the remaining hooks run", "config.md#poststart")
	os.WriteFile(filepath.Join(c.Bundle, "go"), nil, 0o644)
	_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	if err == nil {
		_, err = os.Stat(filepath.Join(c.Bundle, "ran"))
	}
	t.Check(err, "after a failing poststart hook the container's process runs on to its end", "config.md#poststart")
}

func poststopFails(t *ocitest.TAP) {
	c, log := newContainer([]string{"true"}, func(sh, log string) *rspec.Hooks {
		return &rspec.Hooks{Poststop: []rspec.Hook{hook(sh, log, "poststop1", 1), hook(sh, log, "poststop2", 0)}}
	})
	defer c.Destroy()
	err := c.RunToExit()
	if err == nil {
		err = c.Delete()
	}
	t.Check(err, "a failing poststop hook MUST NOT fail delete (log a warning, go on)", "config.md#poststop")
	t.Check(wantLog(log, "poststop1", "poststop2"), "after a failing poststop hook the remaining hooks run", "config.md#poststop")
	_, err = c.State()
	t.Check(ocitest.Expect(true, err, "state after delete"), "after a failing poststop hook the container is still deleted", "config.md#poststop")
}

func wantLog(path string, want ...string) error {
	data, _ := os.ReadFile(path)
	if got := strings.Fields(string(data)); strings.Join(got, " ") != strings.Join(want, " ") {
		return fmt.Errorf("hooks ran: %v, want %v", got, want)
	}
	return nil
}
