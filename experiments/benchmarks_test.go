package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/internal/testutil"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/topography"
)

// The contralateral field of a hemisphere is the half of the image its
// IT columns see.
func TestContralateralMatchesLayout(t *testing.T) {
	l, err := topography.NewLayout("IT", 2, 4, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for col := 0; col < 4; col++ {
		h := l.HemisphereOfCol(col)
		want := paradigm.RightField
		if col < 2 {
			want = paradigm.LeftField
		}
		if paradigm.Contralateral(h) != want {
			t.Errorf("column %d (hemisphere %s): contralateral %v, want %v", col, h, paradigm.Contralateral(h), want)
		}
	}
}

// The exponential fit recovers its parameters and reproduces the
// published fit of Rajalingham & DiCarlo's Fig. 6A bins (0.92·e^(−d/5.7 mm)).
func TestFitExpDecay(t *testing.T) {
	x := []float64{0.5, 1, 2, 4, 8, 12}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 0.8 * math.Exp(-x[i]/3)
	}
	a, l := stats.FitExpDecay(x, y)
	testutil.Near(t, "a", a, 0.8, 1e-6)
	testutil.Near(t, "λ", l, 3, 1e-5)
	// Monkey bins: against a brute-force least-squares grid over (a, λ).
	k, err := primate.Rajalingham2019()
	if err != nil {
		t.Fatal(err)
	}
	a, l = stats.FitExpDecay(k.Distance_mm, k.Similarity)
	bestA, bestL, bestS := 0.0, 0.0, math.Inf(1)
	for ga := 0.5; ga <= 1.5; ga += 0.001 {
		for gl := 1.0; gl <= 10; gl += 0.01 {
			var s float64
			for i, d := range k.Distance_mm {
				r := k.Similarity[i] - ga*math.Exp(-d/gl)
				s += r * r
			}
			if s < bestS {
				bestA, bestL, bestS = ga, gl, s
			}
		}
	}
	testutil.Near(t, "monkey a", a, bestA, 0.002)
	testutil.Near(t, "monkey λ (mm)", l, bestL, 0.02)
	// The paper's 0.92·e^(−d/5.7 mm) is the log-linear fit of the same bins.
	var md, my float64
	for i, d := range k.Distance_mm {
		md += d / 7
		my += math.Log(k.Similarity[i]) / 7
	}
	var sxy, sxx float64
	for i, d := range k.Distance_mm {
		sxy += (d - md) * (math.Log(k.Similarity[i]) - my)
		sxx += (d - md) * (d - md)
	}
	testutil.Near(t, "log-linear a", math.Exp(my-sxy/sxx*md), 0.92, 0.005)
	testutil.Near(t, "log-linear λ", -sxx/sxy, 5.7, 0.05)
}

func TestScores(t *testing.T) {
	testutil.Near(t, "DifferenceOfCorrelations", DifferenceOfCorrelations(0.40, 0.55), 0.85, 1e-12)
	testutil.Near(t, "clipped", DifferenceOfCorrelations(0.9, -0.5), 0, 0)
	testutil.Near(t, "RetainedFraction", RetainedFraction(83.9, 85.9, 50), 33.9/35.9, 1e-12)
	testutil.Near(t, "RelativeEffectScore", RelativeEffectScore(-0.1, -0.2), 0.5, 1e-12)
	testutil.Near(t, "RelativeEffectScore wrong sign", RelativeEffectScore(0.3, -0.2), 0, 0)
}

// Moeller et al. (2017)'s pooled counts give the published accuracies.
func TestMoellerPooledCounts(t *testing.T) {
	mo, err := primate.Moeller2017()
	if err != nil {
		t.Fatal(err)
	}
	r := &Moeller2017Result{Monkey: mo}
	s, ss, df, dfs := r.monkeyPooled("within_facepatch").Accuracies()
	testutil.Near(t, "AM same", s, 100*945.0/1084, 1e-9)
	testutil.Near(t, "AM same, stimulated", ss, 100*69.0/479, 1e-9)
	testutil.Near(t, "AM different", df, 100*780.0/1171, 1e-9)
	testutil.Near(t, "AM different, stimulated", dfs, 100*428.0/455, 1e-9)
}

