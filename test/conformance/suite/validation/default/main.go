// default: runtime-tools' default Linux config, checked from inside by runtimetest.
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	ocitest.Inside(t, "default config", ocitest.DefaultConfig(), nil)
	t.Plan()
}
