// kill_no_effect: runtime.md "kill": a signal to a stopped container is an error and changes
// nothing: `state` prints the same object before and after (runtime-tools compares them whole).
package main

import (
	"fmt"
	"reflect"

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
	err = c.RunToExit()
	var before, after rspec.State
	if err == nil {
		before, err = c.State()
	}
	var killErr error
	if err == nil {
		killErr = c.Kill("KILL")
		after, err = c.State()
	}
	if err == nil && !reflect.DeepEqual(before, after) {
		err = fmt.Errorf("state before %+v, after %+v", before, after)
	}
	t.Check(err, "kill of a stopped container MUST have no effect (state unchanged, field for field)", "runtime.md#kill")
	t.Check(ocitest.Expect(true, killErr, "kill of a stopped container"), "kill of a stopped container MUST generate an error", "runtime.md#kill")
	t.Plan()
}