// Each protocol's verdicts follow from hand-made per-site data.
func TestCriteriaOnHandMadeData(t *testing.T) {
	mon, err := primate.Afraz2015()
	if err != nil {
		t.Fatal(err)
	}
	site := func(d float64, sel bool, dc, di float64) Afraz2015Site {
		return Afraz2015Site{SelectedSite: SelectedSite{topography.Site{DPrime: d}, sel},
			Control: [2]float64{85, 85}, Perturbed: [2]float64{85 + dc, 85 + di}, Delta: [2]float64{dc, di}}
	}
	opto := &Afraz2015Result{Kind: "optogenetic", Monkey: mon, Seed: 1, Sites: []Afraz2015Site{
		site(1.5, true, -3, 0.5), site(1.3, true, -2.5, -0.5), site(1.2, true, -3.5, 0.3), site(1.4, true, -2, -0.2),
		site(0.2, false, 0.1, 0), site(-0.1, false, 0.4, 0.2), site(0.4, false, -0.3, 0.1), site(0, false, 0.2, -0.1)}}
	cs := opto.Criteria()
	if len(cs) != 3 || !cs[0].Pass || !cs[1].Pass || !cs[2].Pass {
		for _, c := range cs {
			t.Logf("%s: %v (%s)", c.ID, c.Pass, c.Verdict)
		}
		t.Fatal("optogenetic criteria: want contra decrease, no ipsi change and a negative correlation to pass")
	}
	testutil.Near(t, "contra Δ at face sites", cs[0].Model, -2.75, 1e-12)
	flat := &Afraz2015Result{Kind: "optogenetic", Monkey: mon, Seed: 1, Sites: []Afraz2015Site{
		site(1.5, true, -3, -3), site(1.3, true, -2.5, -2.5), site(1.2, true, -3.5, -3.5), site(0.1, false, 0, 0), site(0.2, false, 0.1, 0)}}
	if cs := flat.Criteria(); cs[1].Pass {
		t.Error("ipsilateral criterion passes although ipsi accuracy falls as much as contra")
	}
	musc := &Afraz2015Result{Kind: "muscimol", Monkey: mon, Sites: []Afraz2015Site{
		site(1.5, true, -6, 0), site(1.3, true, -8, -1), site(1.2, true, -5, 0), site(0.2, false, 1, 0), site(0.1, false, 2, 1), site(0, false, 0, 0)}}
	if cs := musc.Criteria(); len(cs) != 1 || !cs[0].Pass {
		t.Errorf("muscimol criterion: %+v", cs)
	}

	mo, err := primate.Moeller2017()
	if err != nil {
		t.Fatal(err)
	}
	m := &Moeller2017Result{Monkey: mo, Sites: []SameDifferentSite{
		{Role: "patch centre", N: 500, SameCorrect: 450, SameCorrectStim: 100, DifferentCorrect: 350, DifferentCorrectStim: 470},
		{Role: "outside patches", N: 500, SameCorrect: 450, SameCorrectStim: 440, DifferentCorrect: 350, DifferentCorrectStim: 355}}}
	if cs := m.Criteria(); len(cs) != 1 || !cs[0].Pass || math.Abs(cs[0].Model+70) > 1e-9 {
		t.Errorf("Moeller criterion: %+v", cs)
	}
	m.Sites[0].DifferentCorrectStim = 340
	if cs := m.Criteria(); cs[0].Pass {
		t.Error("Moeller criterion passes although \"different\" accuracy fell")
	}

	rk, err := primate.Rajalingham2019()
	if err != nil {
		t.Fatal(err)
	}
	rs := &Rajalingham2019Result{Monkey: rk, Seed: 1}
	for i := 0; i < 8; i++ {
		s := InactivationSite{SelectedSite: SelectedSite{Site: topography.Site{X_mm: float64(i)}}}
		for k := 0; k < 5; k++ {
			s.DeltaContra = append(s.DeltaContra, -0.3-0.01*float64(i+k))
			s.DeltaIpsi = append(s.DeltaIpsi, -0.1-0.01*float64(i*k%3))
		}
		rs.Sites = append(rs.Sites, s)
	}
	for d := 1.0; d <= 10; d++ {
		rs.Pairs = append(rs.Pairs, SitePair{d, 0.9*math.Exp(-d/5) + 0.01*math.Sin(d)})
	}
	cs = rs.Criteria()
	if len(cs) != 3 || !cs[0].Pass || !cs[1].Pass || !cs[2].Pass {
		for _, c := range cs {
			t.Logf("%s: %v (%s)", c.ID, c.Pass, c.Verdict)
		}
		t.Error("Rajalingham criteria: want global deficit, contra > ipsi and falling similarity to pass")
	}
}

