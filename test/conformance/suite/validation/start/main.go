// start: runtime.md "start <container-id>", and process.args applied only at start.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"sh", "-c", "echo 'process called' >> /output"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	output := filepath.Join(c.Bundle, "output")
	id := c.ID

	c.ID = ""
	t.Check(ocitest.Expect(true, c.Start(), "start without an ID"), "start MUST generate an error if the ID is not provided", "runtime.md#start")
	c.ID = id
	t.Check(ocitest.Expect(true, c.Start(), "start of a container that does not exist"), "start of a container that is not created MUST generate an error", "runtime.md#start")

	if err := c.Create(); err != nil {
		t.Ok(false, "create", ocitest.Diag(err))
		t.Plan()
		return
	}
	_, err = os.Stat(output)
	if err == nil {
		err = errors.New("/output exists before start")
	} else if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	t.Check(err, "process.args MUST NOT be applied until start", "runtime.md#create")

	err = c.Start()
	if err == nil {
		_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	if err == nil {
		err = wantOutput(output)
	}
	t.Check(err, "start MUST run the user-specified program", "runtime.md#start")

	t.Check(ocitest.Expect(true, c.Start(), "start of a stopped container"), "start of a stopped container MUST generate an error", "runtime.md#start")
	t.Check(wantOutput(output), "start of a stopped container MUST have no effect", "runtime.md#start")
	t.Check(ocitest.Expect(false, c.Delete(), "delete of the stopped container"), "delete of a stopped container succeeds", "runtime.md#delete")

	// No process: the spec makes start fail; a runtime may already refuse the config at create.
	g.Config.Process = nil
	noProc, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer noProc.Destroy()
	err = noProc.Create()
	if err == nil {
		err = noProc.Start()
	}
	t.Check(ocitest.Expect(true, err, "create+start without process"), "start MUST generate an error if process was not set", "runtime.md#start")
	t.Plan()
}

func wantOutput(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if string(data) != "process called\n" {
		return fmt.Errorf("/output is %q, want %q", data, "process called\n")
	}
	return nil
}
