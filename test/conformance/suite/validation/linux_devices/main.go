// linux_devices: config-linux.md "devices": a char device node with mode, uid and gid, and a fifo.
package main

import (
	"os"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	mode := os.FileMode(0o640)
	uid, gid := uint32(1), uint32(2)
	g.AddDevice(rspec.LinuxDevice{Path: "/dev/conformance-null", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid})
	g.AddDevice(rspec.LinuxDevice{Path: "/dev/conformance-fifo", Type: "p"})
	ocitest.Inside(t, "devices", g, nil)
	t.Plan()
}
