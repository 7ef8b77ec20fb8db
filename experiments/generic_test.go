package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/internal/testutil"
	"github.com/microstim/microstim/topography"
)

// The generic form of a paper protocol gives the paper protocol's numbers:
// the same sites, and per site the same psychometric shift (Afraz 2006) or
// the same % correct without and with the perturbation in each hemifield
// (Afraz 2015).
func TestGenericEqualsPaperProtocols(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two protocols twice")
	}
	m, _, _, pool := defaultModelAndPool(t)
	run := func(file string) *GenericResult {
		c, err := LoadConfig(file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := RunGeneric(c, m, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("afraz2006", func(t *testing.T) {
		c, err := LoadConfig(filepath.Join("..", "configs", "afraz2006.toml"))
		if err != nil {
			t.Fatal(err)
		}
		paper, err := RunAfraz2006(c, m, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := run(filepath.Join("testdata", "generic_afraz2006.toml")).Conditions[0]
		if len(g.Sites) != len(paper.Sites) {
			t.Fatalf("%d sites, paper protocol %d", len(g.Sites), len(paper.Sites))
		}
		finite := 0
		for i, s := range paper.Sites {
			gs := g.Sites[i]
			if !math.IsNaN(s.Shift_pct) {
				finite++
			}
			if gs.X_mm != s.X_mm || gs.Y_mm != s.Y_mm || gs.Hemi != s.Hemi || math.Abs(gs.Shift_pct[0]-s.Shift_pct) > 1e-9 && !(math.IsNaN(s.Shift_pct) && math.IsNaN(gs.Shift_pct[0])) {
				t.Errorf("site %d: generic %s (%.2f, %.2f) shift %.6f; paper %s (%.2f, %.2f) shift %.6f", i, gs.Hemi, gs.X_mm, gs.Y_mm, gs.Shift_pct[0], s.Hemi, s.X_mm, s.Y_mm, s.Shift_pct)
			}
		}
		if finite < len(paper.Sites)/2 {
			t.Errorf("only %d of %d sites have a finite shift to compare", finite, len(paper.Sites))
		}
	})
	t.Run("rajalingham2019", func(t *testing.T) {
		c, err := LoadConfig(filepath.Join("..", "configs", "rajalingham2019.toml"))
		if err != nil {
			t.Fatal(err)
		}
		paper, err := RunRajalingham2019(c, m, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := run(filepath.Join("testdata", "generic_rajalingham2019.toml")).Conditions[0]
		if len(g.Sites) != len(paper.Sites) || len(paper.Sites) == 0 {
			t.Fatalf("%d sites; paper protocol %d", len(g.Sites), len(paper.Sites))
		}
		for i, s := range paper.Sites {
			gs := g.Sites[i]
			if gs.Site != s.Site || fmt.Sprint(gs.TaskDeltaDPrime) != fmt.Sprint([][]float64{s.DeltaContra, s.DeltaIpsi}) {
				t.Errorf("site %d: generic %+v Δd′ %v; paper %+v Δd′ %v %v", i, gs.Site, gs.TaskDeltaDPrime, s.Site, s.DeltaContra, s.DeltaIpsi)
			}
		}
	})
	t.Run("afraz2015", func(t *testing.T) {
		c, err := LoadConfig(filepath.Join("..", "configs", "afraz2015_optogenetics.toml"))
		if err != nil {
			t.Fatal(err)
		}
		paper, err := RunAfraz2015(c, m, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := run(filepath.Join("testdata", "generic_afraz2015_optogenetics.toml")).Conditions[0]
		if len(g.Sites) != len(paper.Sites) || len(g.Fields) != 2 || g.Fields[0] != "contra" {
			t.Fatalf("%d sites in fields %v; paper protocol %d sites, contra and ipsi", len(g.Sites), g.Fields, len(paper.Sites))
		}
		for i, s := range paper.Sites {
			gs := g.Sites[i]
			for f := 0; f < 2; f++ {
				if gs.X_mm != s.X_mm || gs.Y_mm != s.Y_mm || math.Abs(gs.Control[f].Accuracy_pct-s.Control[f]) > 1e-9 || math.Abs(gs.Perturbed[f].Accuracy_pct-s.Perturbed[f]) > 1e-9 {
					t.Errorf("site %d field %s: generic %.4f → %.4f %%, paper %.4f → %.4f %%", i, g.Fields[f], gs.Control[f].Accuracy_pct, gs.Perturbed[f].Accuracy_pct, s.Control[f], s.Perturbed[f])
				}
			}
		}
	})
}

// The generic form of Moeller et al. 2017 stimulates the same sites with
// the same readout; its trials are drawn with other per-site seeds (sites
// are numbered within each condition), so its accuracies agree with the
// paper protocol's within sampling error (4 standard errors of a
// difference of two proportions over 500 trials).
func TestGenericMoeller2017(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a protocol twice")
	}
	m, _, _, pool := defaultModelAndPool(t)
	c, err := LoadConfig(filepath.Join("..", "configs", "moeller2017.toml"))
	if err != nil {
		t.Fatal(err)
	}
	paper, err := RunMoeller2017(c, m, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := LoadConfig(filepath.Join("testdata", "generic_moeller2017.toml"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := RunGeneric(gc, m, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	role := map[string]string{"patch centre": "patch centre", "outside patches": "outside patches"}
	for _, cond := range g.Conditions {
		k := 0
		for _, s := range paper.Sites {
			if s.Role != role[cond.Name] {
				continue
			}
			gs := cond.Sites[k]
			k++
			if gs.Site != s.Site {
				t.Errorf("%s: site %+v, paper %+v", cond.Name, gs.Site, s.Site)
			}
			same, sameStim, diff, diffStim := s.Accuracies()
			for _, v := range []struct {
				name       string
				got, paper float64
			}{
				{"same", 100 * gs.Control[0].HitRate, same}, {"same, stimulated", 100 * gs.Perturbed[0].HitRate, sameStim},
				{"different", 100 * (1 - gs.Control[0].FalseAlarmRate), diff}, {"different, stimulated", 100 * (1 - gs.Perturbed[0].FalseAlarmRate), diffStim},
			} {
				p := v.paper / 100
				if se := 100 * math.Sqrt(2*math.Max(p*(1-p), 0.01)/500); math.Abs(v.got-v.paper) > 4*se {
					t.Errorf("%s %s: generic %.1f %%, paper %.1f %% (4 SE = %.1f)", cond.Name, v.name, v.got, v.paper, 4*se)
				}
			}
		}
		if k != len(cond.Sites) || k == 0 {
			t.Errorf("%s: %d generic sites, %d paper sites", cond.Name, len(cond.Sites), k)
		}
	}
	// The result folder holds the tables, figures and report it lists.
	dir := t.TempDir()
	if err := g.Write(dir, gc, Manifest{Program: "microstim", Seed: gc.Seed}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "sites.csv", "measures.csv", "differences.csv", "report.html",
		"config.resolved.toml", "manifest.json", "delta_accuracy_pct.png", "delta_hit_rate.svg", "sites_2.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "differences.csv")); !strings.Contains(string(b), "patch centre,outside patches,all,hit_rate,") {
		t.Errorf("differences.csv lacks the patch − outside hit-rate row:\n%s", b)
	}
}

// Measures on hand-made choice counts: 20 target trials with 15 "target"
// choices and 20 distractor trials with 5: 75 % correct, hit rate 0.75,
// false-alarm rate 0.25, d′ = 2·z(0.75) = 1.349, criterion 0; pure-noise
// items and items outside the field are left out.
func TestBinaryMeasures(t *testing.T) {
	items := []paradigm.Item{{Level: 100, Target: true}, {Level: -100}, {Level: 0, Target: true}, {Level: 100, Target: true, Placed: true, Side: paradigm.RightField}}
	k := [][]int{{5, 15}, {15, 5}, {0, 20}, {20, 0}}
	got := binaryMeasures(items, k, 20, func(it paradigm.Item) bool { return !it.Placed })
	testutil.Near(t, "accuracy", got.Accuracy_pct, 75, 1e-12)
	testutil.Near(t, "hit rate", got.HitRate, 0.75, 1e-12)
	testutil.Near(t, "false-alarm rate", got.FalseAlarmRate, 0.25, 1e-12)
	testutil.Near(t, "d′", got.DPrime, 1.3489795, 1e-6)
	testutil.Near(t, "criterion", got.Criterion, 0, 1e-12)
}

// A psychometric shift is recovered from expected choice counts of two
// logistic curves 10 % apart (control 50 % point at 0, perturbed at −10).
func TestPsychometricShift(t *testing.T) {
	levels := []float64{-40, -20, -10, 0, 10, 20, 40}
	var items []paradigm.Item
	var kc, ks [][]int
	const n = 100000
	for _, lv := range levels {
		items = append(items, paradigm.Item{Level: lv, Target: lv > 0})
		p := func(x0 float64) int { return int(math.Round(n / (1 + math.Exp(-(lv-x0)/8)))) }
		kc, ks = append(kc, []int{n - p(0), p(0)}), append(ks, []int{n - p(-10), p(-10)})
	}
	testutil.Near(t, "shift", psychometricShift(levels, items, kc, ks, n, func(paradigm.Item) bool { return true }), 10, 0.05)
}

// Condition summaries on hand-made sites: the mean Δ over sites, the d′
// groups of a split, and the difference between conditions.
func TestConditionComparison(t *testing.T) {
	site := func(sel bool, ctrl, pert float64) GenericSite {
		return GenericSite{SelectedSite: SelectedSite{Selective: sel},
			Control: []BinaryMeasures{{Accuracy_pct: ctrl}}, Perturbed: []BinaryMeasures{{Accuracy_pct: pert}}}
	}
	a := GenericCondition{Name: "a", Fields: []string{"all"}, split: true, threshold: 1,
		Sites: []GenericSite{site(true, 80, 70), site(true, 80, 72), site(false, 80, 80), site(false, 80, 78)}}
	b := GenericCondition{Name: "b", Fields: []string{"all"}, Sites: []GenericSite{site(false, 80, 81), site(false, 80, 79)}}
	sums, diffs, notes := summariseConditions([]GenericCondition{a, b}, 2000, 1)
	want := map[string]float64{"a/all sites": -5, "a/d′ > 1": -9, "a/d′ ≤ 1": -1, "b/all sites": 0}
	for _, s := range sums {
		if s.Measure != "accuracy_pct" {
			continue
		}
		w, ok := want[s.Condition+"/"+s.Group]
		// Four sites get a CI; two get none, their values listed instead.
		withCI := s.Sites >= MinSitesForCI && s.DeltaLo <= s.Delta && s.Delta <= s.DeltaHi && s.Values == nil
		noCI := s.Sites < MinSitesForCI && math.IsNaN(s.DeltaLo) && math.IsNaN(s.DeltaHi) && len(s.Values) == s.Sites
		if !ok || math.Abs(s.Delta-w) > 1e-12 || !(withCI || noCI) {
			t.Errorf("%s/%s: Δ %v [%v, %v] values %v, want %v", s.Condition, s.Group, s.Delta, s.DeltaLo, s.DeltaHi, s.Values, w)
		}
		delete(want, s.Condition+"/"+s.Group)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `condition "b"`) || !strings.Contains(notes[0], "no confidence interval below 3 sites") {
		t.Errorf("notes %q, want one saying b's 2 sites get no CI", notes)
	}
	if len(want) != 0 {
		t.Errorf("missing summaries %v", want)
	}
	got := map[string]float64{}
	for _, d := range diffs {
		if d.Measure == "accuracy_pct" {
			got[d.A+" − "+d.B] = d.Diff
		}
	}
	if got["a: d′ > 1 − a: d′ ≤ 1"] != -8 || got["a − b"] != -5 || len(got) != 2 {
		t.Errorf("differences %v: want a's groups −8 and a − b −5", got)
	}
}

// The outside-patches rule picks, per hemisphere, the grid site nearest
// the patch centre whose neighbours within the radius all have low d′.
func TestOutsideSiteRule(t *testing.T) {
	var cands []topography.Site
	for x := 0.0; x <= 4; x++ {
		cands = append(cands, topography.Site{Hemi: topography.Left, X_mm: x, DPrime: 2 - x}) // d′ 2, 1, 0, −1, −2
	}
	ctr := SelectedSite{Site: topography.Site{Hemi: topography.Left}}
	got, ok := outsideSite(cands, ctr, 0.85, 1)
	if !ok || got.X_mm != 3 {
		t.Errorf("outside site at x = %v (%v), want 3: its neighbours within 1 mm have d′ 0 and −2, x = 2's include 1", got.X_mm, ok)
	}
	if two := outsideSites(cands, ctr, 0.85, 1, 5); len(two) != 2 || two[0].X_mm != 3 || two[1].X_mm != 4 {
		t.Errorf("outside sites %+v, want x = 3 and 4, nearest first (only they qualify)", two)
	}
}

// The inside-patches rule takes, per hemisphere, the grid sites inside its
// patches ranked by d′.
func TestInsideSitesRule(t *testing.T) {
	// A patch of the cells x in [1, 3) mm, y in [0, 1) mm of a 1 mm map.
	patch := topography.Patch{Hemi: topography.Left, NX: 5, Step_mm: 1, Cells: []int{1, 2}}
	var cands []topography.Site
	for x := 0.5; x < 5; x++ {
		cands = append(cands, topography.Site{Hemi: topography.Left, X_mm: x, Y_mm: 0.5, DPrime: x})
	}
	got := insideSites(cands, []topography.Patch{patch}, topography.Left, 5, 2)
	if len(got) != 2 || got[0].X_mm != 2.5 || got[1].X_mm != 1.5 || !got[0].Selective || got[1].Selective {
		t.Errorf("inside sites %+v, want x = 2.5 (d′ 2.5 > 2) then 1.5", got)
	}
	if one := insideSites(cands, []topography.Patch{patch}, topography.Left, 1, 2); len(one) != 1 || one[0].X_mm != 2.5 {
		t.Errorf("n = 1: %+v", one)
	}
}

// Conditions state only what they change; keys that do not apply to a
// condition's task kind or perturbation kind, unknown keys, duplicate
// names and conditions outside the generic protocol are refused with the
// key.
func TestGenericConditions(t *testing.T) {
	base := "protocol = \"generic\"\n[task]\nkind = \"detection\"\ntarget = \"face\"\n[perturbation]\ncurrent_uA = 40\n"
	c, err := ParseConfig("g.toml", []byte(base+"[[condition]]\nname = \"light\"\n[condition.perturbation]\nkind = \"optogenetic\"\npower_mW = 5\n"+
		"[[condition]]\nname = \"gender\"\n[condition.task]\nkind = \"discrimination\"\ncategories = [\"gender:male\", \"gender:female\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	l, g := c.Conditions[0], c.Conditions[1]
	if l.Perturbation.Kind != "optogenetic" || l.Perturbation.Power_mW != 5 || l.Task.Target != "face" || l.Sites.NSelective != 10 {
		t.Errorf("condition light: %+v", l)
	}
	if g.Perturbation.Current_uA != 40 || g.Task.Kind != "discrimination" || g.Task.Target != "face" {
		t.Errorf("condition gender: %+v", g)
	}
	b, _ := c.ResolvedTOML()
	if c2, err := ParseConfig("resolved", b); err != nil || c2.ConfigHash() != c.ConfigHash() {
		t.Errorf("resolved config does not round-trip: %v\n%s", err, b)
	}
	for _, tc := range []struct{ body, key string }{
		{"[[condition]]\nname = \"x\"\n[condition.task]\nsignal_levels = [1]\n", "g.toml:10: condition[1].task.signal_levels"},
		{"[[condition]]\nname = \"x\"\n[condition.perturbation]\nkind = \"muscimol\"\ncurrent_uA = 5\n", "condition[1].perturbation.current_uA"},
		{"[[condition]]\nname = \"x\"\n[[condition]]\nname = \"x\"\n", "condition[2].name"},
		{"[[condition]]\nname = \"x\"\n[condition.task]\nkind = \"discrimination\"\ncategories = [\"face\"]\n", "condition[1].task.categories"},
		{"[[condition]]\nname = \"x\"\n[condition.sites]\nrule = \"outside_patches\"\noutside_radius_mm = 20\n", "condition[1].sites.outside_radius_mm"},
	} {
		_, err := ParseConfig("g.toml", []byte(base+tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: error %v, want it to name %s", tc.body, err, tc.key)
		}
	}
	if _, err := ParseConfig("a.toml", []byte("protocol = \"afraz2006\"\n[[condition]]\nname = \"x\"\n")); err == nil || !strings.Contains(err.Error(), "condition") {
		t.Errorf("conditions in afraz2006: %v", err)
	}
	if _, err := ParseConfig("g.toml", []byte("protocol = \"generic\"\n[task]\nkind = \"discrimination\"\ncategories = [\"face\", \"nonface\"]\nsignal_levels_pct = [-50, 50]\n")); err == nil || !strings.Contains(err.Error(), "task.signal_levels_pct") {
		t.Errorf("signal levels in a discrimination: %v", err)
	}
}

// Each site rule on a hand-made selectivity map: the default model's IT
// layout with face-selective units (face response 1, others 0, plus noise)
// within 1.5 mm of (3, 7) mm in the left hemisphere only, 40 images.
func TestSiteRules(t *testing.T) {
	m, _, _, _ := defaultModelAndPool(t)
	l := m.IT()
	r := rand.New(rand.NewPCG(1, 2))
	isFace := make([]bool, 40) // 20 faces, 20 others: chance site d′ stays well below 1
	for k := range 20 {
		isFace[k] = true
	}
	resp := make([][]float64, len(isFace))
	for k := range resp {
		resp[k] = make([]float64, l.Units())
		for i := range resp[k] {
			resp[k][i] = r.NormFloat64()
			if isFace[k] && l.Hemi[i] == topography.Left && math.Hypot(l.X_mm[i]-3, l.Y_mm[i]-7) < 1.5 {
				resp[k][i] += 4
			}
		}
	}
	unitD := topography.UnitDPrimes(resp, isFace)
	cands := topography.SiteDPrimes(l, resp, isFace, 0.5, 0.5)
	choose := func(s SitesConfig) ([]SelectedSite, error) {
		c := genericDefaults()
		c.Sites = s
		return c.chooseSites(l, resp, isFace, unitD, cands)
	}
	base := genericDefaults().Sites
	inPatch := func(s SelectedSite) bool { return s.Hemi == topography.Left && math.Hypot(s.X_mm-3, s.Y_mm-7) < 1.5 }

	split := base
	split.NSelective, split.NOther = 3, 4
	got, err := choose(split)
	if err != nil || len(got) != 7 {
		t.Fatalf("dprime_split: %d sites, %v", len(got), err)
	}
	for _, s := range got {
		if s.Selective != inPatch(s) {
			t.Errorf("dprime_split: site %+v selective %v, inside the patch %v", s.Site, s.Selective, inPatch(s))
		}
	}
	centre := base
	centre.Rule, centre.Hemisphere = "face_patch_centre", "L"
	if got, err = choose(centre); err != nil || len(got) != 1 || math.Hypot(got[0].X_mm-3, got[0].Y_mm-7) > 0.5 {
		t.Errorf("face_patch_centre: %+v, %v; want one site within 0.5 mm of (3, 7)", got, err)
	}
	inside := centre
	inside.Rule, inside.NPerHemisphere = "inside_patches", 3
	if got, err = choose(inside); err != nil || len(got) != 3 || !inPatch(got[0]) || !inPatch(got[2]) {
		t.Errorf("inside_patches: %+v, %v; want 3 sites inside the patch", got, err)
	}
	outside := centre
	outside.Rule, outside.OutsideDPrime, outside.Outside_mm = "outside_patches", 0.85, 2
	if got, err = choose(outside); err != nil || len(got) != 1 || math.Hypot(got[0].X_mm-3, got[0].Y_mm-7) < 1.5 {
		t.Errorf("outside_patches: %+v, %v; want one site outside the patch", got, err)
	}
	centre.Hemisphere = "R"
	if _, err = choose(centre); err == nil {
		t.Error("face_patch_centre in the right hemisphere, which has no patch, gave a site")
	}
	explicit := base
	explicit.Rule, explicit.Explicit = "explicit", []SiteSpec{{Hemisphere: "R", X_mm: 2, Y_mm: 9}}
	if got, err = choose(explicit); err != nil || len(got) != 1 || got[0].Hemi != topography.Right || got[0].X_mm != 2 || got[0].Y_mm != 9 {
		t.Errorf("explicit: %+v, %v", got, err)
	}
	grid := base
	grid.Rule, grid.Hemisphere = "grid", "R"
	if got, _ = choose(grid); len(got) != len(cands)/2 {
		t.Errorf("grid: %d sites in R, want half of %d", len(got), len(cands))
	}
	random := base
	random.Rule, random.NPerHemisphere = "random", 5
	got, _ = choose(random)
	again, _ := choose(random)
	var left int
	for i, s := range got {
		if s.Hemi == topography.Left {
			left++
		}
		if s.Site != again[i].Site {
			t.Errorf("random: site %d differs between two draws with one seed", i)
		}
	}
	if len(got) != 10 || left != 5 {
		t.Errorf("random: %d sites, %d left; want 5 per hemisphere", len(got), left)
	}
}
