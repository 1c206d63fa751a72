package ocitest

import (
	"fmt"
	"os"
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
// into a test point named "<label>: <check>". A container that did not run, or printed no
// checks, is one failed point with the runtime's error and whatever was printed.
func Inside(t *TAP, label string, g *generate.Generator, pre func(bundle string) error) {
	c, err := NewContainer(g, pre)
	if err != nil {
		Fatal(err)
	}
	defer c.Destroy()
	runErr := c.RunToExit()
	stdout, stderr := c.Output()
	points := 0
	for _, line := range strings.Split(stdout, "\n") {
		ok := strings.HasPrefix(line, "ok ")
		if !ok && !strings.HasPrefix(line, "not ok ") {
			continue
		}
		_, desc, _ := strings.Cut(line, " - ")
		name, reason, _ := strings.Cut(desc, " :: ")
		var diag map[string]string
		if reason != "" {
			diag = map[string]string{"error": reason}
		}
		t.Ok(ok, label+": "+name, diag)
		points++
	}
	if runErr != nil || points == 0 {
		diag := map[string]string{"stdout": stdout, "stderr": stderr}
		if runErr != nil {
			diag["error"] = runErr.Error()
		}
		t.Ok(false, label+": the container ran its process to the end", diag)
	}
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
