// root_readonly_true: config.md "root.readonly".
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetRootReadonly(true)
	ocitest.Inside(t, "root.readonly true", g, nil)
	t.Plan()
}
