package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's generated blocks are replaced from the gallery's outputs;
// text outside them is kept, a missing measure prints "n/a", and a README
// without a block is refused.
func TestRewriteReadme(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(tmp, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bench/scorecard.json", `{"criteria":[{"id":"A-x","model":0.25,"model_p":0.018,"monkey":0.55,"pass":true}],"passed":1,"mean_score":0.7}`)
	write("bench/calibrated/scorecard.json", `{"criteria":[{"id":"A-x","model":0.3,"model_p":null,"monkey":0.55,"pass":false}],"passed":0,"mean_score":0.6}`)
	write("model/model_info.json", `{"input_px":128,"it_positions":[8,8],"heldout_top1":0.7,"face_dprime_peak":{"L":1.5,"R":1.2},"face_patches":[{"hemisphere":"L","area_mm2":4.5}],"sites_dprime_gt1":40,"sites_total":800}`)
	readme := filepath.Join(tmp, "README.md")
	os.WriteFile(readme, []byte("intro $1\n<!-- gallery:scorecard -->\nold\n<!-- /gallery:scorecard -->\nmiddle\n<!-- gallery:default-model -->\nold\n<!-- /gallery:default-model -->\nend\n"), 0o644)
	if err := rewriteReadme(readme, tmp); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(readme)
	got := string(b)
	for _, want := range []string{"intro $1\n", "\nmiddle\n", "\nend\n", "| 1 | `A-x` | 0.25 (p = 0.018) | pass | 0.3 (p = n/a) | fail | 0.55 |",
		"Fixed readout: **1 of 1** pass", "| input, IT positions | 128 px, 8 × 8 |", "| face patches above the null | L 4.5 mm² |"} {
		if !strings.Contains(got, want) {
			t.Errorf("rewritten README lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old") {
		t.Errorf("old block text kept:\n%s", got)
	}
	os.WriteFile(readme, []byte("no blocks\n"), 0o644)
	if err := rewriteReadme(readme, tmp); err == nil || !strings.Contains(err.Error(), "gallery:") {
		t.Errorf("README without blocks: %v", err)
	}
}
