package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

func init() {
	Register(rajalingham2019Protocol{hemifieldTaskProtocol{named{"rajalingham2019", "Rajalingham R., DiCarlo J. J. (2019). Reversible inactivation of " +
		"different millimeter-scale regions of primate IT results in different patterns of core object recognition deficits. " +
		"Neuron 102:493–505."}}})
}

// Criteria of Rajalingham & DiCarlo (2019) in the scorecard.
const (
	rajalingham2019GlobalDeficits    = "Rajalingham2019-global_deficits_significant"
	rajalingham2019LateralDifference = "Rajalingham2019-lateral_deficit_difference"
	rajalingham2019SpatialCorrelated = "Rajalingham2019-spatial_correlation_significant"
)

// rajalingham2019Protocol is the object discrimination of Rajalingham &
// DiCarlo (2019) under muscimol at sites across IT.
type rajalingham2019Protocol struct{ hemifieldTaskProtocol }

func (rajalingham2019Protocol) Defaults() Config { return rajalingham2019Defaults() }

// TaskKeys: a hemifield task's, and the categories.
func (p rajalingham2019Protocol) TaskKeys(*Config) ([]string, string) {
	return append(slices.Clone(hemifieldTaskKeys), "categories"), p.reader()
}

func (rajalingham2019Protocol) Validate(c *Config) error { return validateRajalingham2019Task(c) }

func (rajalingham2019Protocol) CheckStimuli(c *Config, pool []vision.Stimulus) error {
	t := c.Task
	t.Kind = "discrimination"
	return checkTask(t, pool, c.Seed)
}

// Work: every category in both hemifields, the readout fitted on about 15
// images per category.
func (rajalingham2019Protocol) Work(c *Config, _ int) Work {
	w := BaseWork()
	w.ImagesPerSite, w.FitImages = 2*len(c.Task.Categories)*c.Task.TestImages, 15*float64(len(c.Task.Categories))
	return w
}

func (rajalingham2019Protocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunRajalingham2019(c, m, pool, progress)
}

func (p rajalingham2019Protocol) Benchmarks() []Benchmark {
	return []Benchmark{{Name: p.name, Config: "rajalingham2019.toml",
		Criteria: []string{rajalingham2019GlobalDeficits, rajalingham2019LateralDifference, rajalingham2019SpatialCorrelated},
		Figures:  []Figure{{"delta_dprime.png", "Mean Δd′ by visual field"}, {"similarity_vs_distance.png", "Deficit-pattern similarity against distance"}}}}
}

// rajalingham2019Defaults follows docs/references.md#rajalingham2019: binary object
// discrimination (O2 d′ per task) between categories the model knows,
// objects shown in one hemifield, 1 µL muscimol at 10 random sites per
// hemisphere, the shared readout (C = 1e-3). The categories are the 8
// non-face Caltech-101 categories with the most held-out images (a rule
// fixed before any result; every pair is a task, 28 tasks).
func rajalingham2019Defaults() Config {
	return Config{
		Protocol: "rajalingham2019", Seed: 1,
		Stimuli: StimuliConfig{Set: "embedded"},
		Task: TaskConfig{TestImages: 8, TrialsPerImage: 10, DecoderC: 1e-3, ImageScale: 0.5, Readout: ReadoutFixed,
			Categories: []string{"airplanes", "Motorbikes", "watch", "Leopards", "bonsai", "car_side", "ketch", "chandelier"}},
		Perturbation: PerturbationConfig{Kind: "muscimol", Stage: "IT", SpreadLaw: "exp_kumaravelu2022",
			Current_uA: 50, Frequency_Hz: 200, PulseWidth_us: 200, Train_ms: 200, GainMode: "multiplicative",
			Power_mW: 12, Expression: 1, OptoMode: "suppression", Volume_uL: 1},
		Sites:   SitesConfig{Rule: "random", NPerHemisphere: 10, DPrimeThreshold: 1, Radius_mm: 0.5, Grid_mm: 0.5, Hemisphere: "both"},
		Compare: CompareConfig{Data: "rajalingham2019"},
	}
}

