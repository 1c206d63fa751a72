// process_capabilities: config.md "capabilities": each set exactly as given; an unknown
// capability name is an error.
package main

import (
	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.ClearProcessCapabilities()
	for _, c := range []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"} {
		g.AddProcessCapabilityBounding(c)
		g.AddProcessCapabilityPermitted(c)
		g.AddProcessCapabilityEffective(c)
	}
	g.AddProcessCapabilityInheritable("CAP_KILL")
	g.AddProcessCapabilityAmbient("CAP_KILL")
	ocitest.Inside(t, "three capabilities, one ambient", g, nil)

	none := ocitest.DefaultConfig()
	none.ClearProcessCapabilities()
	ocitest.Inside(t, "no capabilities", none, nil)

	bad := ocitest.DefaultConfig()
	bad.SetProcessArgs([]string{"true"})
	bad.Config.Process.Capabilities.Bounding = append(bad.Config.Process.Capabilities.Bounding, "CAP_NO_SUCH_THING")
	c, err := ocitest.NewContainer(bad, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	t.Check(ocitest.Expect(true, c.RunToExit(), "a config with capability CAP_NO_SUCH_THING"), "an unknown capability MUST generate an error", "config.md#linux-process")
	t.Plan()
}
