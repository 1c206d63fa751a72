// linux_cgroups: config-linux.md "cgroupsPath" and "resources", read back from the cgroup v1
// files of the container's process after create (the host mounts v1 controllers under
// /sys/fs/cgroup/<controller>).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-tools/generate"

	"engine.local/conformance/ocitest"
)

type want struct{ controller, file, value string }

func main() {
	t := ocitest.NewTAP()
	abs := "/engine-conformance-" + ocitest.NewID()[:12]
	major, minor := int64(1), int64(3)

	resources := []struct {
		name  string
		set   func(g *generate.Generator)
		wants []want
	}{
		{"memory", func(g *generate.Generator) {
			g.SetLinuxResourcesMemoryLimit(50593792)
			g.SetLinuxResourcesMemoryReservation(40 << 20)
			g.SetLinuxResourcesMemorySwap(100 << 20)
			g.SetLinuxResourcesMemorySwappiness(10)
			g.SetLinuxResourcesMemoryDisableOOMKiller(true)
		}, []want{{"memory", "memory.limit_in_bytes", "50593792"}, {"memory", "memory.soft_limit_in_bytes", "41943040"},
			{"memory", "memory.memsw.limit_in_bytes", "104857600"}, {"memory", "memory.swappiness", "10"},
			{"memory", "memory.oom_control", "oom_kill_disable 1"}}},
		{"pids", func(g *generate.Generator) { g.SetLinuxResourcesPidsLimit(1000) }, []want{{"pids", "pids.max", "1000"}}},
		{"cpu", func(g *generate.Generator) {
			g.SetLinuxResourcesCPUShares(512)
			g.SetLinuxResourcesCPUQuota(20000)
			g.SetLinuxResourcesCPUPeriod(100000)
			g.SetLinuxResourcesCPUCpus("0")
			g.SetLinuxResourcesCPUMems("0")
		}, []want{{"cpu", "cpu.shares", "512"}, {"cpu", "cpu.cfs_quota_us", "20000"}, {"cpu", "cpu.cfs_period_us", "100000"},
			{"cpuset", "cpuset.cpus", "0"}, {"cpuset", "cpuset.mems", "0"}}},
		{"devices", func(g *generate.Generator) {
			g.AddLinuxResourcesDevice(true, "c", &major, &minor, "rwm")
		}, []want{{"devices", "devices.list", "c 1:3 rwm"}}},
		{"blkio", func(g *generate.Generator) { g.SetLinuxResourcesBlockIOWeight(500) }, []want{{"blkio", "blkio.weight", "500"}}},
		{"hugetlb", func(g *generate.Generator) { g.AddLinuxResourcesHugepageLimit("2MB", 4<<20) },
			[]want{{"hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"}}},
		{"network", func(g *generate.Generator) {
			g.SetLinuxResourcesNetworkClassID(0x100001)
		}, []want{{"net_cls", "net_cls.classid", "1048577"}}},
	}
	for _, r := range resources {
		for _, path := range []string{abs + "-" + r.name, "engine-conformance/" + r.name + "-" + ocitest.NewID()[:8]} {
			kind := "absolute"
			if !filepath.IsAbs(path) {
				kind = "relative"
			}
			g := ocitest.DefaultConfig()
			g.SetProcessArgs([]string{"true"})
			g.SetLinuxCgroupsPath(path)
			r.set(g)
			desc := fmt.Sprintf("resources.%s in the %s cgroupsPath: applied after create, or an error where the host cannot honour it", r.name, kind)
			if missing := unsupported(r.wants); missing != "" {
				c, err := ocitest.NewContainer(g, nil)
				if err != nil {
					ocitest.Fatal(err)
				}
				err = ocitest.Expect(true, c.Create(), "create with resources."+r.name+" ("+missing+")")
				c.Destroy()
				t.Check(err, desc, "config.md#valid-values")
				continue
			}
			t.Check(check(g, path, r.wants), desc, "config-linux.md#control-groups")
		}
	}
	// The relative paths' common parent is left by runtimes (rightly: they did not make it
	// theirs); remove it where empty so runs leave nothing behind.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/engine-conformance")
	for _, d := range dirs {
		os.Remove(d)
	}
	t.Plan()
}

func check(g *generate.Generator, path string, wants []want) error {
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Create(); err != nil {
		return err
	}
	st, err := c.State()
	if err != nil {
		return err
	}
	for _, w := range wants {
		dir, err := cgroupDir(st.Pid, w.controller)
		if err != nil {
			return err
		}
		if filepath.IsAbs(path) && dir != path {
			return fmt.Errorf("%s cgroup is %s, want %s (absolute: relative to the hierarchy's root)", w.controller, dir, path)
		}
		if !filepath.IsAbs(path) && !strings.HasSuffix(dir, "/"+path) {
			return fmt.Errorf("%s cgroup is %s, want it to end in %s", w.controller, dir, path)
		}
		data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", w.controller, dir, w.file))
		if err != nil {
			return err
		}
		if !hasLine(string(data), w.value) {
			return fmt.Errorf("%s is %q, want %q", w.file, strings.TrimSpace(string(data)), w.value)
		}
	}
	return nil
}

func hasLine(data, want string) bool {
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// cgroupDir is the process's cgroup in the v1 hierarchy holding controller.
func cgroupDir(pid int, controller string) (string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				return parts[2], nil
			}
		}
	}
	return "", fmt.Errorf("no %s controller in /proc/%d/cgroup (not mounted as cgroup v1 here)", controller, pid)
}

// unsupported names the first cgroup v1 file this host lacks ("" if it has them all): a value the
// runtime cannot apply, which the spec makes an error, not something to skip silently.
func unsupported(wants []want) string {
	for _, w := range wants {
		file := w.file
		if w.controller == "pids" { // the root cgroup has no pids files: the controller is enough
			file = ""
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", w.controller, file)); err != nil {
			return "this host has no cgroup v1 " + w.controller + "/" + w.file
		}
	}
	return ""
}
