// linux_seccomp: config-linux.md "seccomp": a rule's action applies to its syscalls only.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"sh", "-c", "mkdir /made 2>/dev/null; echo $? > /status; touch /touched"})
	g.Config.Linux.Seccomp = &rspec.LinuxSeccomp{
		DefaultAction: rspec.ActAllow,
		Architectures: []rspec.Arch{rspec.ArchX86_64, rspec.ArchX86, rspec.ArchX32},
		Syscalls:      []rspec.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: rspec.ActErrno}},
	}
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.RunToExit()
	if err == nil {
		if _, serr := os.Stat(filepath.Join(c.Bundle, "made")); serr == nil {
			err = fmt.Errorf("mkdir succeeded under an SCMP_ACT_ERRNO rule")
		}
	}
	t.Check(err, "a syscall matched by an SCMP_ACT_ERRNO rule fails", "config-linux.md#seccomp")
	if err == nil {
		_, err = os.Stat(filepath.Join(c.Bundle, "touched"))
	}
	t.Check(err, "syscalls under defaultAction SCMP_ACT_ALLOW work", "config-linux.md#seccomp")
	t.Plan()
}
