// misc_props: config.md: unknown properties and annotation keys are ignored; invalid values
// are errors.
package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	rspec "github.com/opencontainers/runtime-spec/specs-go"

	"engine.local/conformance/ocitest"
)

func main() {
	t := ocitest.NewTAP()
	g := ocitest.DefaultConfig()
	g.SetProcessArgs([]string{"true"})

	withAnnotation := *g.Config
	withAnnotation.Annotations = map[string]string{"org.example.unknown-" + ocitest.NewID(): ""}
	t.Check(ocitest.Expect(false, run(withAnnotation, nil), "a config with an unknown annotation"), "an unknown annotation key MUST NOT generate an error", "config.md#annotations")

	t.Check(ocitest.Expect(false, run(*g.Config, map[string]string{"unknownProperty": "x"}), "a config with an unknown property"), "an unknown property MUST NOT generate an error", "config.md#extensibility")

	bad := *g.Config
	bad.Version = "invalid"
	t.Check(ocitest.Expect(true, run(bad, nil), "a config with ociVersion \"invalid\""), "an invalid value (ociVersion \"invalid\") MUST generate an error", "config.md#valid-values")

	noRoot := *g.Config
	noRoot.Root = &rspec.Root{Path: "no-such-rootfs"}
	t.Check(ocitest.Expect(true, run(noRoot, nil), "a config whose root.path does not exist"), "a root.path that does not exist MUST generate an error", "config.md#root")
	t.Plan()
}

// run writes spec (plus extra top-level properties) as config.json and runs the container to
// its end; the first error is returned.
func run(spec rspec.Spec, extra map[string]string) error {
	bundle, err := ocitest.PrepareBundle()
	if err != nil {
		ocitest.Fatal(err)
	}
	defer os.RemoveAll(bundle)
	raw, _ := json.Marshal(spec)
	var obj map[string]interface{}
	json.Unmarshal(raw, &obj)
	for k, v := range extra {
		obj[k] = v
	}
	raw, _ = json.Marshal(obj)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), raw, 0o644); err != nil {
		ocitest.Fatal(err)
	}
	c := &ocitest.Container{Runtime: ocitest.NewRuntime(bundle)}
	defer c.Clean()
	return c.RunToExit()
}
