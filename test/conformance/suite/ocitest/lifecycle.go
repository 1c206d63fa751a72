package ocitest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	rspec "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"
)

// ExitTimeout bounds how long a short container process may take to reach `stopped`.
const ExitTimeout = 10 * time.Second

// Container is one container of a program, in its own bundle.
type Container struct {
	*Runtime
	Config *generate.Generator
}

// NewContainer prepares a bundle for g; pre (may be nil) can add files before config.json is
// written. Call Destroy when done.
func NewContainer(g *generate.Generator, pre func(bundle string) error) (*Container, error) {
	bundle, err := PrepareBundle()
	if err != nil {
		return nil, err
	}
	c := &Container{Runtime: NewRuntime(bundle), Config: g}
	if pre != nil {
		if err := pre(bundle); err != nil {
			c.Destroy()
			return nil, err
		}
	}
	if err := WriteConfig(bundle, g); err != nil {
		c.Destroy()
		return nil, err
	}
	return c, nil
}

// Destroy removes the container (if any) and its bundle.
func (c *Container) Destroy() {
	c.Clean()
	os.RemoveAll(c.Bundle)
}

// RunToExit creates and starts the container and waits until it is stopped.
func (c *Container) RunToExit() error {
	if err := c.Create(); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	_, err := c.WaitFor(ExitTimeout, rspec.StateStopped)
	return err
}

// Inside runs g's process (/runtimetest by default) to its exit and turns each of its checks
// into a test point named "<label>: <check>", then one point for the run itself. The points are
// the same, in the same order, whether the container ran or not (a check with no result is a
// skip, and the run's point fails), so their numbers are stable for known-failures.txt.
func Inside(t *TAP, label string, g *generate.Generator, pre func(bundle string) error) {
	names, err := exec.Command("./runtimetest", "--list").Output()
	if err != nil {
		Fatal(fmt.Errorf("./runtimetest --list: %v", err))
	}
	c, err := NewContainer(g, pre)
	if err != nil {
		Fatal(err)
	}
	defer c.Destroy()
	runErr := c.RunToExit()
	stdout, stderr := c.Output()
	type result struct {
		ok     bool
		reason string
	}
	results := map[string]result{}
	for _, line := range strings.Split(stdout, "\n") {
		ok := strings.HasPrefix(line, "ok ")
		if !ok && !strings.HasPrefix(line, "not ok ") {
			continue
		}
		_, desc, _ := strings.Cut(line, " - ")
		name, reason, _ := strings.Cut(desc, " :: ")
		results[name] = result{ok, reason}
	}
	missing := 0
	for _, name := range strings.Split(strings.TrimSpace(string(names)), "\n") {
		r, seen := results[name]
		switch {
		case !seen:
			// Not a second failure for one cause: the run's own point below fails.
			missing++
			t.Skip(label+": "+name, "no result: the container did not run /runtimetest to the end")
		case r.reason != "":
			t.Ok(r.ok, label+": "+name, map[string]string{"error": r.reason})
		default:
			t.Ok(r.ok, label+": "+name, nil)
		}
	}
	var diag map[string]string
	if runErr != nil || missing > 0 {
		diag = map[string]string{"stdout": stdout, "stderr": stderr}
		if runErr != nil {
			diag["error"] = runErr.Error()
		}
	}
	t.Ok(runErr == nil && missing == 0, label+": the container ran its process to the end", diag)
}

// Diag is the usual diagnostic block for an error.
func Diag(err error) map[string]string {
	if err == nil {
		return nil
	}
	return map[string]string{"error": err.Error()}
}

// Expect turns "want an error / want success" into an error for TAP.Check.
func Expect(wantErr bool, err error, what string) error {
	switch {
	case wantErr && err == nil:
		return fmt.Errorf("%s succeeded, want an error", what)
	case !wantErr && err != nil:
		return fmt.Errorf("%s: %v", what, err)
	}
	return nil
}
