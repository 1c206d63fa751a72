// runtimetest runs as a container's process and checks, from inside, that the runtime applied
// /config.json (the bundle is the rootfs, so the config is visible there). One TAP point per
// concern; a failure carries its reason after " :: " on the same line, for the outer program.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	rspec "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/syndtr/gocapability/capability"
	"golang.org/x/sys/unix"
)

type check struct {
	name string
	run  func(*rspec.Spec) error
}

var checks = []check{
	{"root.readonly", checkRootReadonly},
	{"hostname", checkHostname},
	{"mounts", checkMounts},
	{"process.cwd", checkCwd},
	{"process.env", checkEnv},
	{"process.args", checkArgs},
	{"process.user", checkUser},
	{"process.noNewPrivileges", checkNoNewPrivs},
	{"process.capabilities", checkCapabilities},
	{"process.rlimits", checkRlimits},
	{"process.oomScoreAdj", checkOOMScoreAdj},
	{"linux default devices", checkDefaultDevices},
	{"linux default symlinks", checkDefaultSymlinks},
	{"linux.devices", checkDevices},
	{"linux.maskedPaths", checkMaskedPaths},
	{"linux.readonlyPaths", checkReadonlyPaths},
	{"linux.sysctl", checkSysctl},
	{"linux.uidMappings", func(s *rspec.Spec) error { return checkIDMap(s.Linux.UIDMappings, "/proc/self/uid_map") }},
	{"linux.gidMappings", func(s *rspec.Spec) error { return checkIDMap(s.Linux.GIDMappings, "/proc/self/gid_map") }},
	{"linux.rootfsPropagation", checkRootPropagation},
}

func main() {
	// --list names the checks, in order, so the outer program numbers its points the same way
	// whether or not the container ran.
	for _, a := range os.Args[1:] {
		if a == "--list" {
			for _, c := range checks {
				fmt.Println(c.name)
			}
			return
		}
	}
	data, err := os.ReadFile("/config.json")
	if err != nil {
		fmt.Printf("not ok 1 - read /config.json :: %v\n1..1\n", err)
		return
	}
	var spec rspec.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		fmt.Printf("not ok 1 - parse /config.json :: %v\n1..1\n", err)
		return
	}
	if spec.Process == nil {
		spec.Process = &rspec.Process{}
	}
	if spec.Linux == nil {
		spec.Linux = &rspec.Linux{}
	}
	for i, c := range checks {
		if err := c.run(&spec); err != nil {
			fmt.Printf("not ok %d - %s :: %s\n", i+1, c.name, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Printf("ok %d - %s\n", i+1, c.name)
		}
	}
	fmt.Printf("1..%d\n", len(checks))
}

func checkRootReadonly(s *rspec.Spec) error {
	f, err := os.CreateTemp("/", ".runtimetest-")
	if err == nil {
		f.Close()
		os.Remove(f.Name())
	}
	if s.Root != nil && s.Root.Readonly && err == nil {
		return errors.New("/ is writable, want read-only")
	}
	if (s.Root == nil || !s.Root.Readonly) && err != nil {
		return fmt.Errorf("/ is not writable: %v", err)
	}
	return nil
}

func checkHostname(s *rspec.Spec) error {
	h, err := os.Hostname()
	if err != nil {
		return err
	}
	if s.Hostname != "" && h != s.Hostname {
		return fmt.Errorf("hostname %q, want %q", h, s.Hostname)
	}
	return nil
}

type mountEntry struct{ point, fstype, source, optional string }

// mountinfo fields: id parent major:minor root mountpoint options optional... - fstype source super
func readMountinfo() ([]mountEntry, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []mountEntry
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		sep := strings.Index(line, " - ")
		if sep < 0 {
			continue
		}
		pre, post := strings.Fields(line[:sep]), strings.Fields(line[sep+3:])
		if len(pre) < 6 || len(post) < 2 {
			continue
		}
		out = append(out, mountEntry{point: unescape(pre[4]), optional: strings.Join(pre[6:], " "), fstype: post[0], source: post[1]})
	}
	return out, nil
}

