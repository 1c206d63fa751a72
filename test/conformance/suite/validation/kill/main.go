// kill: runtime.md "kill <container-id> <signal>" in each status.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

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
	t.Check(ocitest.Expect(true, c.Kill("KILL"), "kill without an ID"), "kill MUST generate an error if the ID is not provided", "runtime.md#kill")
	c.ID = id
	t.Check(ocitest.Expect(true, c.Kill("KILL"), "kill of a container that does not exist"), "kill of a container that is neither created nor running MUST generate an error", "runtime.md#kill")

	if err := c.Create(); err != nil {
		t.Ok(false, "create", ocitest.Diag(err))
		t.Plan()
		return
	}
	err = c.Kill("KILL")
	if err == nil {
		_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	t.Check(err, "kill of a created container MUST send the signal (KILL: it becomes stopped)", "runtime.md#kill")
	t.Check(ocitest.Expect(true, c.Kill("KILL"), "kill of a stopped container"), "kill of a stopped container MUST generate an error", "runtime.md#kill")
	t.Check(ocitest.Expect(false, c.Delete(), "delete of the stopped container"), "delete of a stopped container succeeds", "runtime.md#delete")

	running, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer running.Destroy()
	err = running.Create()
	if err == nil {
		err = running.Start()
	}
	var st rspec.State
	if err == nil {
		st, err = running.WaitFor(ocitest.ExitTimeout, rspec.StateRunning)
	}
	if err == nil {
		err = waitForComm(st.Pid, "sleep", ocitest.ExitTimeout)
	}
	if err == nil {
		err = running.Kill("TERM")
	}
	if err == nil {
		// sleep is PID 1 of its namespace without a TERM handler: TERM is ignored there, so the
		// runtime's answer is what counts; KILL then must end it.
		err = running.Kill("KILL")
	}
	if err == nil {
		_, err = running.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	t.Check(err, "kill of a running container MUST send the signal (TERM accepted, KILL stops it)", "runtime.md#kill")
	t.Plan()
}

// "running" begins when start returns, while the runtime's own init may still be on its way to
// the exec of sleep; runc's is a Go program, whose signal handlers make TERM fatal. TERM must go
// to sleep itself (PID 1 without a handler: ignored), so the test waits until the process is it.
func waitForComm(pid int, comm string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(b)) == comm {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d did not become %s within %s", pid, comm, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
