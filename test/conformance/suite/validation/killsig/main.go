// killsig: the signal kill names is the one the container's process receives.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	for _, sig := range []string{"TERM", "USR1", "USR2", "HUP"} {
		t.Check(deliver(sig), fmt.Sprintf("kill with %s MUST send SIG%s to the container process", sig, sig), "runtime.md#kill")
	}
	t.Plan()
}

func deliver(sig string) error {
	g := ocitest.DefaultConfig()
	// /ready tells the outside that the trap is set; the handler records the signal and exits.
	g.SetProcessArgs([]string{"sh", "-c", fmt.Sprintf("trap 'touch /got-%s; exit 0' %s; touch /ready; while :; do sleep 0.05; done", sig, sig)})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		return err
	}
	defer c.Destroy()
	if err := c.Create(); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	if err := waitFile(filepath.Join(c.Bundle, "ready")); err != nil {
		return err
	}
	if err := c.Kill(sig); err != nil {
		return err
	}
	if _, err := c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.Bundle, "got-"+sig)); err != nil {
		return fmt.Errorf("the process's %s handler did not run: %v", sig, err)
	}
	return nil
}

func waitFile(p string) error {
	deadline := time.Now().Add(ocitest.ExitTimeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not appear in %v", p, ocitest.ExitTimeout)
}