func unescape(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

func checkMounts(s *rspec.Spec) error {
	mounts, err := readMountinfo()
	if err != nil {
		return err
	}
	for _, m := range s.Mounts {
		if m.Type == "bind" || m.Type == "rbind" || hasOption(m.Options, "bind") || hasOption(m.Options, "rbind") {
			if _, err := os.Stat(m.Destination); err != nil {
				return fmt.Errorf("bind mount %s: %v", m.Destination, err)
			}
			continue
		}
		found := false
		for _, e := range mounts {
			if e.point == filepath.Clean(m.Destination) && e.fstype == m.Type {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no %s mount at %s", m.Type, m.Destination)
		}
	}
	return nil
}

func hasOption(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

func checkCwd(s *rspec.Spec) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	if s.Process.Cwd != "" && cwd != filepath.Clean(s.Process.Cwd) {
		return fmt.Errorf("cwd %q, want %q", cwd, s.Process.Cwd)
	}
	return nil
}

func checkEnv(s *rspec.Spec) error {
	for _, kv := range s.Process.Env {
		k, v, _ := strings.Cut(kv, "=")
		if got, ok := os.LookupEnv(k); !ok || got != v {
			return fmt.Errorf("env %s=%q, want %q", k, got, v)
		}
	}
	return nil
}

func checkArgs(s *rspec.Spec) error {
	raw, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		return err
	}
	got := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	if strings.Join(got, "\x00") != strings.Join(s.Process.Args, "\x00") {
		return fmt.Errorf("args %q, want %q", got, s.Process.Args)
	}
	return nil
}

func checkUser(s *rspec.Spec) error {
	u := s.Process.User
	if uid := os.Getuid(); uint32(uid) != u.UID {
		return fmt.Errorf("uid %d, want %d", uid, u.UID)
	}
	if gid := os.Getgid(); uint32(gid) != u.GID {
		return fmt.Errorf("gid %d, want %d", gid, u.GID)
	}
	groups, err := os.Getgroups()
	if err != nil {
		return err
	}
	have := map[int]bool{}
	for _, g := range groups {
		have[g] = true
	}
	for _, g := range u.AdditionalGids {
		if !have[int(g)] {
			return fmt.Errorf("groups %v lack %d (want %v)", groups, g, u.AdditionalGids)
		}
	}
	if u.Umask != nil {
		st, err := statusField("Umask")
		if err != nil {
			return err
		}
		got, _ := strconv.ParseUint(st, 8, 32)
		if uint32(got) != *u.Umask {
			return fmt.Errorf("umask %04o, want %04o", got, *u.Umask)
		}
	}
	return nil
}

func checkNoNewPrivs(s *rspec.Spec) error {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return err
	}
	if (v == 1) != s.Process.NoNewPrivileges {
		return fmt.Errorf("no_new_privs %d, want %v", v, s.Process.NoNewPrivileges)
	}
	return nil
}

func statusField(name string) (string, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == name {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no %s in /proc/self/status", name)
}

func checkCapabilities(s *rspec.Spec) error {
	lastRaw, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return err
	}
	last, _ := strconv.Atoi(strings.TrimSpace(string(lastRaw)))
	byName := map[string]uint{}
	for _, c := range capability.List() {
		byName["CAP_"+strings.ToUpper(c.String())] = uint(c)
	}
	mask := func(names []string) (uint64, error) {
		var m uint64
		for _, n := range names {
			bit, ok := byName[n]
			if !ok {
				return 0, fmt.Errorf("unknown capability %s in config", n)
			}
			if int(bit) <= last {
				m |= 1 << bit
			}
		}
		return m, nil
	}
	caps := s.Process.Capabilities
	if caps == nil {
		caps = &rspec.LinuxCapabilities{}
	}
	sets := []struct {
		field string
		want  []string
	}{{"CapBnd", caps.Bounding}, {"CapEff", caps.Effective}, {"CapInh", caps.Inheritable}, {"CapPrm", caps.Permitted}, {"CapAmb", caps.Ambient}}
	for _, set := range sets {
		want, err := mask(set.want)
		if err != nil {
			return err
		}
		raw, err := statusField(set.field)
		if err != nil {
			return err
		}
		got, err := strconv.ParseUint(raw, 16, 64)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%s %016x, want %016x (extra %s, missing %s)", set.field, got, want, capNames(got&^want), capNames(want&^got))
		}
	}
	return nil
}

