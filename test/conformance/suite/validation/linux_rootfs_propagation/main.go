// linux_rootfs_propagation: config-linux.md "rootfsPropagation", checked from inside.
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	for _, p := range []string{"private", "slave", "shared", "unbindable"} {
		g := ocitest.DefaultConfig()
		if err := g.SetLinuxRootPropagation(p); err != nil {
			ocitest.Fatal(err)
		}
		ocitest.Inside(t, "rootfsPropagation "+p, g, nil)
	}
	t.Plan()
}
