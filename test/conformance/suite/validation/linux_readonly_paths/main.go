// linux_readonly_paths: config-linux.md "readonlyPaths": a file and a directory of the rootfs.
package main

import (
	"os"
	"path/filepath"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.AddLinuxReadonlyPaths("/ro-file")
	g.AddLinuxReadonlyPaths("/ro-dir")
	g.AddLinuxReadonlyPaths("/no-such-path")
	ocitest.Inside(t, "readonlyPaths", g, func(bundle string) error {
		os.MkdirAll(filepath.Join(bundle, "ro-dir"), 0o755)
		return os.WriteFile(filepath.Join(bundle, "ro-file"), []byte("data\n"), 0o644)
	})
	t.Plan()
}