func capNames(m uint64) string {
	var names []string
	for _, c := range capability.List() {
		if m&(1<<uint(c)) != 0 {
			names = append(names, c.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

var rlimitByName = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

func checkRlimits(s *rspec.Spec) error {
	for _, r := range s.Process.Rlimits {
		res, ok := rlimitByName[r.Type]
		if !ok {
			return fmt.Errorf("unknown rlimit %s in config", r.Type)
		}
		var got unix.Rlimit
		if err := unix.Getrlimit(res, &got); err != nil {
			return err
		}
		// Go (1.19 on) raises its own RLIMIT_NOFILE soft limit to the hard one at start-up, so this
		// process cannot see the soft value it was given: process_rlimits reads it with busybox.
		if res == unix.RLIMIT_NOFILE {
			got.Cur = r.Soft
		}
		if got.Cur != r.Soft || got.Max != r.Hard {
			return fmt.Errorf("%s %d/%d, want %d/%d", r.Type, got.Cur, got.Max, r.Soft, r.Hard)
		}
	}
	return nil
}

func checkOOMScoreAdj(s *rspec.Spec) error {
	if s.Process.OOMScoreAdj == nil {
		return nil
	}
	raw, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return err
	}
	got, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if got != *s.Process.OOMScoreAdj {
		return fmt.Errorf("oom_score_adj %d, want %d", got, *s.Process.OOMScoreAdj)
	}
	return nil
}

func checkDefaultDevices(s *rspec.Spec) error {
	devs := []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx"}
	if s.Process.Terminal {
		devs = append(devs, "/dev/console")
	}
	for _, d := range devs {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeDevice == 0 {
			return fmt.Errorf("%s is not a device", d)
		}
	}
	return nil
}

func checkDefaultSymlinks(s *rspec.Spec) error {
	links := map[string]string{"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}
	keys := make([]string, 0, len(links))
	for k := range links {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, l := range keys {
		got, err := os.Readlink(l)
		if err != nil {
			return err
		}
		if got != links[l] {
			return fmt.Errorf("%s -> %s, want %s", l, got, links[l])
		}
	}
	return nil
}

func checkDevices(s *rspec.Spec) error {
	for _, d := range s.Linux.Devices {
		fi, err := os.Stat(d.Path)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		var typ string
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFCHR:
			typ = "c"
		case syscall.S_IFBLK:
			typ = "b"
		case syscall.S_IFIFO:
			typ = "p"
		}
		if typ != d.Type && !(d.Type == "u" && typ == "c") {
			return fmt.Errorf("%s is type %q, want %q", d.Path, typ, d.Type)
		}
		if typ != "p" && (int64(unix.Major(st.Rdev)) != d.Major || int64(unix.Minor(st.Rdev)) != d.Minor) {
			return fmt.Errorf("%s is %d:%d, want %d:%d", d.Path, unix.Major(st.Rdev), unix.Minor(st.Rdev), d.Major, d.Minor)
		}
		if d.FileMode != nil && fi.Mode().Perm() != d.FileMode.Perm() {
			return fmt.Errorf("%s mode %v, want %v", d.Path, fi.Mode().Perm(), d.FileMode.Perm())
		}
		if d.UID != nil && st.Uid != *d.UID {
			return fmt.Errorf("%s uid %d, want %d", d.Path, st.Uid, *d.UID)
		}
		if d.GID != nil && st.Gid != *d.GID {
			return fmt.Errorf("%s gid %d, want %d", d.Path, st.Gid, *d.GID)
		}
	}
	return nil
}

// A masked path reads as nothing: an empty file (/dev/null over it) or an empty directory
// (a read-only tmpfs over it). A path that does not exist on this kernel is trivially masked.
func checkMaskedPaths(s *rspec.Spec) error {
	for _, p := range s.Linux.MaskedPaths {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.IsDir() {
			entries, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			if len(entries) > 0 {
				return fmt.Errorf("masked directory %s lists %d entries", p, len(entries))
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err == nil && len(data) > 0 {
			return fmt.Errorf("masked file %s reads %d bytes", p, len(data))
		}
	}
	return nil
}

func checkReadonlyPaths(s *rspec.Spec) error {
	for _, p := range s.Linux.ReadonlyPaths {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		var werr error
		if fi.IsDir() {
			var st unix.Statfs_t
			if werr = unix.Statfs(p, &st); werr == nil && st.Flags&unix.ST_RDONLY == 0 {
				return fmt.Errorf("%s is on a writable mount", p)
			}
			continue
		}
		f, werr := os.OpenFile(p, os.O_WRONLY, 0)
		if werr == nil {
			f.Close()
			return fmt.Errorf("%s opens for writing", p)
		}
		if !errors.Is(werr, unix.EROFS) {
			return fmt.Errorf("%s: %v, want EROFS", p, werr)
		}
	}
	return nil
}

func checkSysctl(s *rspec.Spec) error {
	keys := make([]string, 0, len(s.Linux.Sysctl))
	for k := range s.Linux.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw, err := os.ReadFile(filepath.Join("/proc/sys", strings.ReplaceAll(k, ".", "/")))
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(bytes.Trim(raw, "\x00"))); got != s.Linux.Sysctl[k] {
			return fmt.Errorf("%s = %q, want %q", k, got, s.Linux.Sysctl[k])
		}
	}
	return nil
}

func checkIDMap(want []rspec.LinuxIDMapping, path string) error {
	if len(want) == 0 {
		return nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var got []rspec.LinuxIDMapping
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		c, _ := strconv.ParseUint(f[0], 10, 32)
		h, _ := strconv.ParseUint(f[1], 10, 32)
		n, _ := strconv.ParseUint(f[2], 10, 32)
		got = append(got, rspec.LinuxIDMapping{ContainerID: uint32(c), HostID: uint32(h), Size: uint32(n)})
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s has %v, want %v among them", path, got, w)
		}
	}
	return nil
}

func checkRootPropagation(s *rspec.Spec) error {
	want := s.Linux.RootfsPropagation
	if want == "" {
		return nil
	}
	mounts, err := readMountinfo()
	if err != nil {
		return err
	}
	var root *mountEntry
	for i := range mounts {
		if mounts[i].point == "/" {
			root = &mounts[i]
		}
	}
	if root == nil {
		return errors.New("no / in mountinfo")
	}
	opt := root.optional
	ok := false
	switch want {
	case "shared", "rshared":
		ok = strings.Contains(opt, "shared:")
	case "slave", "rslave":
		// A slave of a private mount is private (this host's / is private): what must hold is
		// that nothing mounted inside propagates out.
		ok = !strings.Contains(opt, "shared:")
	case "private", "rprivate":
		ok = !strings.Contains(opt, "shared:") && !strings.Contains(opt, "master:") && !strings.Contains(opt, "unbindable")
	case "unbindable", "runbindable":
		ok = strings.Contains(opt, "unbindable")
	default:
		return fmt.Errorf("unknown rootfsPropagation %q", want)
	}
	if !ok {
		return fmt.Errorf("/ has propagation fields %q, want %s", opt, want)
	}
	return nil
}
