package ocitest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/opencontainers/runtime-tools/generate"
)

// NewID is a fresh container ID (32 hex digits: unique across concurrent runs on one host).
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		Fatal(err)
	}
	return hex.EncodeToString(b)
}

// RootfsTarball is the busybox rootfs every bundle is unpacked from: $CONFORMANCE_ROOTFS, else
// rootfs-<arch>.tar.gz in the working directory (runtime-tools' own convention).
func RootfsTarball() string {
	if p := os.Getenv("CONFORMANCE_ROOTFS"); p != "" {
		return p
	}
	return fmt.Sprintf("rootfs-%s.tar.gz", runtime.GOARCH)
}

// PrepareBundle makes a bundle directory that is also the rootfs (root.path "."), as
// runtime-tools does, with the runtimetest checker copied in at /runtimetest.
func PrepareBundle() (string, error) {
	dir, err := os.MkdirTemp(os.Getenv("CONFORMANCE_TMP"), "ocitest")
	if err != nil {
		return "", err
	}
	if out, err := exec.Command("tar", "-xzf", RootfsTarball(), "-C", dir).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("unpack %s: %v: %s", RootfsTarball(), err, out)
	}
	if err := copyFile("runtimetest", filepath.Join(dir, "runtimetest"), 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// MustBundle is PrepareBundle for a program that cannot go on without one.
func MustBundle() string {
	dir, err := PrepareBundle()
	if err != nil {
		Fatal(err)
	}
	return dir
}

// DefaultConfig is runtime-tools' default Linux config (namespaces pid, network, ipc, uts,
// mount; 14 capabilities in every set; /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys;
// masked and read-only paths; devices cgroup deny-all; RLIMIT_NOFILE 1024) with root "." and
// /runtimetest as the process, which is what the real validation suite starts from.
func DefaultConfig() *generate.Generator {
	g, err := generate.New("linux")
	if err != nil {
		Fatal(err)
	}
	g.SetRootPath(".")
	g.SetProcessArgs([]string{"/runtimetest"})
	return &g
}

// WriteConfig saves g as bundle/config.json.
func WriteConfig(bundle string, g *generate.Generator) error {
	return g.SaveToFile(filepath.Join(bundle, "config.json"), generate.ExportOptions{})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %v (run from the directory holding runtimetest)", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
