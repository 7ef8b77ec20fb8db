package paradigm

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/microstim/microstim/internal/testutil"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/vision"
)

// Selectors name the sets they say; detection Distractors default to the
// face-selectivity set's images the target does not name.
func TestSelectors(t *testing.T) {
	pool := handPool()
	for _, tc := range []struct {
		sel  string
		want int
	}{{"face", 6}, {"nonface", 12}, {"gender:female", 3}, {"car_side", 6}, {"category:car_side", 6}, {"category:none", 0}} {
		if got := len(Select(pool, tc.sel)); got != tc.want {
			t.Errorf("%s: %d stimuli, want %d", tc.sel, got, tc.want)
		}
	}
	if d := Distractors(pool, "car_side", ""); len(d) != 12 || d[0].Category == "car_side" {
		t.Errorf("Distractors of car_side: %d (first %q), want the 6 faces and 6 bodies", len(d), d[0].Category)
	}
	for _, bad := range []string{"", "gender:other", "identity:", "colour:red"} {
		if CheckSelector(bad) == nil {
			t.Errorf("selector %q accepted", bad)
		}
	}
}

// Selectors combine with " + " and " - "; sets are compared as sets of
// images, so the same set spelt two ways, a subset and a partial overlap
// are refused with both names and the counts, and disjoint sets pass.
func TestSelectorSets(t *testing.T) {
	pool := handPool()
	for _, tc := range []struct {
		sel  string
		want int
	}{{"face + body", 12}, {"nonface - body", 6}, {"face - gender:male", 3}, {"body + body", 6}, {"face + car_side - gender:female", 9}} {
		if got := len(Select(pool, tc.sel)); got != tc.want {
			t.Errorf("%s: %d stimuli, want %d", tc.sel, got, tc.want)
		}
	}
	if err := CheckSelector("face - colour:red"); err == nil || !strings.Contains(err.Error(), "colour:red") {
		t.Errorf("a bad term: %v", err)
	}
	for _, tc := range []struct {
		a, b, want string
	}{
		{"face", "face", `"face" and "face" name the same 6 images`},
		{"car_side", "category:car_side", `name the same 6 images`},
		{"gender:male", "face", `"gender:male" (3 images) lies within "face" (6 images)`},
		{"face", "gender:male", `exclude it: "face - gender:male"`},
		{"face + body", "nonface", `share 6 images`},
	} {
		_, err := SelectDisjoint(pool, tc.a, tc.b)
		var oe *OverlapError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q against %q: %v, want an *OverlapError saying %s", tc.a, tc.b, err, tc.want)
		}
	}
	if sets, err := SelectDisjoint(pool, "face - gender:male", "gender:male"); err != nil || len(sets[0]) != 3 || len(sets[1]) != 3 {
		t.Errorf("disjoint sets: %v", err)
	}
	if _, _, err := DetectionSets(pool, "face", "face"); err == nil {
		t.Error("detection of face among face accepted")
	}
}

