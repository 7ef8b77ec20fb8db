package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

func init() {
	Register(afraz2015Protocol{hemifieldTaskProtocol{named{"afraz2015", "Afraz A., Boyden E. S., DiCarlo J. J. (2015). Optogenetic and pharmacological " +
		"suppression of spatial clusters of face neurons reveal their causal role in face gender discrimination. PNAS 112:6730–6735."}}})
}

// Criteria of Afraz et al. (2015) in the scorecard.
const (
	afraz2015ContraSignificant   = "Afraz2015.optogenetics-contra_accuracy_significant"
	afraz2015IpsiInsignificant   = "Afraz2015.optogenetics-ipsi_accuracy_insignificant"
	afraz2015DeltaCorrelated     = "Afraz2015.optogenetics-delta_accuracy_correlated"
	afraz2015MuscimolSignificant = "Afraz2015.muscimol-delta_accuracy_significant"
)

// afraz2015Protocol is the hemifield gender discrimination of Afraz et al.
// (2015) under optogenetic suppression or muscimol.
type afraz2015Protocol struct{ hemifieldTaskProtocol }

func (afraz2015Protocol) Defaults() Config { return afraz2015Defaults() }

func (afraz2015Protocol) Validate(c *Config) error { return validateHemifield(c) }

func (afraz2015Protocol) CheckStimuli(c *Config, pool []vision.Stimulus) error {
	return checkTask(genericAfraz2015(c).Task, pool, c.Seed)
}

// Work: faces × gender in both hemifields, the readout fitted on about
// 100 faces.
func (afraz2015Protocol) Work(c *Config, _ int) Work {
	w := BaseWork()
	w.ImagesPerSite, w.FitImages = 2*2*c.Task.TestImages, 100
	return w
}

func (afraz2015Protocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunAfraz2015(c, m, pool, progress)
}

func (afraz2015Protocol) Benchmarks() []Benchmark {
	figs := []Figure{{"accuracy.png", "% correct at face sites"}, {"delta_vs_dprime.png", "Contralateral Δ% correct against site d′"}}
	return []Benchmark{
		{Name: "afraz2015_optogenetics", Config: "afraz2015_optogenetics.toml", Figures: figs,
			Criteria: []string{afraz2015ContraSignificant, afraz2015IpsiInsignificant, afraz2015DeltaCorrelated}},
		{Name: "afraz2015_muscimol", Config: "afraz2015_muscimol.toml", Figures: figs, Criteria: []string{afraz2015MuscimolSignificant}},
	}
}

// Afraz2015ControlAccuracy_pct is the monkeys' gender-discrimination
// accuracy without perturbation: 85.9 % correct, contralateral and
// ipsilateral trials alike (Afraz et al. 2015, Fig. 3A, laser off), the
// target of a calibrated readout.
const Afraz2015ControlAccuracy_pct = 85.9

// afraz2015Defaults follows docs/references.md#afraz2015: male/female faces
// shown left or right of fixation, ArchT photosuppression with ~12 mW
// total fibre output at 17 face sites (d′ > 1) and 23 other sites (40
// sessions), 1 µL muscimol as the alternative intervention, and the
// Brain-Score readout (logistic regression, C = 1e-3) shared by every
// benchmark.
func afraz2015Defaults() Config {
	return Config{
		Protocol: "afraz2015", Seed: 1,
		Stimuli: StimuliConfig{Set: "embedded"},
		Task: TaskConfig{TestImages: 24, TrialsPerImage: 10, DecoderC: 1e-3, ImageScale: 0.5, Readout: ReadoutFixed,
			ControlAccuracy_pct: Afraz2015ControlAccuracy_pct},
		Perturbation: PerturbationConfig{Kind: "optogenetic", Stage: "IT", SpreadLaw: "exp_kumaravelu2022",
			Current_uA: 50, Frequency_Hz: 200, PulseWidth_us: 200, Train_ms: 200, GainMode: "multiplicative",
			Power_mW: 12, Expression: 1, OptoMode: "suppression", Volume_uL: 1},
		Sites: SitesConfig{Rule: "dprime_split", NSelective: 17, NOther: 23, DPrimeThreshold: 1, Radius_mm: 0.5,
			Grid_mm: 0.5, Hemisphere: "both"},
		Compare: CompareConfig{Data: "afraz2015"},
	}
}

// Afraz2015Site is one perturbed site: % correct without and with the
// perturbation in the contralateral and ipsilateral visual field
// (index 0 contra, 1 ipsi), from simulated trials.
type Afraz2015Site struct {
	SelectedSite
	Control   [2]float64 `json:"control_pct"`
	Perturbed [2]float64 `json:"perturbed_pct"`
	Delta     [2]float64 `json:"delta_pct"` // perturbed − control, percentage points
}

