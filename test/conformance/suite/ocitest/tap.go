// Package ocitest is the shared half of the conformance programs: TAP output, the bundle, the
// runtime's command line and the lifecycle waits. Each program in ../validation is one concern of
// the OCI runtime spec, run against the runtime named by $RUNTIME, and prints TAP on stdout.
package ocitest

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// TAP writes one test point per call; the plan ("1..N") comes last, so a program that dies
// half-way leaves no plan and the runner counts it as broken rather than short.
type TAP struct{ n int }

// NewTAP starts a TAP stream on stdout.
func NewTAP() *TAP {
	fmt.Println("TAP version 13")
	return &TAP{}
}

// Ok records one test point. diag is printed as a YAML block under it (sorted keys), for people.
func (t *TAP) Ok(ok bool, desc string, diag map[string]string) {
	t.n++
	status := "ok"
	if !ok {
		status = "not ok"
	}
	fmt.Printf("%s %d - %s\n", status, t.n, oneLine(desc))
	if len(diag) > 0 {
		keys := make([]string, 0, len(diag))
		for k := range diag {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Println("  ---")
		for _, k := range keys {
			fmt.Printf("  %s: |\n", k)
			for _, line := range strings.Split(strings.TrimRight(diag[k], "\n"), "\n") {
				fmt.Printf("    %s\n", line)
			}
		}
		fmt.Println("  ...")
	}
}

// Check records a test point whose failure is err (nil: passed), with the spec reference.
func (t *TAP) Check(err error, desc string, ref string) {
	diag := map[string]string{}
	if ref != "" {
		diag["reference"] = ref
	}
	if err != nil {
		diag["error"] = err.Error()
	}
	t.Ok(err == nil, desc, diag)
}

// Skip records a test point that could not be run here, and why.
func (t *TAP) Skip(desc, reason string) {
	t.n++
	fmt.Printf("ok %d - %s # SKIP %s\n", t.n, oneLine(desc), oneLine(reason))
}

// Plan ends the stream.
func (t *TAP) Plan() { fmt.Printf("1..%d\n", t.n) }

// Fatal ends a program that could not set up its test: no plan, exit 1.
func Fatal(err error) {
	fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
	os.Exit(1)
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }
