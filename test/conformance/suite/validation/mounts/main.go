// mounts: config.md "mounts": a tmpfs with options, a bind mount of a host directory (read-only),
// a destination that does not exist in the rootfs yet; checked from inside and from outside.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	host, err := os.MkdirTemp(os.Getenv("CONFORMANCE_TMP"), "oci-bind")
	if err != nil {
		ocitest.Fatal(err)
	}
	defer os.RemoveAll(host)
	os.WriteFile(filepath.Join(host, "marker"), []byte("from the host\n"), 0o644)

	g := ocitest.DefaultConfig()
	g.AddMount(rspec.Mount{Destination: "/mnt/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=1m"}})
	g.AddMount(rspec.Mount{Destination: "/mnt/host", Type: "bind", Source: host, Options: []string{"rbind", "ro"}})
	ocitest.Inside(t, "mounts", g, nil)

	// The bind mount shows the host's file and is read-only; the tmpfs is writable.
	g.SetProcessArgs([]string{"sh", "-c", "cat /mnt/host/marker > /out && ! touch /mnt/host/x 2>/dev/null && touch /mnt/scratch/y && echo ok >> /out"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.RunToExit()
	if err == nil {
		var data []byte
		data, err = os.ReadFile(filepath.Join(c.Bundle, "out"))
		if err == nil && string(data) != "from the host\nok\n" {
			err = errorf("the container saw %q", data)
		}
	}
	t.Check(err, "a ro bind mount shows the host directory and refuses writes; the tmpfs takes them", "config.md#mounts")
	_, err = os.Stat(filepath.Join(host, "x"))
	if err == nil {
		err = errorf("the container wrote into the host directory through a ro bind")
	} else {
		err = nil
	}
	t.Check(err, "nothing written through the ro bind reaches the host", "config.md#mounts")
	t.Plan()
}

type strErr string

func (e strErr) Error() string { return string(e) }

func errorf(format string, a ...interface{}) error { return strErr(fmt.Sprintf(format, a...)) }
