package vision

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The recipes are what the README's table says: v1 is the previous
// default's; v2a moves to 128 px with hemifield views; v2b adds
// distillation from MobileNet v2 beside the data root; nothing else
// differs between v2a and v2b; v2c differs from v2a in fresh views, weight
// decay and the IT spatial-loss weight only; v2d and v2e differ from v2c
// in that weight only; v2f differs from v2d in epochs only, and v2g from
// v2f in the seed only. Unknown names are refused with the list.
func TestRecipes(t *testing.T) {
	v1, err := Recipe("v1", "root")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Input() != 64 || v1.Views != 0 || v1.Distil != nil {
		t.Errorf("v1: input %d, views %d, distil %v", v1.Input(), v1.Views, v1.Distil)
	}
	a, _ := Recipe("v2a", "root")
	b, _ := Recipe("v2b", "root")
	if a.Input() != 128 || a.TrainSide != 144 || a.HemifieldFrac != 0.3 || a.Views != 4 || a.Distil != nil {
		t.Errorf("v2a: %+v", a)
	}
	if b.Distil == nil || b.Distil.Weight != 1 || b.Distil.Dims != 1280 ||
		b.Distil.Teacher != filepath.Join("root", "..", "models", "mobilenet_v2", "mobilenet_v2_1.0_224_quant.tflite") {
		t.Fatalf("v2b distillation: %+v", b.Distil)
	}
	b.Distil = nil
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Errorf("v2a and v2b differ beyond distillation:\n%s\n%s", ja, jb)
	}
	c, _ := Recipe("v2c", "root")
	if c.Views != 0 || c.WeightDecay != 0.05 || c.Alpha != [4]float64{0, 0, 0, 2} {
		t.Errorf("v2c: %+v", c)
	}
	c.Views, c.WeightDecay, c.Alpha = a.Views, a.WeightDecay, a.Alpha
	if ja, jc := mustJSON(t, a), mustJSON(t, c); ja != jc {
		t.Errorf("v2a and v2c differ beyond views, weight decay and α:\n%s\n%s", ja, jc)
	}
	c, _ = Recipe("v2c", "root")
	for name, itAlpha := range map[string]float64{"v2d": 1, "v2e": 1.25} {
		r, _ := Recipe(name, "root")
		if r.Alpha != [4]float64{0, 0, 0, itAlpha} {
			t.Errorf("%s α %v, want %g on IT only", name, r.Alpha, itAlpha)
		}
		r.Alpha[3] = 2
		if jc, jr := mustJSON(t, c), mustJSON(t, r); jc != jr {
			t.Errorf("v2c and %s differ beyond α:\n%s\n%s", name, jc, jr)
		}
	}
	f, _ := Recipe("v2f", "root")
	d, _ := Recipe("v2d", "root")
	if f.Epochs != 20 || d.Epochs != 16 {
		t.Errorf("v2f epochs %d, v2d %d: want 20 and 16", f.Epochs, d.Epochs)
	}
	f.Epochs = d.Epochs
	if jd, jf := mustJSON(t, d), mustJSON(t, f); jd != jf {
		t.Errorf("v2d and v2f differ beyond epochs:\n%s\n%s", jd, jf)
	}
	g, _ := Recipe("v2g", "root")
	f, _ = Recipe("v2f", "root")
	if g.Seed != 2 || f.Seed != 1 {
		t.Errorf("v2g seed %d, v2f %d: want 2 and 1", g.Seed, f.Seed)
	}
	g.Seed = f.Seed
	if jf, jg := mustJSON(t, f), mustJSON(t, g); jf != jg {
		t.Errorf("v2f and v2g differ beyond the seed:\n%s\n%s", jf, jg)
	}
	if _, err := Recipe("v3", "root"); err == nil || !strings.Contains(err.Error(), "v2b") {
		t.Errorf("unknown recipe: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
