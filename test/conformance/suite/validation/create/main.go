// create: runtime.md "create <container-id> <path-to-bundle>".
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
	g.SetProcessArgs([]string{"true"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	id := c.ID

	c.ID = ""
	t.Check(ocitest.Expect(true, c.Create(), "create without an ID"), "create MUST generate an error if the ID is not provided", "runtime.md#create")

	c.ID = id
	err = c.Create()
	t.Check(ocitest.Expect(false, err, "create"), "create MUST create a new container from the bundle", "runtime.md#create")
	if err == nil {
		st, err := c.State()
		if err == nil && (st.ID != id || st.Status != rspec.StateCreated) {
			err = fmt.Errorf("state says id %q status %q, want %q %q", st.ID, st.Status, id, rspec.StateCreated)
		}
		t.Check(err, "after create, state reports the container as created", "runtime.md#create")
	} else {
		t.Check(err, "after create, state reports the container as created", "runtime.md#create")
	}

	t.Check(ocitest.Expect(true, c.Create(), "a second create with the same ID"), "create MUST generate an error if the ID is not unique", "runtime.md#create")

	other := ocitest.NewRuntime(filepath.Join(os.TempDir(), "ocitest-no-such-bundle-"+ocitest.NewID()))
	err = other.Create()
	if err == nil {
		other.Clean()
	}
	t.Check(ocitest.Expect(true, err, "create with a bundle that does not exist"), "create MUST generate an error when the bundle cannot be read", "runtime.md#create")
	t.Plan()
}
