// process_rlimits: config.md "rlimits": soft and hard limits as given; an unknown type is an
// error.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.AddProcessRlimits("RLIMIT_NOFILE", 512, 256)
	g.AddProcessRlimits("RLIMIT_CORE", 0, 0)
	g.AddProcessRlimits("RLIMIT_NPROC", 4096, 2048)
	g.AddProcessRlimits("RLIMIT_STACK", 16<<20, 8<<20)
	ocitest.Inside(t, "rlimits", g, nil)

	// Read by busybox (C), whose limits are exactly what the runtime set: Go raises its own.
	g.SetProcessArgs([]string{"sh", "-c", "cat /proc/self/limits > /limits"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.RunToExit()
	if err == nil {
		err = checkLimits(filepath.Join(c.Bundle, "limits"), map[string][2]string{
			"Max open files": {"256", "512"}, "Max core file size": {"0", "0"},
			"Max processes": {"2048", "4096"}, "Max stack size": {"8388608", "16777216"},
		})
	}
	t.Check(err, "soft and hard rlimits as given, read by a non-Go process (/proc/self/limits)", "config.md#posix-process")

	bad := ocitest.DefaultConfig()
	bad.SetProcessArgs([]string{"true"})
	bad.AddProcessRlimits("RLIMIT_NO_SUCH_THING", 1, 1)
	badc, err := ocitest.NewContainer(bad, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer badc.Destroy()
	t.Check(ocitest.Expect(true, badc.RunToExit(), "a config with rlimit RLIMIT_NO_SUCH_THING"), "an unknown rlimit type MUST generate an error", "config.md#posix-process")
	t.Plan()
}

// checkLimits compares /proc/<pid>/limits rows ("Max open files  256  512  files") with want.
func checkLimits(path string, want map[string][2]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for name, w := range want {
		found := false
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, name+" ") {
				continue
			}
			found = true
			f := strings.Fields(strings.TrimPrefix(line, name))
			if len(f) < 2 || f[0] != w[0] || f[1] != w[1] {
				return fmt.Errorf("%s: %q, want soft %s hard %s", name, strings.TrimSpace(line), w[0], w[1])
			}
		}
		if !found {
			return fmt.Errorf("no %q row in /proc/self/limits", name)
		}
	}
	return nil
}
