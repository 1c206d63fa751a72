// linux_ns: config-linux.md "namespaces": a listed type without path is a new namespace; an
// omitted type is the runtime's; a path joins that namespace; a path of the wrong type is an error.
package main

import (
	"fmt"
	"os"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

// The /proc/<pid>/ns link name of each namespace type.
var nsFile = map[rspec.LinuxNamespaceType]string{
	rspec.PIDNamespace: "pid", rspec.NetworkNamespace: "net", rspec.IPCNamespace: "ipc",
	rspec.UTSNamespace: "uts", rspec.MountNamespace: "mnt", rspec.CgroupNamespace: "cgroup",
}

func nsOf(pid interface{}, typ rspec.LinuxNamespaceType) string {
	link, _ := os.Readlink(fmt.Sprintf("/proc/%v/ns/%s", pid, nsFile[typ]))
	return link
}

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"sleep", "30"})
	g.AddOrReplaceLinuxNamespace(string(rspec.CgroupNamespace), "")
	first, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer first.Destroy()
	if err := first.Create(); err != nil {
		t.Ok(false, "create", ocitest.Diag(err))
		t.Plan()
		return
	}
	st, err := first.State()
	if err != nil {
		ocitest.Fatal(err)
	}
	for _, typ := range []rspec.LinuxNamespaceType{rspec.PIDNamespace, rspec.NetworkNamespace, rspec.IPCNamespace, rspec.UTSNamespace, rspec.MountNamespace, rspec.CgroupNamespace} {
		var err error
		in, host := nsOf(st.Pid, typ), nsOf("self", typ)
		if in == "" || in == host {
			err = fmt.Errorf("container %q, runtime's %q: want a new one", in, host)
		}
		t.Check(err, fmt.Sprintf("a %s namespace without path is a new namespace", typ), "config-linux.md#namespaces")
	}

	// Without a user namespace entry, the container shares the runtime's.
	userIn, userHost := nsOf(st.Pid, rspec.UserNamespace), nsOf("self", rspec.UserNamespace)
	err = nil
	if userIn != userHost {
		err = fmt.Errorf("container %q, runtime's %q: want the same", userIn, userHost)
	}
	t.Check(err, "a namespace type not listed is inherited from the runtime (user)", "config-linux.md#namespaces")

	// A second container joins the first one's network, IPC and UTS namespaces by path.
	joiner := ocitest.DefaultConfig()
	joiner.SetProcessArgs([]string{"sleep", "30"})
	for _, typ := range []rspec.LinuxNamespaceType{rspec.NetworkNamespace, rspec.IPCNamespace, rspec.UTSNamespace} {
		joiner.AddOrReplaceLinuxNamespace(string(typ), fmt.Sprintf("/proc/%d/ns/%s", st.Pid, nsFile[typ]))
	}
	second, err := ocitest.NewContainer(joiner, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer second.Destroy()
	err = second.Create()
	var st2 rspec.State
	if err == nil {
		st2, err = second.State()
	}
	for _, typ := range []rspec.LinuxNamespaceType{rspec.NetworkNamespace, rspec.IPCNamespace, rspec.UTSNamespace} {
		e := err
		if e == nil && nsOf(st2.Pid, typ) != nsOf(st.Pid, typ) {
			e = fmt.Errorf("joined %q, want %q", nsOf(st2.Pid, typ), nsOf(st.Pid, typ))
		}
		t.Check(e, fmt.Sprintf("a %s namespace with a path joins that namespace", typ), "config-linux.md#namespaces")
	}

	// A path to a namespace of another type.
	wrong := ocitest.DefaultConfig()
	wrong.SetProcessArgs([]string{"true"})
	wrong.AddOrReplaceLinuxNamespace(string(rspec.UTSNamespace), fmt.Sprintf("/proc/%d/ns/net", st.Pid))
	third, err := ocitest.NewContainer(wrong, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer third.Destroy()
	t.Check(ocitest.Expect(true, third.RunToExit(), "a uts namespace whose path is a network namespace"), "a namespace path of the wrong type MUST generate an error", "config-linux.md#namespaces")
	t.Plan()
}
