package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/microstim/microstim/plots"
)

// Criteria is empty: a generic experiment has no published values to
// meet; its conditions are compared with each other.
func (r *GenericResult) Criteria() []Criterion { return nil }

// Print writes each condition's mean Δ of accuracy, d′ and criterion (and
// the psychometric shift) with 95 % CIs, and the condition differences.
func (r *GenericResult) Print(w io.Writer) {
	for _, gc := range r.Conditions {
		readout := ""
		if !math.IsNaN(gc.DecoderAcc) {
			readout = fmt.Sprintf("; readout %.1f %% correct unperturbed (C = %.3g)", gc.DecoderAcc, gc.DecoderC)
		}
		fmt.Fprintf(w, "%s — %s; %s; %d sites (%s)%s\n", gc.Name, gc.Task, gc.Perturbation, len(gc.Sites), gc.SiteRule, readout)
		for _, s := range r.Summaries {
			if s.Condition == gc.Name {
				fmt.Fprintf(w, "  %-10s %-7s Δ %-16s %s\n", s.Group, s.Field, s.Measure, summaryText(s))
			}
		}
	}
	for _, d := range r.Differences {
		fmt.Fprintf(w, "  %s − %s, %s, Δ %s: %s\n", d.A, d.B, d.Field, d.Measure, interval(d.Diff, d.Lo, d.Hi))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func interval(v, lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return signed(v) + " (no CI)"
	}
	return fmt.Sprintf("%s [%s, %s]", signed(v), signed(lo), signed(hi))
}

// summaryText is a summary's mean Δ with its CI, or, below MinSitesForCI
// sites, with the per-site values.
func summaryText(s MeasureSummary) string {
	if s.Values == nil {
		return interval(s.Delta, s.DeltaLo, s.DeltaHi)
	}
	v := make([]string, len(s.Values))
	for i, x := range s.Values {
		v[i] = signed(x)
	}
	return fmt.Sprintf("%s (no CI: %d site(s), values %s)", signed(s.Delta), s.Sites, strings.Join(v, ", "))
}

// Write stores summary.json, sites.csv, measures.csv, differences.csv,
// the figures and report.html.
func (r *GenericResult) Write(dir string, c *Config, man Manifest) error {
	files, err := runFiles(c, r, man)
	if err != nil {
		return err
	}
	files["sites.csv"] = r.sitesCSV()
	files["measures.csv"], files["differences.csv"] = r.tablesCSV()
	if len(r.Levels) > 0 {
		files["levels.csv"] = r.levelsCSV()
	}
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	figs, err := r.figures(dir)
	if err != nil {
		return err
	}
	return writeReport(dir, c, reportPage{
		Title:    "Generic experiment: " + strings.Join(r.conditionNames(), " vs "),
		Manifest: man, Figures: figs, Notes: r.Notes, Tables: r.reportTables(),
		Files: []string{"summary.json", "sites.csv", "measures.csv", "differences.csv", "config.resolved.toml", "manifest.json"},
	})
}

func (r *GenericResult) conditionNames() []string {
	var out []string
	for _, gc := range r.Conditions {
		out = append(out, gc.Name)
	}
	return out
}

// sitesCSV has one row per condition, site, field and measure.
func (r *GenericResult) sitesCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"condition", "site", "hemisphere", "x_mm", "y_mm", "dprime", "selective", "units", "field", "measure", "control", "perturbed", "delta"})
	for _, gc := range r.Conditions {
		for i, s := range gc.Sites {
			for f, field := range gc.Fields {
				for _, name := range measureNames {
					ctrl, pert := "", ""
					if name == "shift_pct" {
						if s.Shift_pct == nil {
							continue
						}
					} else {
						ctrl, pert = f4(s.Control[f].get(name)), f4(s.Perturbed[f].get(name))
					}
					w.Write([]string{gc.Name, fmt.Sprint(i + 1), s.Hemi.String(), f4(s.X_mm), f4(s.Y_mm), f4(s.DPrime), fmt.Sprint(s.Selective),
						fmt.Sprint(s.Units), field, name, ctrl, pert, f4(s.delta(name, f))})
				}
			}
		}
	}
	w.Flush()
	return b.Bytes()
}

func (r *GenericResult) tablesCSV() (measures, differences []byte) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"condition", "group", "field", "measure", "sites", "control", "perturbed", "delta", "delta_ci95_lo", "delta_ci95_hi"})
	for _, s := range r.Summaries {
		w.Write([]string{s.Condition, s.Group, s.Field, s.Measure, fmt.Sprint(s.Sites), f4(s.Control), f4(s.Perturbed), f4(s.Delta), f4(s.DeltaLo), f4(s.DeltaHi)})
	}
	w.Flush()
	measures = append([]byte(nil), b.Bytes()...)
	b.Reset()
	w = csv.NewWriter(&b)
	w.Write([]string{"a", "b", "field", "measure", "difference_of_mean_delta", "ci95_lo", "ci95_hi"})
	for _, d := range r.Differences {
		w.Write([]string{d.A, d.B, d.Field, d.Measure, f4(d.Diff), f4(d.Lo), f4(d.Hi)})
	}
	w.Flush()
	return measures, b.Bytes()
}

