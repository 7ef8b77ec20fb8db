package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"

	"github.com/microstim/microstim/resultdir"
)

// Afraz2006Summary is summary.json.
type Afraz2006Summary struct {
	Protocol            string           `json:"protocol"`
	RShiftDPrime        float64          `json:"r_shift_dprime"`
	PShiftDPrime        float64          `json:"p_shift_dprime"`
	RCI                 [2]float64       `json:"r_shift_dprime_ci95"`
	MeanShiftFace_pct   float64          `json:"mean_shift_face_sites_pct"`
	SEMShiftFace_pct    float64          `json:"sem_shift_face_sites_pct"`
	MeanShiftOther_pct  float64          `json:"mean_shift_other_sites_pct"`
	SEMShiftOther_pct   float64          `json:"sem_shift_other_sites_pct"`
	NFaceSites          int              `json:"n_face_sites"`
	NOtherSites         int              `json:"n_other_sites"`
	DecoderAccuracy     float64          `json:"decoder_accuracy_unperturbed"`
	MonkeyR             float64          `json:"monkey_r_shift_dprime"`
	MonkeyP             float64          `json:"monkey_p_shift_dprime"`
	MonkeyMeanFace_pct  float64          `json:"monkey_mean_shift_face_sites_pct"`
	MonkeySEMFace_pct   float64          `json:"monkey_sem_shift_face_sites_pct"`
	MonkeyMeanOther_pct float64          `json:"monkey_mean_shift_other_sites_pct"`
	MonkeySEMOther_pct  float64          `json:"monkey_sem_shift_other_sites_pct"`
	Verdict             string           `json:"verdict"`
	Pass                bool             `json:"pass"`
	DeltaR              float64          `json:"delta_r_model_minus_monkey"`
	ShiftRatioFace      float64          `json:"shift_ratio_face_sites_model_over_monkey"`
	ShiftRatioOther     float64          `json:"shift_ratio_other_sites_model_over_monkey"`
	Sensitivity         []SensitivityRow `json:"sensitivity"`
	Notes               []string         `json:"notes"`
}

// Score computes the scorecard: the qualitative verdict as Brain-Score
// scores this benchmark (a significant correlation, p < 0.05, of the same
// sign as the monkeys') and the quantitative distances.
func (r *Afraz2006Result) Score() Afraz2006Summary {
	s := Afraz2006Summary{
		Protocol: "afraz2006", RShiftDPrime: r.Corr.R, PShiftDPrime: r.Corr.P, RCI: [2]float64{r.Corr.CILo, r.Corr.CIHi},
		MeanShiftFace_pct: r.MeanFace[0], SEMShiftFace_pct: r.MeanFace[1], MeanShiftOther_pct: r.MeanOther[0], SEMShiftOther_pct: r.MeanOther[1],
		NFaceSites: r.NFaceSites, NOtherSites: len(r.Sites) - r.NFaceSites, DecoderAccuracy: r.DecoderAcc,
		MonkeyR: r.Monkey.Corr.R, MonkeyP: r.Monkey.Corr.P,
		MonkeyMeanFace_pct: r.Monkey.MeanFace[0], MonkeySEMFace_pct: r.Monkey.MeanFace[1],
		MonkeyMeanOther_pct: r.Monkey.MeanOther[0], MonkeySEMOther_pct: r.Monkey.MeanOther[1],
		Sensitivity: r.Sensitivity, Notes: append([]string{}, r.Notes...),
	}
	s.Pass = r.Corr.P < 0.05 && sign(r.Corr.R) == sign(r.Monkey.Corr.R)
	switch {
	case s.Pass:
		s.Verdict = "pass: significant correlation of shift with d′, same sign as the monkeys"
	case r.Corr.P < 0.05:
		s.Verdict = "fail: significant correlation of the opposite sign"
	default:
		s.Verdict = "fail: no significant correlation of shift with d′ (p ≥ 0.05)"
	}
	s.DeltaR = r.Corr.R - r.Monkey.Corr.R
	s.ShiftRatioFace = r.MeanFace[0] / r.Monkey.MeanFace[0]
	s.ShiftRatioOther = r.MeanOther[0] / r.Monkey.MeanOther[0]
	return s
}

