// delete: runtime.md "delete <container-id>": only a stopped container may be deleted.
package main

import (
	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"sleep", "30"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	id := c.ID

	c.ID = ""
	t.Check(ocitest.Expect(true, c.Delete(), "delete without an ID"), "delete MUST generate an error if the ID is not provided", "runtime.md#delete")
	c.ID = id
	t.Check(ocitest.Expect(true, c.Delete(), "delete of a container that does not exist"), "delete of a container that does not exist MUST generate an error", "runtime.md#delete")

	if err := c.Create(); err != nil {
		t.Ok(false, "create", ocitest.Diag(err))
		t.Plan()
		return
	}
	t.Check(ocitest.Expect(true, c.Delete(), "delete of a created container"), "delete of a created (not stopped) container MUST generate an error", "runtime.md#delete")
	_, err = c.State()
	t.Check(err, "delete of a created container MUST have no effect on it", "runtime.md#delete")

	// A runtime that deleted the created container gets a new one, so the running case still runs.
	if _, serr := c.State(); serr != nil {
		if err := c.Create(); err != nil {
			t.Ok(false, "create", ocitest.Diag(err))
			t.Plan()
			return
		}
	}
	{
		err = c.Start()
		if err == nil {
			_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateRunning)
		}
		if err != nil {
			t.Ok(false, "start", ocitest.Diag(err))
		} else {
			t.Check(ocitest.Expect(true, c.Delete(), "delete of a running container"), "delete of a running container MUST generate an error", "runtime.md#delete")
			st, err := c.State()
			if err == nil && st.Status != rspec.StateRunning {
				err = errNotRunning(st.Status)
			}
			t.Check(err, "delete of a running container MUST have no effect on it", "runtime.md#delete")
		}
		c.Kill("KILL")
		_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	err = c.Delete()
	t.Check(err, "delete of a stopped container succeeds", "runtime.md#delete")
	if err == nil {
		_, err = c.State()
		t.Check(ocitest.Expect(true, err, "state after delete"), "after delete the container MUST no longer exist", "runtime.md#delete")
	}
	t.Plan()
}

type errNotRunning rspec.ContainerState

func (e errNotRunning) Error() string { return "status is " + string(e) + ", want running" }
