// state: runtime.md "State" and "state <container-id>": every field, in every status.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	// Runs until /go appears (written from outside), so "running" can be observed for certain.
	g.SetProcessArgs([]string{"sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done"})
	g.AddAnnotation("org.opencontainers.conformance", "state-test")
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	id := c.ID

	c.ID = ""
	_, err = c.State()
	t.Check(ocitest.Expect(true, err, "state without an ID"), "state MUST generate an error if the ID is not provided", "runtime.md#query-state")
	c.ID = id
	_, err = c.State()
	t.Check(ocitest.Expect(true, err, "state of a container that does not exist"), "state MUST generate an error if the container does not exist", "runtime.md#query-state")

	if err := c.Create(); err != nil {
		t.Ok(false, "create", ocitest.Diag(err))
		t.Plan()
		return
	}
	st, err := c.State()
	if err == nil {
		err = checkState(st, id, c.Bundle, rspec.StateCreated, true)
	}
	t.Check(err, "state of a created container: ociVersion, id, status created, pid, bundle, annotations", "runtime.md#state")

	if err := c.Start(); err != nil {
		t.Ok(false, "start", ocitest.Diag(err))
	} else {
		st, err = c.State()
		if err == nil {
			err = checkState(st, id, c.Bundle, rspec.StateRunning, true)
		}
		t.Check(err, "state of a running container: status running, pid alive", "runtime.md#state")
	}

	os.WriteFile(filepath.Join(c.Bundle, "go"), nil, 0o644)
	st, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	if err == nil {
		err = checkState(st, id, c.Bundle, rspec.StateStopped, false)
	}
	t.Check(err, "state of a container whose process exited: status stopped", "runtime.md#state")

	if err := c.Delete(); err != nil {
		t.Ok(false, "delete", ocitest.Diag(err))
	} else {
		_, err = c.State()
		t.Check(ocitest.Expect(true, err, "state after delete"), "after delete the container no longer exists", "runtime.md#delete")
	}
	t.Plan()
}

func checkState(st rspec.State, id, bundle string, status rspec.ContainerState, alive bool) error {
	switch {
	case st.Version == "":
		return fmt.Errorf("ociVersion is empty")
	case st.ID != id:
		return fmt.Errorf("id %q, want %q", st.ID, id)
	case st.Status != status:
		return fmt.Errorf("status %q, want %q", st.Status, status)
	case !filepath.IsAbs(st.Bundle):
		return fmt.Errorf("bundle %q is not an absolute path", st.Bundle)
	}
	want, _ := filepath.EvalSymlinks(bundle)
	got, _ := filepath.EvalSymlinks(st.Bundle)
	if got != want {
		return fmt.Errorf("bundle %q, want %q", st.Bundle, bundle)
	}
	if st.Annotations["org.opencontainers.conformance"] != "state-test" {
		return fmt.Errorf("annotations %v lack the config's", st.Annotations)
	}
	if alive {
		if st.Pid <= 0 {
			return fmt.Errorf("pid %d, want the container process's host pid", st.Pid)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", st.Pid)); err != nil {
			return fmt.Errorf("pid %d is not a live process: %v", st.Pid, err)
		}
	}
	return nil
}