// WriteAfraz2006 writes summary.json, sites.csv, config.resolved.toml and
// manifest.json into dir, each atomically.
func WriteAfraz2006(dir string, c *Config, r *Afraz2006Result, m Manifest) error {
	sum := r.Score()
	files := map[string][]byte{}
	var err error
	if files["summary.json"], err = marshalJSON(sum); err != nil {
		return err
	}
	if files["manifest.json"], err = marshalJSON(m); err != nil {
		return err
	}
	if files["config.resolved.toml"], err = c.ResolvedTOML(); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"site", "hemisphere", "x_mm", "y_mm", "dprime", "face_selective", "units", "shift_pct", "shift_ci95_lo", "shift_ci95_hi",
		"control_alpha", "control_beta", "stim_alpha", "stim_beta"})
	for i, s := range r.Sites {
		w.Write([]string{fmt.Sprint(i + 1), s.Hemi.String(), f4(s.X_mm), f4(s.Y_mm), f4(s.DPrime), fmt.Sprint(s.Selective), fmt.Sprint(s.Units),
			f4(s.Shift_pct), f4(s.CILo), f4(s.CIHi), f4(s.Control.Alpha), f4(s.Control.Beta), f4(s.Stim.Alpha), f4(s.Stim.Beta)})
	}
	w.Flush()
	files["sites.csv"] = b.Bytes()
	for name, data := range files {
		if err := resultdir.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// Criteria returns benchmark 1 of docs/references.md#schrimpf2024.
func (r *Afraz2006Result) Criteria() []Criterion {
	s := r.Score()
	return []Criterion{{
		ID: afraz2006ShiftSignificant, Benchmark: afraz2006Paper.name,
		Measure: "r(psychometric shift toward \"face\", site face d′)", Unit: "",
		Model: s.RShiftDPrime, ModelCI: s.RCI, ModelP: s.PShiftDPrime,
		Monkey: s.MonkeyR, MonkeyErr: math.NaN(), Source: "Afraz et al. 2006, digitised shift-vs-d′ scatter (n = 86)",
		Rule: "correlation significant (p < 0.05) with the monkeys' sign", Pass: s.Pass, Verdict: s.Verdict,
		Score: DifferenceOfCorrelations(s.RShiftDPrime, s.MonkeyR), ScoreRule: "1 − |r_model − r_monkey|",
	}}
}

// Write stores summary.json, sites.csv, the figures and report.html.
func (r *Afraz2006Result) Write(dir string, c *Config, m Manifest) error {
	if err := WriteAfraz2006(dir, c, r, m); err != nil {
		return err
	}
	if err := Afraz2006Figures(dir, c, r, r.Model); err != nil {
		return err
	}
	return Afraz2006Report(dir, c, r, m)
}

// Print writes the scorecard lines.
func (r *Afraz2006Result) Print(w io.Writer) {
	s := r.Score()
	fmt.Fprintf(w, "Afraz et al. 2006 — %s\n", s.Verdict)
	fmt.Fprintf(w, "  r(shift, d′) = %.3f (p = %.3g, 95%% CI %.2f…%.2f; monkeys %.2f)\n", s.RShiftDPrime, s.PShiftDPrime, s.RCI[0], s.RCI[1], s.MonkeyR)
	fmt.Fprintf(w, "  mean shift, d′ > 1 sites (n = %d): %+.2f ± %.2f %%  (monkeys %+.1f ± %.1f %%)\n", s.NFaceSites, s.MeanShiftFace_pct, s.SEMShiftFace_pct, s.MonkeyMeanFace_pct, s.MonkeySEMFace_pct)
	fmt.Fprintf(w, "  mean shift, other sites (n = %d): %+.2f ± %.2f %%  (monkeys %+.1f ± %.1f %%)\n", s.NOtherSites, s.MeanShiftOther_pct, s.SEMShiftOther_pct, s.MonkeyMeanOther_pct, s.MonkeySEMOther_pct)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f":   func(v float64) string { return fnum(v, 3) },
	"f2":  func(v float64) string { return fnum(v, 2) },
	"pct": func(v float64) string { return signed(v) + " %" },
	"pm":  func(m, s float64) string { return signed(m) + " ± " + fnum(s, 2) + " %" },
	"p":   func(v float64) string { return pnum(v) },
	"C":   func(v float64) string { return fmt.Sprintf("%g", v) },
	"cap": func(v float64) string {
		if v == 0 {
			return "none"
		}
		return fmt.Sprintf("%g", v)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>microstim — {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.pass{color:#0a6e2a;font-weight:bold} .fail{color:#a31515;font-weight:bold}
img{max-width:100%;border:1px solid #eee;margin:.5em 0} pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.85em}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em} tr.configured td{background:#eef6ff;font-weight:bold}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Citation}}</p>
<p>Model <code>{{.Manifest.Model}}</code> (SHA-256 <code>{{.Manifest.ModelSHA256}}</code>), config <code>{{.Manifest.ConfigFile}}</code>,
seed {{.Manifest.Seed}}, microstim {{.Manifest.Version}}, BLAS {{.Manifest.BLAS}}.</p>

<h2>Scorecard</h2>
<p class="{{if .S.Pass}}pass{{else}}fail{{end}}">{{.S.Verdict}}</p>
<table>
<tr><th>measure</th><th>model</th><th>monkeys (Afraz et al. 2006)</th></tr>
<tr><td>r(shift, d′)</td><td>{{f .S.RShiftDPrime}} (p = {{p .S.PShiftDPrime}}; 95 % CI {{f2 (index .S.RCI 0)}} … {{f2 (index .S.RCI 1)}})</td><td>{{f .S.MonkeyR}} (p = {{p .S.MonkeyP}})</td></tr>
<tr><td>mean shift, d′ &gt; 1 sites</td><td>{{pm .S.MeanShiftFace_pct .S.SEMShiftFace_pct}} (n = {{.S.NFaceSites}})</td><td>{{pm .S.MonkeyMeanFace_pct .S.MonkeySEMFace_pct}}</td></tr>
<tr><td>mean shift, other sites</td><td>{{pm .S.MeanShiftOther_pct .S.SEMShiftOther_pct}} (n = {{.S.NOtherSites}})</td><td>{{pm .S.MonkeyMeanOther_pct .S.MonkeySEMOther_pct}}</td></tr>
<tr><td>model r − monkey r</td><td colspan="2">{{f .S.DeltaR}}</td></tr>
<tr><td>shift ratio model / monkeys (d′ &gt; 1; other)</td><td colspan="2">{{f2 .S.ShiftRatioFace}}; {{f2 .S.ShiftRatioOther}}</td></tr>
<tr><td>decoder accuracy, unperturbed (signal ≠ 0)</td><td colspan="2">{{f .S.DecoderAccuracy}}</td></tr>
</table>
{{range .S.Notes}}<p class="note">{{.}}</p>{{end}}
<p>Shifts are in % visual signal, positive toward "face"; ± is the SEM over sites. Verdict as Brain-Score scores this
benchmark: a significant (p &lt; 0.05) correlation of shift with site d′, of the monkeys' sign.</p>

<h2>Shift against site face selectivity</h2>
<img src="shift_vs_dprime.png" alt="shift against d′">
<h2>Psychometric curves at example sites</h2>
<img src="psychometric_examples.png" alt="psychometric curves">
<h2>Sites on the IT sheets</h2>
<img src="sites_on_sheet.png" alt="sites on the IT sheet">

<h2>Readout and gain sensitivity</h2>
<p>The result depends on the readout: a PyTorch prototype found r ≈ 0.5 with a strongly regularised decoder
(C = 1e-3) and r ≈ 0 with C ≥ 0.1. The analysis is repeated for every decoder C and with and without the gain cap
(2 = 60/30 Hz); the configured choice is highlighted.</p>
<img src="sensitivity.png" alt="sensitivity">
<table><tr><th>decoder C</th><th>gain cap</th><th>r(shift, d′)</th><th>p</th><th>mean shift d′ &gt; 1</th><th>mean shift other</th></tr>
{{range .S.Sensitivity}}<tr{{if .Configured}} class="configured"{{end}}><td>{{C .DecoderC}}</td><td>{{cap .GainCap}}</td><td>{{f .R}}</td><td>{{p .P}}</td><td>{{pct .MeanFace_pct}}</td><td>{{pct .MeanOther_pct}}</td></tr>
{{end}}</table>

<h2>Files</h2>
<p><a href="summary.json">summary.json</a> · <a href="sites.csv">sites.csv</a> · <a href="config.resolved.toml">config.resolved.toml</a> ·
<a href="manifest.json">manifest.json</a>; every figure also as SVG.</p>
<h2>Resolved configuration</h2>
<pre>{{.Config}}</pre>
</body></html>
`))

// Afraz2006Report writes report.html: scorecard, figures and config.
func Afraz2006Report(dir string, c *Config, r *Afraz2006Result, m Manifest) error {
	cfg, err := c.ResolvedTOML()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = reportTmpl.Execute(&b, map[string]any{
		"Title": "Afraz, Kiani & Esteky 2006: IT microstimulation biases face categorisation", "Citation": afraz2006Paper.citation,
		"S": r.Score(), "Manifest": m, "Config": string(cfg),
	})
	if err != nil {
		return err
	}
	return resultdir.WriteFile(filepath.Join(dir, "report.html"), b.Bytes())
}
