// delete_resources: runtime.md "delete": resources made at create (the cgroups) are removed.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	path := "/engine-conformance-" + ocitest.NewID()[:12]
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"true"})
	g.SetLinuxCgroupsPath(path)
	g.SetLinuxResourcesPidsLimit(1000)
	g.SetLinuxResourcesMemoryLimit(64 << 20)
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.Create()
	if err == nil {
		for _, ctrl := range []string{"pids", "memory"} {
			if _, serr := os.Stat(filepath.Join("/sys/fs/cgroup", ctrl, path)); serr != nil {
				err = fmt.Errorf("after create: %v", serr)
			}
		}
	}
	t.Check(err, "create makes the cgroups at cgroupsPath", "config-linux.md#control-groups")
	if err == nil {
		err = c.Start()
	}
	if err == nil {
		_, err = c.WaitFor(ocitest.ExitTimeout, "stopped")
	}
	if err == nil {
		err = c.Delete()
	}
	if err == nil {
		for _, ctrl := range []string{"pids", "memory"} {
			dir := filepath.Join("/sys/fs/cgroup", ctrl, path)
			if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
				err = fmt.Errorf("%s still exists after delete", dir)
			}
		}
	}
	t.Check(err, "delete MUST remove the resources create made (the cgroups)", "runtime.md#delete")
	t.Plan()
}