// Afraz2015Result is the outcome of the protocol.
type Afraz2015Result struct {
	Kind       string
	Items      []GenderItem
	TrialsPer  int // trials per site, visual field and condition
	Sites      []Afraz2015Site
	NFaceSites int
	UnitDPrime []float64
	DecoderAcc float64 // expected % correct of the frozen decoder, unperturbed test items
	DecoderC   float64 // the readout's C (configured, or calibrated)
	Monkey     *primate.Afraz2015Data
	Notes      []string
	Model      *vision.Model
	Seed       uint64
	Threshold  float64
}

// RunAfraz2015 runs the gender task with perturbations at face and other
// sites: the generic pipeline's discrimination of male against female
// faces in each hemifield (genericAfraz2015), read as % correct per field.
func RunAfraz2015(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (*Afraz2015Result, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	res := &Afraz2015Result{Kind: c.Perturbation.Kind, Model: m, Seed: c.Seed, Threshold: c.Sites.DPrimeThreshold}
	g := genericAfraz2015(c)
	progress(0, 3, "fitting the gender readout and running the network on the test images")
	run, err := newCondRun(g, m, pool)
	if err != nil {
		return nil, fmt.Errorf("gender task: %w", err)
	}
	res.DecoderC = run.fit.C
	if n := run.fit.note(); n != "" {
		res.Notes = append(res.Notes, n)
	}
	for _, it := range run.task.Items {
		res.Items = append(res.Items, GenderItem{File: it.Source, Female: it.Target, Side: it.Side})
	}
	res.TrialsPer = c.Task.TrialsPerImage * len(res.Items) / 2

	progress(1, 3, "measuring site selectivity")
	fs, err := measureFaceSelectivity(c, m, pool)
	if err != nil {
		return nil, err
	}
	res.UnitDPrime = fs.UnitDPrime
	progress(2, 3, "simulating the sites")
	gc, err := runCondition(g, c.Protocol, 0, run, fs, m)
	if err != nil {
		return nil, err
	}
	res.DecoderAcc = gc.DecoderAcc
	if res.DecoderAcc < 75 {
		res.Notes = append(res.Notes, fmt.Sprintf("the frozen gender readout reaches only %.1f %% correct unperturbed (monkeys 85.9 %%): "+
			"the model's IT carries little gender information for faces shown in one hemifield, so accuracy changes are small and noisy", res.DecoderAcc))
	}
	var sel []SelectedSite
	for _, gs := range gc.Sites {
		sel = append(sel, gs.SelectedSite)
		r := Afraz2015Site{SelectedSite: gs.SelectedSite}
		for f := range 2 { // contra, ipsi
			r.Control[f], r.Perturbed[f] = gs.Control[f].Accuracy_pct, gs.Perturbed[f].Accuracy_pct
			r.Delta[f] = r.Perturbed[f] - r.Control[f]
		}
		res.Sites = append(res.Sites, r)
	}
	var note string
	if res.NFaceSites, note = c.countSelective(sel); note != "" {
		res.Notes = append(res.Notes, note)
	}
	if res.Monkey, err = primate.Afraz2015(); err != nil {
		return nil, err
	}
	progress(3, 3, "done")
	return res, nil
}

// genericAfraz2015 is the Afraz 2015 task in generic form: discrimination
// of male (class 0) against female faces, each shown in both hemifields.
func genericAfraz2015(c *Config) *Config {
	g := *c
	g.Task.Kind, g.Task.Categories = "discrimination", []string{"gender:male", "gender:female"}
	return &g
}

// split returns the per-site values of face sites and of other sites.
func (r *Afraz2015Result) split(v func(Afraz2015Site) float64) (face, other []float64) {
	for _, s := range r.Sites {
		if s.Selective {
			face = append(face, v(s))
		} else {
			other = append(other, v(s))
		}
	}
	return face, other
}

// Criteria returns benchmarks 2–4 (optogenetics) or 5 (muscimol) of
// docs/references.md#schrimpf2024.
func (r *Afraz2015Result) Criteria() []Criterion {
	k := r.Monkey
	switch r.Kind {
	case "optogenetic":
		var out []Criterion
		for f := 0; f < 2; f++ {
			face, _ := r.split(func(s Afraz2015Site) float64 { return s.Delta[f] })
			ctrl, _ := r.split(func(s Afraz2015Site) float64 { return s.Control[f] })
			pert, _ := r.split(func(s Afraz2015Site) float64 { return s.Perturbed[f] })
			m, ci := stats.MeanCI(face)
			t := stats.OneSampleT(face)
			mc, _ := stats.MeanSEM(ctrl)
			mp, _ := stats.MeanSEM(pert)
			no, laser := k.ContraNoLaser, k.ContraLaser
			if f == 1 {
				no, laser = k.IpsiNoLaser, k.IpsiLaser
			}
			cr := Criterion{Benchmark: "afraz2015", Unit: "percentage points", Model: m, ModelCI: ci, ModelP: t.P,
				Monkey: laser[0] - no[0], MonkeyErr: math.Hypot(laser[1], no[1]), Source: "Afraz et al. 2015 Fig. 3A (17 face sites)",
				Score:     DifferenceOfFractions(RetainedFraction(mp, mc, 50), RetainedFraction(laser[0], no[0], 50)),
				ScoreRule: "1 − |f_model − f_monkey|, f = (laser − 50 %)/(no laser − 50 %)"}
			if f == 0 {
				cr.ID = afraz2015ContraSignificant
				cr.Measure = fmt.Sprintf("Δ%% correct, contralateral trials, face sites (n = %d)", len(face))
				cr.Rule = "significant (t-test over sites, p < 0.05) decrease, the monkeys' direction"
				cr.Pass = t.P < 0.05 && m < 0
			} else {
				cr.ID = afraz2015IpsiInsignificant
				cr.Measure = fmt.Sprintf("Δ%% correct, ipsilateral trials, face sites (n = %d)", len(face))
				cr.Rule = "no significant change (t-test over sites, p ≥ 0.05)"
				cr.Pass = !(t.P < 0.05)
			}
			if len(face) < 2 {
				cr.Pass = false
				cr.Rule += "; fewer than 2 face sites"
			}
			cr.Verdict = verdictText(cr.Pass, cr.Rule)
			out = append(out, cr)
		}
		corr := r.deltaCorrelation()
		var kd, ks []float64
		for _, s := range k.Sites {
			kd, ks = append(kd, s.DPrime), append(ks, s.Shift_pct)
		}
		kc := stats.Pearson(kd, ks, 0, r.Seed)
		cr := Criterion{ID: afraz2015DeltaCorrelated, Benchmark: "afraz2015",
			Measure: fmt.Sprintf("r(Δ%% correct contra, site face d′), all sites (n = %d)", corr.N), Model: corr.R, ModelCI: [2]float64{corr.CILo, corr.CIHi},
			ModelP: corr.P, Monkey: kc.R, MonkeyErr: math.NaN(), Source: fmt.Sprintf("Afraz et al. 2015 Fig. 3C, digitised (n = %d; paper r = −0.46)", kc.N),
			Rule: "significant correlation (p < 0.05) with the monkeys' (negative) sign", Score: DifferenceOfCorrelations(corr.R, kc.R),
			ScoreRule: "1 − |r_model − r_monkey|"}
		cr.Pass = corr.P < 0.05 && sign(corr.R) == sign(kc.R)
		cr.Verdict = verdictText(cr.Pass, cr.Rule)
		return append(out, cr)
	case "muscimol":
		face, other := r.split(func(s Afraz2015Site) float64 { return s.Delta[0] - s.Delta[1] })
		m, ci := stats.MeanCI(face)
		mo, _ := stats.MeanSEM(other)
		t := stats.WelchT(face, other)
		cr := Criterion{ID: afraz2015MuscimolSignificant, Benchmark: "afraz2015",
			Measure: fmt.Sprintf("contra − ipsi Δ%% correct, face sites (n = %d; other sites %+.2f, n = %d)", len(face), mo, len(other)),
			Unit:    "percentage points", Model: m, ModelCI: ci, ModelP: t.P, Monkey: k.MuscimolFace, MonkeyErr: math.NaN(),
			Source: fmt.Sprintf("Afraz et al. 2015 Fig. 5, mean of monkeys C and E (face %+.1f, %+.1f; other sites %+.1f)",
				k.MuscimolFaceByMonkey["C"], k.MuscimolFaceByMonkey["E"], k.MuscimolOther),
			Rule:      "face and other sites differ (Welch t-test, p < 0.05) and the face-site effect is negative",
			Score:     RelativeEffectScore(m, k.MuscimolFace),
			ScoreRule: "1 − |Δ_model − Δ_monkey| / |Δ_monkey|"}
		cr.Pass = t.P < 0.05 && m < 0 && m < mo
		cr.Verdict = verdictText(cr.Pass, cr.Rule)
		return []Criterion{cr}
	}
	return nil
}

// deltaCorrelation is Pearson's r of the contralateral Δ% correct against
// site d′ over all sites.
func (r *Afraz2015Result) deltaCorrelation() stats.Correlation {
	var d, v []float64
	for _, s := range r.Sites {
		d, v = append(d, s.DPrime), append(v, s.Delta[0])
	}
	return stats.Pearson(d, v, 2000, r.Seed)
}

// Afraz2015Summary is summary.json.
type Afraz2015Summary struct {
	Protocol        string            `json:"protocol"`
	Kind            string            `json:"perturbation"`
	DecoderAccuracy float64           `json:"decoder_accuracy_unperturbed_pct"`
	DecoderC        float64           `json:"decoder_C"`
	TrialsPer       int               `json:"trials_per_site_field_condition"`
	NFaceSites      int               `json:"n_face_sites"`
	NOtherSites     int               `json:"n_other_sites"`
	FaceContra      [2]float64        `json:"face_sites_contra_pct_control_perturbed"`
	FaceIpsi        [2]float64        `json:"face_sites_ipsi_pct_control_perturbed"`
	OtherContra     [2]float64        `json:"other_sites_contra_pct_control_perturbed"`
	OtherIpsi       [2]float64        `json:"other_sites_ipsi_pct_control_perturbed"`
	DeltaCorr       stats.Correlation `json:"r_delta_contra_dprime"`
	Criteria        []Criterion       `json:"criteria"`
	Notes           []string          `json:"notes"`
}

// Summary collects the result's numbers.
func (r *Afraz2015Result) Summary() Afraz2015Summary {
	s := Afraz2015Summary{Protocol: "afraz2015", Kind: r.Kind, DecoderAccuracy: r.DecoderAcc, DecoderC: r.DecoderC, TrialsPer: r.TrialsPer,
		NFaceSites: r.NFaceSites, NOtherSites: len(r.Sites) - r.NFaceSites, DeltaCorr: r.deltaCorrelation(), Criteria: r.Criteria(), Notes: r.Notes}
	mean := func(sel bool, f int, pert bool) float64 {
		face, other := r.split(func(x Afraz2015Site) float64 {
			if pert {
				return x.Perturbed[f]
			}
			return x.Control[f]
		})
		v := other
		if sel {
			v = face
		}
		m, _ := stats.MeanSEM(v)
		return m
	}
	s.FaceContra = [2]float64{mean(true, 0, false), mean(true, 0, true)}
	s.FaceIpsi = [2]float64{mean(true, 1, false), mean(true, 1, true)}
	s.OtherContra = [2]float64{mean(false, 0, false), mean(false, 0, true)}
	s.OtherIpsi = [2]float64{mean(false, 1, false), mean(false, 1, true)}
	return s
}

// Print writes the terminal summary.
func (r *Afraz2015Result) Print(w io.Writer) {
	s := r.Summary()
	fmt.Fprintf(w, "Afraz et al. 2015 (%s) — gender readout %.1f %% correct unperturbed; %d face and %d other sites\n", r.Kind, s.DecoderAccuracy, s.NFaceSites, s.NOtherSites)
	fmt.Fprintf(w, "  face sites:  contra %.1f → %.1f %%, ipsi %.1f → %.1f %%\n", s.FaceContra[0], s.FaceContra[1], s.FaceIpsi[0], s.FaceIpsi[1])
	fmt.Fprintf(w, "  other sites: contra %.1f → %.1f %%, ipsi %.1f → %.1f %%\n", s.OtherContra[0], s.OtherContra[1], s.OtherIpsi[0], s.OtherIpsi[1])
	printCriteria(w, s.Criteria)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// Write stores summary.json, sites.csv, the figures and report.html.
func (r *Afraz2015Result) Write(dir string, c *Config, man Manifest) error {
	files, err := runFiles(c, r.Summary(), man)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"site", "hemisphere", "x_mm", "y_mm", "dprime", "face_selective", "units",
		"control_contra_pct", "perturbed_contra_pct", "control_ipsi_pct", "perturbed_ipsi_pct", "delta_contra_pct", "delta_ipsi_pct"})
	for i, s := range r.Sites {
		w.Write([]string{fmt.Sprint(i + 1), s.Hemi.String(), f4(s.X_mm), f4(s.Y_mm), f4(s.DPrime), fmt.Sprint(s.Selective), fmt.Sprint(s.Units),
			f4(s.Control[0]), f4(s.Perturbed[0]), f4(s.Control[1]), f4(s.Perturbed[1]), f4(s.Delta[0]), f4(s.Delta[1])})
	}
	w.Flush()
	files["sites.csv"] = b.Bytes()
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	figs, err := r.figures(dir, c)
	if err != nil {
		return err
	}
	return writeReport(dir, c, reportPage{
		Title:    fmt.Sprintf("Afraz, Boyden & DiCarlo 2015: %s at face and other IT sites, gender discrimination", r.Kind),
		Manifest: man, Criteria: r.Criteria(), Figures: figs, Notes: r.Notes,
		Files: []string{"summary.json", "sites.csv", "config.resolved.toml", "manifest.json"},
	})
}