// The scorecard's JSON has one entry per registered criterion, in order,
// with the fields a reader of scorecard.json relies on; undecided criteria
// are failures, and NaN becomes null.
func TestScorecardJSONShape(t *testing.T) {
	sc := &Scorecard{Manifest: Manifest{Program: "microstim", ModelSHA256: "abc"}}
	for _, b := range Benchmarks() {
		var got []Criterion
		if b.Name == "afraz2006" {
			got = []Criterion{{ID: b.Criteria[0], Benchmark: b.Name, Model: 0.4, ModelCI: nan2, ModelP: 0.001, Monkey: 0.55, MonkeyErr: math.NaN(), Pass: true, Score: 0.85}}
		}
		sc.Add(b, BenchmarkRun{Name: b.Name, Dir: b.Name}, got)
	}
	if sc.Passed != 1 || len(sc.Criteria) != 9 {
		t.Fatalf("%d criteria, %d passed; want 9 and 1", len(sc.Criteria), sc.Passed)
	}
	js, err := marshalJSON(sc)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Manifest   map[string]any   `json:"manifest"`
		Benchmarks []map[string]any `json:"benchmarks"`
		Criteria   []map[string]any `json:"criteria"`
		Passed     *int             `json:"passed"`
		MeanScore  *float64         `json:"mean_score"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("scorecard.json does not parse: %v\n%s", err, js)
	}
	if doc.Passed == nil || doc.MeanScore == nil || len(doc.Benchmarks) != 5 || doc.Manifest["model_sha256"] != "abc" {
		t.Fatalf("scorecard.json top level: %s", js)
	}
	testutil.Near(t, "mean score", *doc.MeanScore, 0.85/9, 1e-12)
	for i, c := range doc.Criteria {
		for _, k := range []string{"id", "benchmark", "model", "model_ci95", "model_p", "monkey", "pass", "verdict", "score", "rule", "score_rule"} {
			if _, ok := c[k]; !ok {
				t.Errorf("criterion %d lacks %q", i+1, k)
			}
		}
	}
	if doc.Criteria[0]["monkey_error"] != nil {
		t.Errorf("NaN monkey_error written as %v, want null", doc.Criteria[0]["monkey_error"])
	}
	if v := doc.Criteria[4]["verdict"].(string); !strings.HasPrefix(v, "fail: not decided") {
		t.Errorf("undecided criterion verdict %q", v)
	}
	if lines := strings.Count(string(sc.CSV()), "\n"); lines != 10 {
		t.Errorf("scorecard.csv has %d lines, want header + 9", lines)
	}
}

// A benchmark that cannot run on a model (no face patch for Moeller's
// sites) fails each of its criteria with score 0 and the reason, adds no
// report folder, and counts in the mean over all nine criteria.
func TestScorecardNotRun(t *testing.T) {
	sc := &Scorecard{}
	for _, b := range Benchmarks() {
		if b.Name == "moeller2017" {
			sc.AddNotRun(b, fmt.Errorf("moeller2017: %w", ErrNoFacePatch))
			continue
		}
		var got []Criterion
		for _, id := range b.Criteria {
			got = append(got, Criterion{ID: id, Benchmark: b.Name, Pass: true, Score: 1})
		}
		sc.Add(b, BenchmarkRun{Name: b.Name, Dir: b.Name}, got)
	}
	if sc.Passed != 8 || len(sc.Criteria) != 9 || len(sc.Benchmarks) != 4 {
		t.Fatalf("%d of %d pass, %d benchmark folders; want 8 of 9, 4", sc.Passed, len(sc.Criteria), len(sc.Benchmarks))
	}
	testutil.Near(t, "mean score", sc.MeanScore, 8.0/9, 1e-12)
	c := sc.Criteria[5]
	if c.Pass || c.Score != 0 || !math.IsNaN(c.Model) || !strings.Contains(c.Verdict, "not run: moeller2017: the model has no face patch") {
		t.Errorf("not-run criterion: %+v", c)
	}
	var b strings.Builder
	sc.Print(&b)
	if !strings.Contains(b.String(), "Moeller2017.experiment1-same_decrease_different_increase  n/a") {
		t.Errorf("printed scorecard:\n%s", b.String())
	}
}
