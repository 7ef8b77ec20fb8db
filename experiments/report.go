package experiments

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"path/filepath"

	"github.com/microstim/microstim/plots"
)

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

func fnum(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", d, v)
}

func signed(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.2f", v)
}

func pnum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v < 1e-4:
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// Afraz2006Report writes report.html: scorecard, figures and config.
func Afraz2006Report(dir string, c *Config, r *Afraz2006Result, m Manifest) error {
	cfg, err := c.ResolvedTOML()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = reportTmpl.Execute(&b, map[string]any{
		"Title": "Afraz, Kiani & Esteky 2006: IT microstimulation biases face categorisation", "Citation": Protocols["afraz2006"].Citation,
		"S": r.Score(), "Manifest": m, "Config": string(cfg),
	})
	if err != nil {
		return err
	}
	return plots.WriteAtomic(filepath.Join(dir, "report.html"), b.Bytes())
}
