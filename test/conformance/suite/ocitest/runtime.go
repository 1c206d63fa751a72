package ocitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	rspec "github.com/opencontainers/runtime-spec/specs-go"
)

// RuntimeCommand is the runtime under test: $RUNTIME, as runtime-tools' validation reads it.
func RuntimeCommand() string {
	if r := os.Getenv("RUNTIME"); r != "" {
		return r
	}
	return "runc"
}

// A runtime call that takes longer than this is a failure of that call, not a hung program.
const callTimeout = 30 * time.Second

// Runtime drives one container through the runtime's command line exactly as runtime-tools does:
// `create [--pid-file F] [--bundle B] ID`, `start ID`, `state ID`, `kill ID SIG` (signal name
// without SIG), `delete [--force] ID`; no global flags; the runtime's stdout and stderr for
// create are files in the bundle, which the container's process inherits.
type Runtime struct {
	Command string
	Bundle  string
	ID      string
	PidFile string
	// Stdout and Stderr are the files create's output (and so the container's) went to.
	Stdout, Stderr string
}

// NewRuntime is a runtime on bundle with a fresh container ID.
func NewRuntime(bundle string) *Runtime {
	return &Runtime{Command: RuntimeCommand(), Bundle: bundle, ID: NewID()}
}

// CallError is a runtime call that exited non-zero (or could not run), with what it printed.
type CallError struct {
	Args   []string
	Err    error
	Output string
}

func (e *CallError) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return fmt.Sprintf("%s: %v", strings.Join(e.Args, " "), e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Args, " "), e.Err, out)
}

func (r *Runtime) call(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Command, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer in %v", callTimeout)
	}
	if err != nil {
		out := stderr.String()
		if out == "" {
			out = stdout.String()
		}
		return stdout.Bytes(), &CallError{Args: append([]string{filepath.Base(r.Command)}, args...), Err: err, Output: out}
	}
	return stdout.Bytes(), nil
}

// Create runs `create`. Its stdout/stderr go to fresh files in the bundle (kept for the
// container's own output); create must return, so a runtime that leaves them open is still fine.
func (r *Runtime) Create() error {
	args := []string{"create"}
	if r.PidFile != "" {
		args = append(args, "--pid-file", r.PidFile)
	}
	if r.Bundle != "" {
		args = append(args, "--bundle", r.Bundle)
	}
	if r.ID != "" {
		args = append(args, r.ID)
	}
	tag := NewID()[:8]
	r.Stdout = filepath.Join(r.Bundle, "stdout-"+tag)
	r.Stderr = filepath.Join(r.Bundle, "stderr-"+tag)
	out, err := os.OpenFile(r.Stdout, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	errf, err := os.OpenFile(r.Stderr, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer errf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Command, args...)
	cmd.Stdout, cmd.Stderr = out, errf
	// Files, not pipes: create returns while the container's init still holds them open.
	runErr := cmd.Run()
	if ctx.Err() != nil {
		runErr = fmt.Errorf("no answer in %v", callTimeout)
	}
	if runErr != nil {
		stdout, stderr := r.Output()
		msg := stderr
		if msg == "" {
			msg = stdout
		}
		return &CallError{Args: append([]string{filepath.Base(r.Command)}, args...), Err: runErr, Output: msg}
	}
	return nil
}

// Output is what create and the container wrote so far.
func (r *Runtime) Output() (stdout, stderr string) {
	o, _ := os.ReadFile(r.Stdout)
	e, _ := os.ReadFile(r.Stderr)
	return string(o), string(e)
}

func (r *Runtime) withID(verb string, rest ...string) []string {
	args := []string{verb}
	if r.ID != "" {
		args = append(args, r.ID)
	}
	return append(args, rest...)
}

// Start runs `start ID`.
func (r *Runtime) Start() error { _, err := r.call(r.withID("start")...); return err }

// Kill runs `kill ID SIG` with a signal name such as TERM or KILL.
func (r *Runtime) Kill(sig string) error { _, err := r.call(r.withID("kill", sig)...); return err }

// Delete runs `delete ID`.
func (r *Runtime) Delete() error { _, err := r.call(r.withID("delete")...); return err }

// ForceDelete runs `delete --force ID` (not in the spec; runc's, used only to clean up).
func (r *Runtime) ForceDelete() error {
	args := []string{"delete", "--force"}
	if r.ID != "" {
		args = append(args, r.ID)
	}
	_, err := r.call(args...)
	return err
}

// ErrStateJSON is a `state` whose output is not the spec's state JSON.
var ErrStateJSON = errors.New("state output is not a JSON state object")

// State runs `state ID` and parses the spec's state JSON.
func (r *Runtime) State() (rspec.State, error) {
	out, err := r.call(r.withID("state")...)
	if err != nil {
		return rspec.State{}, err
	}
	var st rspec.State
	if err := json.Unmarshal(out, &st); err != nil {
		return rspec.State{}, fmt.Errorf("%w: %v: %q", ErrStateJSON, err, truncate(string(out), 200))
	}
	return st, nil
}

// WaitFor polls `state` until the status is one of want. Status changes are not events the
// runtime can push, so polling is the only way; 20 ms keeps it cheap and prompt.
func (r *Runtime) WaitFor(timeout time.Duration, want ...rspec.ContainerState) (rspec.State, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := r.State()
		if err != nil {
			return st, err
		}
		for _, w := range want {
			if st.Status == w {
				return st, nil
			}
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("status still %q after %v, want %v", st.Status, timeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitGone polls `state` until it fails (the container no longer exists).
func (r *Runtime) WaitGone(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := r.State(); err != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s still exists after %v", r.ID, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Clean removes the container whatever its state (kill, wait, delete; then --force as a last
// resort) so a failed check leaves nothing behind. Errors are ignored: it may never have existed.
func (r *Runtime) Clean() {
	if _, err := r.State(); err != nil {
		return
	}
	_ = r.Kill("KILL")
	_, _ = r.WaitFor(5*time.Second, rspec.StateStopped)
	if r.Delete() != nil {
		_ = r.ForceDelete()
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