// levelsCSV is levels.csv: one row per condition, field and signal level.
func (r *GenericResult) levelsCSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"condition", "field", "level_pct", "sites", "control_target_choices_pct", "perturbed_target_choices_pct", "delta_pct", "delta_ci95_lo", "delta_ci95_hi"})
	for _, l := range r.Levels {
		w.Write([]string{l.Condition, l.Field, fmt.Sprint(l.Level_pct), fmt.Sprint(l.Sites), f4(l.Control_pct), f4(l.Perturbed_pct), f4(l.Delta_pct), f4(l.DeltaLo), f4(l.DeltaHi)})
	}
	w.Flush()
	return b.Bytes()
}

func (r *GenericResult) reportTables() []Table {
	sum := Table{Caption: "Mean Δ (perturbed − control) over sites, 95 % bootstrap CI",
		Header: []string{"condition", "sites", "field", "measure", "control", "perturbed", "Δ [95 % CI]"}}
	for _, s := range r.Summaries {
		sum.Rows = append(sum.Rows, []string{s.Condition + " (" + s.Group + ")", fmt.Sprint(s.Sites), s.Field, s.Measure,
			fnum(s.Control, 3), fnum(s.Perturbed, 3), summaryText(s)})
	}
	diff := Table{Caption: "Differences of mean Δ between conditions (A − B), 95 % bootstrap CI",
		Header: []string{"A", "B", "field", "measure", "difference [95 % CI]"}}
	for _, d := range r.Differences {
		diff.Rows = append(diff.Rows, []string{d.A, d.B, d.Field, d.Measure, interval(d.Diff, d.Lo, d.Hi)})
	}
	tables := []Table{sum, diff}
	if len(r.Levels) > 0 {
		tables = append(tables, levelsTable(r.Levels))
	}
	if len(r.Pairs) > 0 {
		tables = append(tables, pairsTable(r.Pairs))
	}
	if len(r.Categories) > 0 {
		tables = append(tables, categoriesTable(r.Categories))
	}
	return tables
}

// figures: the mean Δ of each measure per condition and field, and
// each condition's sites on the IT sheets.
func (r *GenericResult) figures(dir string) ([]Figure, error) {
	var figs []Figure
	var cats []string
	for _, gc := range r.Conditions {
		for _, g := range gc.groups() {
			cats = append(cats, strings.TrimSuffix(gc.Name+"\n"+g.label, "\nall sites")+fmt.Sprintf("\nn = %d", len(g.sites)))
		}
	}
	labels := map[string]string{"accuracy_pct": "Δ % correct (percentage points)", "hit_rate": "Δ hit rate", "false_alarm_rate": "Δ false-alarm rate",
		"dprime": "Δ d′", "criterion": "Δ criterion c", "shift_pct": "psychometric shift (% signal)"}
	for _, name := range measureNames {
		series := map[string][]plots.Interval{}
		var fields []string
		k := 0
		for _, gc := range r.Conditions {
			for _, g := range gc.groups() {
				for _, field := range gc.Fields {
					if series[field] == nil {
						fields = append(fields, field)
						series[field] = make([]plots.Interval, len(cats))
						for i := range series[field] {
							series[field][i] = plots.Interval{Value: nan2[0], Lo: nan2[0], Hi: nan2[0]}
						}
					}
				}
				for _, s := range r.Summaries {
					if s.Condition == gc.Name && s.Group == g.label && s.Measure == name {
						series[s.Field][k] = plots.Interval{Value: s.Delta, Lo: s.DeltaLo, Hi: s.DeltaHi, Values: s.Values}
					}
				}
				k++
			}
		}
		var ss []plots.IntervalSeries
		for _, f := range fields {
			ss = append(ss, plots.IntervalSeries{Name: fieldName(f), Points: series[f]})
		}
		if !anyFinite(ss) {
			continue
		}
		file := "delta_" + name
		title := labels[name] + " by condition\nmean over sites; 95 % CI over sites and trials (< 3 sites: dots)"
		if err := plots.WriteIntervalPlot(filepath.Join(dir, file), title, labels[name], cats, ss); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{file + ".png", labels[name] + " by condition"})
	}
	for i, gc := range r.Conditions {
		var sel []SelectedSite
		var v []float64
		for _, s := range gc.Sites {
			sel, v = append(sel, s.SelectedSite), append(v, s.delta("dprime", 0))
		}
		file := fmt.Sprintf("sites_%d", i+1)
		if err := writeSitesOnSheet(filepath.Join(dir, file), r.Model.IT(), r.UnitDPrime, r.Seed, sel, v,
			fmt.Sprintf("%s: sites coloured by Δ d′ (%s); grey: face d′ (σ = 0.5 mm)", gc.Name, fieldName(gc.Fields[0])), "Δ d′"); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{file + ".png", fmt.Sprintf("Sites of %q on the IT sheets", gc.Name)})
	}
	return figs, nil
}

func fieldName(f string) string {
	return map[string]string{"all": "full frame", "contra": "contralateral field", "ipsi": "ipsilateral field"}[f]
}

func anyFinite(ss []plots.IntervalSeries) bool {
	for _, s := range ss {
		for _, p := range s.Points {
			if p.Value == p.Value {
				return true
			}
		}
	}
	return false
}

var _ Outcome = (*GenericResult)(nil)