func (r *Afraz2015Result) figures(dir string, c *Config) ([]Figure, error) {
	var figs []Figure
	// 1. accuracy without and with the perturbation, face sites.
	s := r.Summary()
	cond := []float64{0, 1}
	band := func(f int) (lo, hi []float64) {
		for _, p := range []bool{false, true} {
			face, _ := r.split(func(x Afraz2015Site) float64 {
				if p {
					return x.Perturbed[f]
				}
				return x.Control[f]
			})
			_, ci := stats.MeanCI(face)
			lo, hi = append(lo, ci[0]), append(hi, ci[1])
		}
		return lo, hi
	}
	clo, chi := band(0)
	ilo, ihi := band(1)
	k := r.Monkey
	series := []plots.Series{
		{Name: "model, contralateral", X: cond, Y: s.FaceContra[:], Lo: clo, Hi: chi},
		{Name: "model, ipsilateral", X: cond, Y: s.FaceIpsi[:], Lo: ilo, Hi: ihi},
	}
	if r.Kind == "optogenetic" {
		series = append(series,
			plots.Series{Name: "monkeys, contralateral", X: cond, Y: []float64{k.ContraNoLaser[0], k.ContraLaser[0]},
				Lo: []float64{k.ContraNoLaser[0] - k.ContraNoLaser[1], k.ContraLaser[0] - k.ContraLaser[1]}, Hi: []float64{k.ContraNoLaser[0] + k.ContraNoLaser[1], k.ContraLaser[0] + k.ContraLaser[1]}},
			plots.Series{Name: "monkeys, ipsilateral", X: cond, Y: []float64{k.IpsiNoLaser[0], k.IpsiLaser[0]},
				Lo: []float64{k.IpsiNoLaser[0] - k.IpsiNoLaser[1], k.IpsiLaser[0] - k.IpsiLaser[1]}, Hi: []float64{k.IpsiNoLaser[0] + k.IpsiNoLaser[1], k.IpsiLaser[0] + k.IpsiLaser[1]}})
	}
	if err := plots.WriteLinePlot(filepath.Join(dir, "accuracy"), fmt.Sprintf("Gender discrimination at face sites (n = %d), 95 %% CI over sites", r.NFaceSites),
		"condition (0 = no perturbation, 1 = "+r.Kind+")", "% correct", series); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"accuracy.png", "% correct without and with the perturbation at face sites"})
	// 2. Δ contra against d′.
	var x, y []float64
	for _, st := range r.Sites {
		x, y = append(x, st.DPrime), append(y, st.Delta[0])
	}
	sc := []plots.ScatterSeries{{Name: "model sites", X: x, Y: y}}
	if r.Kind == "optogenetic" {
		var kx, ky []float64
		for _, st := range k.Sites {
			kx, ky = append(kx, st.DPrime), append(ky, st.Shift_pct)
		}
		sc = append(sc, plots.ScatterSeries{Name: "monkeys (Afraz et al. 2015 Fig. 3C)", X: kx, Y: ky, Hollow: true})
	}
	if err := plots.WriteScatterPlot(filepath.Join(dir, "delta_vs_dprime"), sc, plots.ScatterOptions{
		Title: "Contralateral Δ% correct against site face selectivity", XLabel: "site face d′ (units within 0.5 mm)",
		YLabel: "Δ% correct, contralateral (percentage points)", FitLines: true, VLines: []float64{r.Threshold}, HLines: []float64{0},
	}); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"delta_vs_dprime.png", "Contralateral Δ% correct against site face d′"})
	// 3. sites on the sheets.
	var sel []SelectedSite
	for _, st := range r.Sites {
		sel = append(sel, st.SelectedSite)
	}
	if err := writeSitesOnSheet(filepath.Join(dir, "sites_on_sheet"), r.Model.IT(), r.UnitDPrime, r.Seed, sel, y,
		"Sites coloured by contralateral Δ% correct; grey: face d′ (σ = 0.5 mm); numbers: d′ > 1 sites", "Δ% correct, contra"); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"sites_on_sheet.png", "Sites on the IT sheets"})
	return figs, nil
}

var _ Outcome = (*Afraz2015Result)(nil)
