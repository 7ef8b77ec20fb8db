package experiments

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"path/filepath"

	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/topography"
)

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

// writeSitesOnSheet draws both IT sheets (smoothed face d′, face patches)
// with the sites marked and coloured by value.
func writeSitesOnSheet(path string, it *topography.Layout, unitD []float64, seed uint64, sites []SelectedSite, values []float64, title, valueLabel string) error {
	patches, thr := topography.FacePatches(it, unitD, topography.MapSigma_mm, topography.MapStep_mm, topography.NullPermutations, seed)
	var maps [2]*topography.Map
	var marks [2][]plots.SiteMark
	for h := range maps {
		maps[h] = topography.Smooth(it, topography.Hemisphere(h), unitD, topography.MapSigma_mm, topography.MapStep_mm)
	}
	for i, s := range sites {
		marks[s.Hemi] = append(marks[s.Hemi], plots.SiteMark{X_mm: s.X_mm, Y_mm: s.Y_mm, Value: values[i], Label: labelIf(s.Selective, i+1)})
	}
	panels := plots.HemispherePanels(maps, patches, thr, marks, [2]string{"Left hemisphere IT", "Right hemisphere IT"})
	return plots.WriteSheetMap(path, panels, plots.SheetMapOptions{Title: title, ValueLabel: "face d′", Min: -1, Max: 1, SiteLabel: valueLabel})
}

// Figure is one figure of a report (PNG and SVG share the base name).
type Figure struct {
	File    string // PNG file name
	Caption string
}

// reportPage is what the generic report template shows.
type reportPage struct {
	Title, Citation string
	Manifest        Manifest
	Criteria        []Criterion
	Tables          []Table
	Figures         []Figure
	Notes           []string
	Files           []string
	Config          string
}

// Table is a small HTML table of a report.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

var genericTmpl = template.Must(template.New("generic").Funcs(template.FuncMap{
	"f": func(v float64) string { return fnum(v, 3) },
	"p": pnum,
	"ci": func(c [2]float64) string {
		if math.IsNaN(c[0]) {
			return ""
		}
		return fmt.Sprintf(" [%s, %s]", fnum(c[0], 3), fnum(c[1], 3))
	},
	"err": func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return " ± " + fnum(v, 3)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>microstim — {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right;vertical-align:top}
th{background:#f3f3f3} td:first-child,th:first-child,td:nth-child(2),td:nth-child(6){text-align:left}
.pass{color:#0a6e2a;font-weight:bold} .fail{color:#a31515;font-weight:bold}
img{max-width:100%;border:1px solid #eee;margin:.5em 0} pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.85em}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em} caption{text-align:left;font-weight:bold;padding:.3em 0}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Citation}}</p>
<p>Model <code>{{.Manifest.Model}}</code> (SHA-256 <code>{{.Manifest.ModelSHA256}}</code>), config <code>{{.Manifest.ConfigFile}}</code>,
seed {{.Manifest.Seed}}, microstim {{.Manifest.Version}}, BLAS {{.Manifest.BLAS}}.</p>
{{if .Criteria}}<h2>Benchmark criteria</h2>
<table><tr><th>criterion</th><th>measure</th><th>model [95 % CI]</th><th>p</th><th>monkeys</th><th>verdict</th><th>score</th></tr>
{{range .Criteria}}<tr><td>{{.ID}}</td><td>{{.Measure}}{{if .Unit}} ({{.Unit}}){{end}}</td><td>{{f .Model}}{{ci .ModelCI}}</td><td>{{p .ModelP}}</td>
<td>{{f .Monkey}}{{err .MonkeyErr}}<br><small>{{.Source}}</small></td><td class="{{if .Pass}}pass{{else}}fail{{end}}">{{.Verdict}}</td><td>{{f .Score}}<br><small>{{.ScoreRule}}</small></td></tr>
{{end}}</table>{{end}}
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{range .Tables}}<table><caption>{{.Caption}}</caption><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
{{range .Figures}}<h2>{{.Caption}}</h2><img src="{{.File}}" alt="{{.Caption}}">{{end}}
<h2>Files</h2><p>{{range .Files}}<a href="{{.}}">{{.}}</a> · {{end}}every figure also as SVG.</p>
<h2>Resolved configuration</h2>
<pre>{{.Config}}</pre>
</body></html>
`))

// writeReport renders the generic report.html into dir.
func writeReport(dir string, c *Config, page reportPage) error {
	cfg, err := c.ResolvedTOML()
	if err != nil {
		return err
	}
	page.Config = string(cfg)
	if page.Citation == "" {
		page.Citation = c.protocol().Citation()
	}
	var b bytes.Buffer
	if err := genericTmpl.Execute(&b, page); err != nil {
		return err
	}
	return resultdir.WriteFile(filepath.Join(dir, "report.html"), b.Bytes())
}

// writeFiles writes each named file atomically into dir.
func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := resultdir.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// runFiles returns the files every run writes: the summary as JSON, the
// manifest and the resolved config.
func runFiles(c *Config, summary any, m Manifest) (map[string][]byte, error) {
	files := map[string][]byte{}
	var err error
	if files["summary.json"], err = marshalJSON(summary); err != nil {
		return nil, err
	}
	if files["manifest.json"], err = marshalJSON(m); err != nil {
		return nil, err
	}
	if files["config.resolved.toml"], err = c.ResolvedTOML(); err != nil {
		return nil, err
	}
	return files, nil
}

func labelIf(ok bool, i int) string {
	if ok {
		return fmt.Sprint(i)
	}
	return ""
}