func validateRajalingham2019Task(c *Config) error {
	if err := validateHemifield(c); err != nil {
		return err
	}
	if len(c.Task.Categories) < 2 {
		return field("task.categories", len(c.Task.Categories), "want at least 2 categories of the stimulus set")
	}
	seen := map[string]bool{}
	for _, k := range c.Task.Categories {
		if seen[k] {
			return field("task.categories", fmt.Sprintf("%q", k), "listed twice")
		}
		seen[k] = true
	}
	return nil
}

// InactivationSite is one injection: per task, Δd′ (inactivation −
// control session) in the contralateral and ipsilateral field.
type InactivationSite struct {
	SelectedSite
	DeltaContra, DeltaIpsi []float64 // per task
}

// Mean returns the site's mean Δd′ over tasks: contra, ipsi and both.
func (s InactivationSite) Mean() (contra, ipsi, global float64) {
	var c, i float64
	for k := range s.DeltaContra {
		c += s.DeltaContra[k]
		i += s.DeltaIpsi[k]
	}
	n := float64(len(s.DeltaContra))
	return c / n, i / n, (c + i) / (2 * n)
}

// Pattern is the site's deficit pattern: Δd′ per task, both fields averaged.
func (s InactivationSite) Pattern() []float64 {
	out := make([]float64, len(s.DeltaContra))
	for k := range out {
		out[k] = (s.DeltaContra[k] + s.DeltaIpsi[k]) / 2
	}
	return out
}

// Rajalingham2019Result is the outcome of the protocol.
type Rajalingham2019Result struct {
	Categories []string
	Tasks      []paradigm.Pair
	Items      []paradigm.ObjectItem
	ControlD   []float64 // per task, expected-choice d′ of the unperturbed readout (both fields)
	Sites      []InactivationSite
	Pairs      []SitePair
	Monkey     *primate.Rajalingham2019Data
	UnitDPrime []float64
	Model      *vision.Model
	Seed       uint64
	Kind       string  // the perturbation's kind, for messages
	DecoderC   float64 // the readout's C (configured, or calibrated)
	Notes      []string
}

// SitePair is two sites of one hemisphere: their distance and the
// correlation of their deficit patterns.
type SitePair struct {
	Distance_mm float64 `json:"distance_mm"`
	Similarity  float64 `json:"similarity"`
}

