package experiments

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/microstim/microstim/vision"
)

// updatePins rewrites the pinned numbers of the embedded default model from
// this run: go test ./experiments -run Default -update-pins (after a
// deliberate model or method change, reviewed in the diff).
var updatePins = flag.Bool("update-pins", false, "rewrite "+pinsFile+" from this run")

// pinsFile holds the embedded default model's numbers, measured by the
// code itself: regression guards, not published values. Each section
// belongs to one test; the model's SHA-256 says which model they are for.
const pinsFile = "testdata/default_pins.json"

type pinSet struct {
	ModelSHA256 string                        `json:"model_sha256"`
	Sections    map[string]map[string]float64 `json:"sections"`
}

// guard is a measured number with the tolerance its pin is checked to.
type guard struct {
	name string
	got  float64
	tol  float64
}

// checkPins compares a test's numbers with section of pinsFile, or
// rewrites the section under -update-pins.
func checkPins(t *testing.T, section string, got []guard) {
	t.Helper()
	_, _, sha, err := vision.Default()
	if err != nil {
		t.Fatal(err)
	}
	var ps pinSet
	b, err := os.ReadFile(pinsFile)
	if err == nil {
		err = json.Unmarshal(b, &ps)
	}
	if err != nil && !*updatePins {
		t.Fatalf("%s: %v (run with -update-pins to write it)", pinsFile, err)
	}
	if *updatePins {
		if ps.ModelSHA256 != sha {
			ps = pinSet{ModelSHA256: sha}
		}
		if ps.Sections == nil {
			ps.Sections = map[string]map[string]float64{}
		}
		ps.Sections[section] = map[string]float64{}
		for _, g := range got {
			ps.Sections[section][g.name] = g.got
		}
		out, _ := json.MarshalIndent(ps, "", "  ")
		if err := os.MkdirAll(filepath.Dir(pinsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pinsFile, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s section %s", pinsFile, section)
		return
	}
	if ps.ModelSHA256 != sha {
		t.Fatalf("%s pins model %.12s…, the embedded model is %.12s…: re-pin with -update-pins after checking the new numbers", pinsFile, ps.ModelSHA256, sha)
	}
	want := ps.Sections[section]
	seen := map[string]bool{}
	for _, g := range got {
		w, ok := want[g.name]
		seen[g.name] = true
		switch {
		case !ok:
			t.Errorf("%s: no pin %s in %s", section, g.name, pinsFile)
		case math.IsNaN(g.got) || math.Abs(g.got-w) > g.tol:
			t.Errorf("%s: %s = %v, pinned %v ± %g (re-pin with -update-pins only for an intended model or method change)", section, g.name, g.got, w, g.tol)
		}
	}
	var extra []string
	for k := range want {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s: pins %v are no longer measured", section, extra)
	}
}

// b2f records a verdict as a pinned number (1 pass, 0 fail).
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
