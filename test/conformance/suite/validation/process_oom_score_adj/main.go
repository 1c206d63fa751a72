// process_oom_score_adj: config.md "oomScoreAdj".
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessOOMScoreAdj(500)
	ocitest.Inside(t, "oomScoreAdj 500", g, nil)
	t.Plan()
}