// RunRajalingham2019 runs object discrimination with muscimol at random
// sites of each hemisphere: the generic pipeline's discrimination of every
// pair of the categories, each image in each hemifield, one readout over
// all categories; the deficit pattern is Δd′ per task.
func RunRajalingham2019(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (*Rajalingham2019Result, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	res := &Rajalingham2019Result{Categories: c.Task.Categories, Model: m, Seed: c.Seed, Kind: c.Perturbation.Kind}
	g := *c
	g.Task.Kind = "discrimination"
	progress(0, 3, "fitting the object readout and running the network on the test images")
	run, err := newPairRun(&g, m, pool)
	if err != nil {
		return nil, fmt.Errorf("rajalingham2019: %w", err)
	}
	res.Items, res.Tasks, res.DecoderC = run.pairs.Items, run.pairs.Tasks, run.fit.C
	if n := run.fit.note(); n != "" {
		res.Notes = append(res.Notes, n)
	}
	for _, task := range res.Tasks {
		res.ControlD = append(res.ControlD, run.pairs.ExpectedDPrime(run.ctrlP, task))
	}
	progress(1, 3, "choosing sites")
	fs, err := measureFaceSelectivity(c, m, pool)
	if err != nil {
		return nil, err
	}
	res.UnitDPrime = fs.UnitDPrime
	progress(2, 3, "simulating the sites")
	gc, err := runCondition(&g, c.Protocol, 0, run, fs, m)
	if err != nil {
		return nil, err
	}
	for _, gs := range gc.Sites {
		res.Sites = append(res.Sites, InactivationSite{SelectedSite: gs.SelectedSite, DeltaContra: gs.TaskDeltaDPrime[0], DeltaIpsi: gs.TaskDeltaDPrime[1]})
	}
	for i := range res.Sites {
		for j := i + 1; j < len(res.Sites); j++ {
			a, b := res.Sites[i], res.Sites[j]
			if a.Hemi == b.Hemi {
				res.Pairs = append(res.Pairs, SitePair{math.Hypot(a.X_mm-b.X_mm, a.Y_mm-b.Y_mm), stats.Pearson(a.Pattern(), b.Pattern(), 0, 0).R})
			}
		}
	}
	if res.Monkey, err = primate.Rajalingham2019(); err != nil {
		return nil, err
	}
	progress(3, 3, "done")
	return res, nil
}

// siteMeans returns per-site mean Δd′: contra, ipsi, global.
func (r *Rajalingham2019Result) siteMeans() (contra, ipsi, global []float64) {
	for _, s := range r.Sites {
		c, i, g := s.Mean()
		contra, ipsi, global = append(contra, c), append(ipsi, i), append(global, g)
	}
	return
}

// similarityCorrelation is r(similarity, distance) over same-hemisphere
// site pairs.
func (r *Rajalingham2019Result) similarityCorrelation() stats.Correlation {
	var d, s []float64
	for _, p := range r.Pairs {
		if !math.IsNaN(p.Similarity) {
			d, s = append(d, p.Distance_mm), append(s, p.Similarity)
		}
	}
	return stats.Pearson(d, s, 2000, r.Seed)
}

// Criteria returns benchmarks 7–9 of docs/references.md#schrimpf2024.
func (r *Rajalingham2019Result) Criteria() []Criterion {
	k := r.Monkey
	contra, ipsi, global := r.siteMeans()
	mg, cig := stats.MeanCI(global)
	tg := stats.OneSampleT(global)
	src := "Rajalingham & DiCarlo 2019 Fig. 3B (25 injections)"
	c7 := Criterion{ID: rajalingham2019GlobalDeficits, Benchmark: "rajalingham2019",
		Measure: fmt.Sprintf("mean Δd′ over tasks and both fields (n = %d sites)", len(global)), Unit: "d′",
		Model: mg, ModelCI: cig, ModelP: tg.P, Monkey: k.Global[0], MonkeyErr: k.Global[1], Source: src,
		Rule: "significant decrease (t-test over sites, p < 0.05)", Score: RelativeEffectScore(mg, k.Global[0]),
		ScoreRule: "1 − |Δ_model − Δ_monkey| / |Δ_monkey|"}
	c7.Pass = tg.P < 0.05 && mg < 0
	c7.Verdict = verdictText(c7.Pass, c7.Rule)

	d := make([]float64, len(contra))
	for i := range d {
		d[i] = contra[i] - ipsi[i]
	}
	md, cid := stats.MeanCI(d)
	tl := stats.PairedT(contra, ipsi)
	mc, _ := stats.MeanSEM(contra)
	mi, _ := stats.MeanSEM(ipsi)
	kd := k.Contra[0] - k.Ipsi[0]
	c8 := Criterion{ID: rajalingham2019LateralDifference, Benchmark: "rajalingham2019",
		Measure: fmt.Sprintf("contra − ipsi Δd′ (contra %+.3f, ipsi %+.3f; n = %d sites)", mc, mi, len(d)), Unit: "d′",
		Model: md, ModelCI: cid, ModelP: tl.P, Monkey: kd, MonkeyErr: math.Hypot(k.Contra[1], k.Ipsi[1]),
		Source: fmt.Sprintf("%s: contra %+.2f, ipsi %+.2f", src, k.Contra[0], k.Ipsi[0]),
		Rule:   "contralateral deficit significantly larger (paired t-test over sites, p < 0.05)", Score: RelativeEffectScore(md, kd),
		ScoreRule: "1 − |Δ_model − Δ_monkey| / |Δ_monkey|"}
	c8.Pass = tl.P < 0.05 && md < 0
	c8.Verdict = verdictText(c8.Pass, c8.Rule)

	sc := r.similarityCorrelation()
	kc := stats.Pearson(k.Distance_mm, k.Similarity, 0, 0)
	c9 := Criterion{ID: rajalingham2019SpatialCorrelated, Benchmark: "rajalingham2019",
		Measure: fmt.Sprintf("r(deficit-pattern similarity, site distance), %d same-hemisphere site pairs", sc.N),
		Model:   sc.R, ModelCI: [2]float64{sc.CILo, sc.CIHi}, ModelP: sc.P, Monkey: kc.R, MonkeyErr: math.NaN(),
		Source: "Rajalingham & DiCarlo 2019 Fig. 6A (7 distance bins)",
		Rule:   "significant correlation (p < 0.05) with the monkeys' (negative) sign", Score: DifferenceOfCorrelations(sc.R, kc.R),
		ScoreRule: "1 − |r_model − r_monkey|"}
	c9.Pass = sc.P < 0.05 && sign(sc.R) == sign(kc.R)
	c9.Verdict = verdictText(c9.Pass, c9.Rule)
	return []Criterion{c7, c8, c9}
}

// Rajalingham2019Summary is summary.json.
type Rajalingham2019Summary struct {
	Protocol         string            `json:"protocol"`
	Categories       []string          `json:"categories"`
	Tasks            int               `json:"tasks"`
	ControlDPrime    float64           `json:"mean_control_dprime"`
	DecoderC         float64           `json:"decoder_C"`
	Sites            int               `json:"sites"`
	DeltaGlobal      [2]float64        `json:"delta_dprime_global_mean_sem"`
	DeltaContra      [2]float64        `json:"delta_dprime_contra_mean_sem"`
	DeltaIpsi        [2]float64        `json:"delta_dprime_ipsi_mean_sem"`
	SimilarityVsDist stats.Correlation `json:"r_similarity_distance"`
	ExpFitAmplitude  float64           `json:"similarity_exp_fit_amplitude"`
	ExpFitLength_mm  float64           `json:"similarity_exp_fit_length_mm"`
	Pairs            []SitePair        `json:"site_pairs"`
	Criteria         []Criterion       `json:"criteria"`
	Notes            []string          `json:"notes"`
}

// Summary collects the result's numbers.
func (r *Rajalingham2019Result) Summary() Rajalingham2019Summary {
	contra, ipsi, global := r.siteMeans()
	ms := func(x []float64) [2]float64 { m, s := stats.MeanSEM(x); return [2]float64{m, s} }
	cd, _ := stats.MeanSEM(r.ControlD)
	var d, s []float64
	for _, p := range r.Pairs {
		if !math.IsNaN(p.Similarity) {
			d, s = append(d, p.Distance_mm), append(s, p.Similarity)
		}
	}
	a, l := stats.FitExpDecay(d, s)
	return Rajalingham2019Summary{Protocol: "rajalingham2019", Categories: r.Categories, Tasks: len(r.Tasks), ControlDPrime: cd, DecoderC: r.DecoderC, Sites: len(r.Sites),
		DeltaGlobal: ms(global), DeltaContra: ms(contra), DeltaIpsi: ms(ipsi), SimilarityVsDist: r.similarityCorrelation(),
		ExpFitAmplitude: a, ExpFitLength_mm: l, Pairs: r.Pairs, Criteria: r.Criteria(), Notes: r.Notes}
}

// Print writes the terminal summary.
func (r *Rajalingham2019Result) Print(w io.Writer) {
	s := r.Summary()
	fmt.Fprintf(w, "Rajalingham & DiCarlo 2019 — %d tasks over %d categories, control d′ %.2f, %d %s sites\n", s.Tasks, len(s.Categories), s.ControlDPrime, s.Sites, r.Kind)
	fmt.Fprintf(w, "  Δd′ global %+.3f ± %.3f, contra %+.3f ± %.3f, ipsi %+.3f ± %.3f (monkeys %+.2f, %+.2f, %+.2f)\n",
		s.DeltaGlobal[0], s.DeltaGlobal[1], s.DeltaContra[0], s.DeltaContra[1], s.DeltaIpsi[0], s.DeltaIpsi[1], r.Monkey.Global[0], r.Monkey.Contra[0], r.Monkey.Ipsi[0])
	fmt.Fprintf(w, "  similarity vs distance: r = %.3f (p = %s), fit %.2f·exp(−d/%.1f mm) (monkeys 0.92·exp(−d/5.7 mm))\n",
		s.SimilarityVsDist.R, pnum(s.SimilarityVsDist.P), s.ExpFitAmplitude, s.ExpFitLength_mm)
	printCriteria(w, s.Criteria)
}

// Write stores summary.json, sites.csv, the figures and report.html.
func (r *Rajalingham2019Result) Write(dir string, c *Config, man Manifest) error {
	sum := r.Summary()
	files, err := runFiles(c, sum, man)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"site", "hemisphere", "x_mm", "y_mm", "face_dprime", "task", "category_a", "category_b", "delta_dprime_contra", "delta_dprime_ipsi"})
	for i, s := range r.Sites {
		for t, task := range r.Tasks {
			w.Write([]string{fmt.Sprint(i + 1), s.Hemi.String(), f4(s.X_mm), f4(s.Y_mm), f4(s.DPrime), fmt.Sprint(t + 1),
				r.Categories[task.A], r.Categories[task.B], f4(s.DeltaContra[t]), f4(s.DeltaIpsi[t])})
		}
	}
	w.Flush()
	files["sites.csv"] = b.Bytes()
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	// 1. Δd′ by field.
	contra, ipsi, global := r.siteMeans()
	var cx, cy, clo, chi []float64
	var kx, ky, klo, khi []float64
	k := r.Monkey
	for i, v := range [][]float64{global, contra, ipsi} {
		m, ci := stats.MeanCI(v)
		cx, cy, clo, chi = append(cx, float64(i)), append(cy, m), append(clo, ci[0]), append(chi, ci[1])
		kv := [][2]float64{k.Global, k.Contra, k.Ipsi}[i]
		kx, ky, klo, khi = append(kx, float64(i)+0.1), append(ky, kv[0]), append(klo, kv[0]-kv[1]), append(khi, kv[0]+kv[1])
	}
	if err := plots.WriteScatterPlot(filepath.Join(dir, "delta_dprime"), []plots.ScatterSeries{
		{Name: "model (95 % CI over sites)", X: cx, Y: cy, YLo: clo, YHi: chi},
		{Name: "monkeys (Fig. 3B)", X: kx, Y: ky, YLo: klo, YHi: khi, Hollow: true},
	}, plots.ScatterOptions{Title: "Muscimol: mean Δd′ (0 = global, 1 = contralateral, 2 = ipsilateral)", XLabel: "visual field (0 global, 1 contra, 2 ipsi)",
		YLabel: "Δd′ (inactivation − control)", HLines: []float64{0}}); err != nil {
		return err
	}
	// 2. similarity against distance.
	var px, py []float64
	for _, p := range r.Pairs {
		px, py = append(px, p.Distance_mm), append(py, p.Similarity)
	}
	if err := plots.WriteScatterPlot(filepath.Join(dir, "similarity_vs_distance"), []plots.ScatterSeries{
		{Name: "model site pairs", X: px, Y: py},
		{Name: "monkeys (Fig. 6A bins)", X: k.Distance_mm, Y: k.Similarity, Hollow: true},
	}, plots.ScatterOptions{Title: "Similarity of deficit patterns against the distance between sites", XLabel: "distance between injection sites (mm)",
		YLabel: "deficit-pattern similarity (Pearson r over tasks)", FitLines: true, HLines: []float64{0}}); err != nil {
		return err
	}
	// 3. sites.
	var sel []SelectedSite
	for i, s := range r.Sites {
		sel = append(sel, s.SelectedSite)
		sel[i].Selective = false
	}
	if err := writeSitesOnSheet(filepath.Join(dir, "sites_on_sheet"), r.Model.IT(), r.UnitDPrime, r.Seed, sel, global,
		"Injection sites coloured by mean Δd′; grey: face d′ (σ = 0.5 mm)", "mean Δd′"); err != nil {
		return err
	}
	return writeReport(dir, c, reportPage{
		Title:    "Rajalingham & DiCarlo 2019: muscimol in IT and object-discrimination deficits",
		Manifest: man, Criteria: sum.Criteria, Notes: r.Notes,
		Figures: []Figure{{"delta_dprime.png", "Mean Δd′ by visual field"}, {"similarity_vs_distance.png", "Deficit-pattern similarity against site distance"},
			{"sites_on_sheet.png", "Injection sites"}},
		Files: []string{"summary.json", "sites.csv", "config.resolved.toml", "manifest.json"},
	})
}

var _ Outcome = (*Rajalingham2019Result)(nil)
