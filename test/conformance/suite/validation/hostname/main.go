// hostname: config.md "hostname" (in a new UTS namespace).
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetHostname("conformance-host")
	ocitest.Inside(t, "hostname", g, nil)
	t.Plan()
}
