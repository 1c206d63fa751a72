// linux_masked_paths: config-linux.md "maskedPaths": a file and a directory of the rootfs, and
// a path that does not exist (which must not be an error).
package main

import (
	"os"
	"path/filepath"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.AddLinuxMaskedPaths("/masked-file")
	g.AddLinuxMaskedPaths("/masked-dir")
	g.AddLinuxMaskedPaths("/no-such-path")
	ocitest.Inside(t, "maskedPaths", g, func(bundle string) error {
		os.MkdirAll(filepath.Join(bundle, "masked-dir"), 0o755)
		os.WriteFile(filepath.Join(bundle, "masked-dir", "secret"), []byte("secret\n"), 0o644)
		return os.WriteFile(filepath.Join(bundle, "masked-file"), []byte("secret\n"), 0o644)
	})
	t.Plan()
}
