// delete_only_create_resources: runtime.md "delete": resources associated with the container
// but not created by the runtime (here: a pids cgroup the test made and moved the container
// into) MUST NOT be deleted.
package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	foreign := filepath.Join("/sys/fs/cgroup/pids", "engine-conformance-foreign-"+ocitest.NewID()[:12])
	if err := os.Mkdir(foreign, 0o755); err != nil {
		t.Skip("delete leaves a cgroup it did not create", "cannot make a pids cgroup here: "+err.Error())
		t.Plan()
		return
	}
	defer os.Remove(foreign)
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"true"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.Create()
	var st rspec.State
	if err == nil {
		st, err = c.State()
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(foreign, "cgroup.procs"), []byte(strconv.Itoa(st.Pid)), 0o644)
	}
	if err == nil {
		err = c.Start()
	}
	if err == nil {
		_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	if err == nil {
		err = c.Delete()
	}
	if err == nil {
		if _, serr := os.Stat(foreign); errors.Is(serr, os.ErrNotExist) {
			err = errors.New("delete removed " + foreign + ", which the test made")
		}
	}
	t.Check(err, "delete MUST NOT delete resources it did not create (a cgroup the container was moved into)", "runtime.md#delete")
	t.Plan()
}
