// pidfile: `create --pid-file F` writes the container process's host pid, as state reports it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	dir, err := os.MkdirTemp(os.Getenv("CONFORMANCE_TMP"), "oci-pid")
	if err != nil {
		ocitest.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c.PidFile = filepath.Join(dir, "pidfile")
	err = c.Create()
	if err == nil {
		var data []byte
		data, err = os.ReadFile(c.PidFile)
		if err == nil {
			pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
			st, serr := c.State()
			switch {
			case perr != nil:
				err = fmt.Errorf("pid file holds %q: %v", data, perr)
			case serr != nil:
				err = serr
			case pid != st.Pid:
				err = fmt.Errorf("pid file says %d, state says %d", pid, st.Pid)
			}
		}
	}
	t.Check(err, "create --pid-file writes the container process's pid, the one state reports", "runc CLI (runtime-tools pidfile)")
	t.Plan()
}
