// linux_uid_mappings: config-linux.md "user namespace mappings", checked from inside.
package main

import (
	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.AddOrReplaceLinuxNamespace(string(rspec.UserNamespace), "")
	g.AddLinuxUIDMapping(0, 0, 65536)
	g.AddLinuxGIDMapping(0, 0, 65536)
	ocitest.Inside(t, "user namespace, identity mapping", g, nil)
	t.Plan()
}
