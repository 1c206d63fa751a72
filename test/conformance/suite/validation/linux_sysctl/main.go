// linux_sysctl: config-linux.md "sysctl", namespaced keys only (net in the new network
// namespace, kernel.shm* in the new IPC namespace): nothing on the host changes.
package main

import "engine.local/conformance/ocitest"

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.AddLinuxSysctl("net.ipv4.ip_forward", "1")
	g.AddLinuxSysctl("kernel.shmmni", "1234")
	ocitest.Inside(t, "sysctl", g, nil)
	t.Plan()
}
