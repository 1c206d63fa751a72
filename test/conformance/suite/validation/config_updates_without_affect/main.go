// config_updates_without_affect: runtime.md "create": changes to config.json after create do
// not affect the container.
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
	g.SetProcessArgs([]string{"sh", "-c", "echo original > /output"})
	c, err := ocitest.NewContainer(g, nil)
	if err != nil {
		ocitest.Fatal(err)
	}
	defer c.Destroy()
	err = c.Create()
	if err == nil {
		g.SetProcessArgs([]string{"sh", "-c", "echo updated > /output"})
		g.SetHostname("updated")
		err = ocitest.WriteConfig(c.Bundle, g)
	}
	if err == nil {
		err = c.Start()
	}
	if err == nil {
		_, err = c.WaitFor(ocitest.ExitTimeout, rspec.StateStopped)
	}
	if err == nil {
		var data []byte
		data, err = os.ReadFile(filepath.Join(c.Bundle, "output"))
		if err == nil && string(data) != "original\n" {
			err = fmt.Errorf("the process wrote %q: config.json edited after create was used", data)
		}
	}
	t.Check(err, "changes to config.json after create MUST NOT affect the container", "runtime.md#create")
	t.Plan()
}