// The task kinds build what they say: detection with levels shows targets
// at + levels, Distractors at − levels and both at 0, and fits its readout
// at every non-zero level; discrimination in one hemifield shows every
// test image on both sides and labels the second category 1.
func TestTaskKinds(t *testing.T) {
	pool := handPool()
	faces, bodies := Select(pool, "face"), Select(pool, "body")
	d, err := Detection([]float64{-50, 0, 50}, faces, bodies, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var targets, zero int
	for _, it := range d.Items {
		if it.Target {
			targets++
		}
		if it.Level == 0 {
			zero++
		}
		if it.Level > 0 != (it.Target && it.Level != 0) || it.Placed {
			t.Errorf("item %+v", it)
		}
	}
	if len(d.Items) != 8 || zero != 4 || targets != 4 || len(d.FitImgs) != 2*2*4 {
		t.Errorf("detection: %d items (%d at 0, %d targets), %d fit images; want 8 (4, 4) and 16", len(d.Items), zero, targets, len(d.FitImgs))
	}
	intact, _ := Detection(nil, faces, bodies, 2, 0, 1)
	if len(intact.Items) != 4 || len(intact.FitImgs) != 8 || intact.Items[0].Img.Pix[0] != 0.1 {
		t.Errorf("intact detection: %d items, %d fit images, first pixel %v; want 4, 8 and an intact distractor", len(intact.Items), len(intact.FitImgs), intact.Items[0].Img.Pix[0])
	}
	male, female := Select(pool, "gender:male"), Select(pool, "gender:female")
	g, err := Discrimination(male, female, 1, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Items) != 4 || !g.Items[0].Placed || g.Items[0].Side != LeftField || g.Items[1].Side != RightField || g.Items[0].Target || !g.Items[3].Target {
		t.Errorf("discrimination items: %+v", g.Items)
	}
	if len(g.FitLab) != 8 || g.FitLab[0] != 0 || g.FitLab[7] != 1 {
		t.Errorf("fit labels %v: want 4 zeros (male) then 4 ones (female)", g.FitLab)
	}
	if _, err := Discrimination(male, female, 2, 0, 1); err == nil {
		t.Error("3 images per class accepted for 2 test images and a decoder set of 2")
	}
}

// Discrimination of every pair of three categories: each image in each
// hemifield, three tasks; a readout that always gives the true category
// makes every task perfect in both fields, and one that is uniform makes
// every task chance (d′ near 0).
func TestPairTask(t *testing.T) {
	pt, err := NewPairs(handPool(), []string{"face", "body", "car_side"}, 2, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pt.Items) != 12 || len(pt.FitImgs) != 24 || len(pt.Tasks) != 3 {
		t.Fatalf("%d items, %d fit images, %d tasks; want 12, 24, 3", len(pt.Items), len(pt.FitImgs), len(pt.Tasks))
	}
	perfect, uniform := make([][]float64, len(pt.Items)), make([][]float64, len(pt.Items))
	for i, it := range pt.Items {
		perfect[i], uniform[i] = make([]float64, 3), []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
		perfect[i][it.Category] = 1
	}
	for f, byTask := range pt.Sessions(perfect, 50, 0, 1) {
		for k, sdt := range byTask {
			// 100 trials per class and field: d′ = 2·z(1 − 1/200) = 5.1517
			if sdt.HitRate != 1 || sdt.FalseAlarmRate != 0 || math.Abs(sdt.DPrime-5.1517) > 1e-4 {
				t.Errorf("perfect readout, field %d task %d: %+v", f, k, sdt)
			}
		}
	}
	var d, acc float64
	for _, sdt := range pt.Sessions(uniform, 2000, 0, 1)[0] {
		d += sdt.DPrime / 3
		acc += 100 * (sdt.HitRate + 1 - sdt.FalseAlarmRate) / 2 / 3
	}
	testutil.Near(t, "uniform readout d′", d, 0, 0.15)
	testutil.Near(t, "uniform readout % correct", acc, 50, 3)
}

// Same/different on hand-made responses: two people, two photos each;
// photos of one person have identical responses, so a decoder that says
// "same" below distance 0.5 is always right unperturbed; stimulation that
// moves every second photo's response by 1 turns every "same" trial into
// "different" and leaves different trials correct.
func TestSameDifferentTask(t *testing.T) {
	pool := []vision.Stimulus{{File: "a1", Identity: "a"}, {File: "a2", Identity: "a"}, {File: "b1", Identity: "b"}, {File: "b2", Identity: "b"}, {File: "x"}}
	sd, err := NewSameDifferent(pool, "identity", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Images) != 4 || sd.Groups != 2 || len(sd.Same) != 4 || len(sd.Different) != 8 {
		t.Fatalf("%d images, %d groups, %d same and %d different pairs; want 4, 2, 4, 8", len(sd.Images), sd.Groups, len(sd.Same), len(sd.Different))
	}
	ctrl := [][]float32{{0}, {0}, {3}, {3}}
	stim := [][]float32{{1}, {1}, {4}, {4}}
	dec := &sim.SameDifferent{Metric: "l1", Curve: sim.Psychometric{Alpha: -100, Beta: 50}} // P(same) = 1 below 0.5
	cue := "second"
	k, err := sd.Trials(ctrl, stim, dec, 200, cue, 0, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if k != [4]int{200, 0, 200, 200} {
		t.Errorf("correct same, same stimulated, different, different stimulated = %v; want 200, 0, 200, 200", k)
	}
	// Per group: each same trial counts for its group, each different trial
	// for both of its groups; here every trial is right but stimulated same.
	_, byGroup, _ := sd.TrialsByGroup(ctrl, stim, dec, 200, cue, 0, rand.New(rand.NewPCG(1, 1)))
	var sameTrials, diffTrials int
	for g := range byGroup {
		sameTrials, diffTrials = sameTrials+byGroup[g][1][0], diffTrials+byGroup[g][1][2]
		if byGroup[g][0][1] != 0 || byGroup[g][0][0] != byGroup[g][1][0] || byGroup[g][0][3] != byGroup[g][1][3] {
			t.Errorf("group %s: correct %v of %v", sd.GroupNames[g], byGroup[g][0], byGroup[g][1])
		}
	}
	if sameTrials != 200 || diffTrials != 400 {
		t.Errorf("per-group trials: %d same (want 200), %d different (want 2 × 200)", sameTrials, diffTrials)
	}
	cue = "both" // both photos moved: same pairs stay the same
	if k, _ = sd.Trials(ctrl, stim, dec, 200, cue, 0, rand.New(rand.NewPCG(1, 1))); k[1] != 200 {
		t.Errorf("both photos stimulated: %d of 200 same trials correct, want 200", k[1])
	}
	if _, err := NewSameDifferent(pool[:2], "identity", nil); err == nil {
		t.Error("one person accepted: no different pairs")
	}
	cat, err := NewSameDifferent(handPool(), "category", []string{"body", "car_side"})
	if err != nil || len(cat.Images) != 12 || cat.Groups != 2 {
		t.Errorf("category pairs: %v, %d images", err, len(cat.Images))
	}
}

func handPool() []vision.Stimulus {
	var pool []vision.Stimulus
	for i := 0; i < 6; i++ {
		pool = append(pool,
			vision.Stimulus{File: "f" + string(rune('a'+i)), Role: "floc_adult", Face: true, Gender: []string{"male", "female"}[i%2], Img: grey(8, 0.9)},
			vision.Stimulus{File: "o" + string(rune('a'+i)), Role: "floc_body", Category: "body", Img: grey(8, 0.1)},
			vision.Stimulus{File: "c" + string(rune('a'+i)), Role: "caltech_heldout", Category: "car_side", Img: grey(8, 0.5)})
	}
	return pool
}

// grey returns a uniform side × side image.
func grey(side int, v float32) *vision.Gray {
	g := &vision.Gray{W: side, H: side, Pix: make([]float32, side*side)}
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// A split draws the test images of each class and a balanced, disjoint
// fitting set from the labelled images only.
func TestSplitBinary(t *testing.T) {
	var pool []vision.Stimulus
	for i := 0; i < 40; i++ {
		g := "male"
		if i%4 == 0 {
			g = "female" // 10 female, 30 male
		}
		pool = append(pool, vision.Stimulus{File: string(rune('a'+i%26)) + strings.Repeat("x", i), Gender: g})
	}
	pool = append(pool, vision.Stimulus{File: "unlabelled"})
	split := func(n int) (test, fit []vision.Stimulus, ok bool) {
		tm, tf, fm, ff, ok := Split(Select(pool, "gender:male"), Select(pool, "gender:female"), n, 1, DiscriminationStream)
		return slices.Concat(tm, tf), slices.Concat(fm, ff), ok
	}
	test, fit, ok := split(4)
	if !ok {
		t.Fatal("no split")
	}
	count := func(list []vision.Stimulus) (m, f int) {
		for _, s := range list {
			if s.Gender == "female" {
				f++
			} else if s.Gender == "male" {
				m++
			} else {
				t.Fatalf("unlabelled face %s used", s.File)
			}
		}
		return
	}
	if m, f := count(test); m != 4 || f != 4 {
		t.Errorf("test set %d male, %d female; want 4 and 4", m, f)
	}
	if m, f := count(fit); m != 6 || f != 6 {
		t.Errorf("fit set %d male, %d female; want 6 and 6 (balanced)", m, f)
	}
	seen := map[string]bool{}
	for _, s := range test {
		seen[s.File] = true
	}
	for _, s := range fit {
		if seen[s.File] {
			t.Errorf("%s in both test and fit sets", s.File)
		}
	}
	if _, _, ok := split(9); ok {
		t.Error("9 test faces per gender accepted with only 10 female faces")
	}
}

// An image shown in one hemifield fills the middle of that half of the
// frame and leaves the other half grey.
func TestPlaceInHemifield(t *testing.T) {
	img := &vision.Gray{W: 64, H: 64, Pix: make([]float32, 64*64)}
	for i := range img.Pix {
		img.Pix[i] = 1
	}
	for _, tc := range []struct {
		side       Side
		x0, x1     int // columns covered by the image
		emptyLo    int
		emptyHi    int
		scale      float64
		y0, y1     int
		wantPixels int
	}{
		{LeftField, 0, 32, 32, 64, 0.5, 16, 48, 32 * 32},
		{RightField, 32, 64, 0, 32, 0.5, 16, 48, 32 * 32},
		{LeftField, 8, 24, 32, 64, 0.25, 24, 40, 16 * 16},
	} {
		out := PlaceInHemifield(img, tc.side, tc.scale)
		n := 0
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				v := out.Pix[y*64+x]
				inside := x >= tc.x0 && x < tc.x1 && y >= tc.y0 && y < tc.y1
				if inside && v != 1 || !inside && v != Background {
					t.Fatalf("%v scale %g: pixel (%d, %d) = %g", tc.side, tc.scale, x, y, v)
				}
				if v == 1 {
					n++
				}
			}
		}
		if n != tc.wantPixels {
			t.Errorf("%v scale %g: %d image pixels, want %d", tc.side, tc.scale, n, tc.wantPixels)
		}
	}
}

func TestIdentityPairs(t *testing.T) {
	ids := []string{"a", "a", "b", "c", "c", "c"}
	same, diff := ImagePairs(ids)
	if len(same) != 2+6 || len(diff) != 6*5-8 {
		t.Fatalf("%d same and %d different pairs, want 8 and 22", len(same), len(diff))
	}
	for _, p := range same {
		if ids[p.A] != ids[p.B] || p.A == p.B || !p.Same {
			t.Errorf("same pair %+v", p)
		}
	}
	for _, p := range diff {
		if ids[p.A] == ids[p.B] || p.Same {
			t.Errorf("different pair %+v", p)
		}
	}
}

func TestAllPairs(t *testing.T) {
	tasks := AllPairs(4)
	if len(tasks) != 6 {
		t.Fatalf("%d tasks, want 6", len(tasks))
	}
	seen := map[Pair]bool{}
	for _, tk := range tasks {
		if tk.A >= tk.B || seen[tk] {
			t.Errorf("task %+v repeated or unordered", tk)
		}
		seen[tk] = true
	}
}

func TestO2DPrime(t *testing.T) {
	testutil.Near(t, "d′(84/100, 16/100)", O2DPrime(84, 100, 16, 100), 2*0.9944578832097535, 1e-9)
	testutil.Near(t, "d′(50/100, 50/100)", O2DPrime(50, 100, 50, 100), 0, 1e-12)
	// perfect performance is clipped at 1 − 1/(2n): z(0.995) − z(0.005)
	testutil.Near(t, "d′(100/100, 0/100)", O2DPrime(100, 100, 0, 100), 2*2.5758293035489004, 1e-9)
}

// AddNoise replaces exactly round((1 − |x|/100)·N) pixels at each level.
func TestAddNoiseFraction(t *testing.T) {
	img := &vision.Gray{W: 64, H: 64, Pix: make([]float32, 64*64)}
	for i := range img.Pix {
		img.Pix[i] = 2 // outside [0, 1): any noise pixel differs
	}
	for _, lv := range []float64{-80, -50, -15, 0, 15, 40, 80, 100} {
		out := AddNoise(img, lv, rand.New(rand.NewPCG(1, uint64(lv+100))))
		changed := 0
		for i, v := range out.Pix {
			if v != img.Pix[i] {
				changed++
				if v < 0 || v >= 1 {
					t.Fatalf("noise value %v outside [0, 1)", v)
				}
			}
		}
		want := int(math.Round((1 - math.Abs(lv)/100) * 4096))
		if changed != want {
			t.Errorf("signal %g %%: %d pixels replaced, want %d", lv, changed, want)
		}
	}
	if img.Pix[0] != 2 {
		t.Error("AddNoise modified its input")
	}
}
