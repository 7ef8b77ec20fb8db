package experiments

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/resultdir"
)

// metricUnits gives each sweep.csv metric its unit.
var metricUnits = map[string]string{
	MetricShift: "% signal", MetricDeltaAc: "percentage points", MetricControl: "percentage points",
	"charge_per_phase_nC": "nC", "charge_density_uC_cm2": "µC/cm²", "shannon_k": "", "total_current_uA": "µA",
	"total_charge_per_phase_nC": "nC", "contacts_off_sheet": "contacts", "aim_dprime": "d′",
}

// CSV renders sweep.csv: tidy, one row per point and metric, readable by
// pandas (read_csv) and R (read.csv). Missing values are empty.
func (r *SweepResult) CSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := []string{"point"}
	for _, a := range r.Plan.Axes {
		head = append(head, a.Key)
	}
	head = append(head, "device", "contacts", "metric", "unit", "value", "ci95_lo", "ci95_hi", "n", "safe")
	w.Write(head)
	cell := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return fmt.Sprintf("%.6g", v)
	}
	for _, p := range r.Points {
		row := []string{fmt.Sprint(p.Point + 1)}
		for _, v := range p.Values {
			row = append(row, fmt.Sprint(v))
		}
		row = append(row, p.Device, fmt.Sprint(p.Contacts))
		safe := "NA"
		if p.Safety != nil {
			safe = fmt.Sprint(p.Safety.Safe())
		}
		for _, m := range p.Metrics {
			w.Write(append(append([]string(nil), row...), m.Name, metricUnits[m.Name], cell(m.Mean), cell(m.CILo), cell(m.CIHi), fmt.Sprint(m.N), safe))
		}
		extra := [][2]any{{"contacts_off_sheet", p.OffSheet}, {"aim_dprime", p.Aim.DPrime}}
		if p.Safety != nil {
			extra = append(extra, [2]any{"charge_per_phase_nC", p.Safety.ChargePerPhase_nC}, [2]any{"charge_density_uC_cm2", p.Safety.ChargeDensity_uC_cm2},
				[2]any{"shannon_k", p.Safety.ShannonK}, [2]any{"total_current_uA", p.Safety.TotalCurrent_uA}, [2]any{"total_charge_per_phase_nC", p.TotalCharge})
		}
		for _, e := range extra {
			name := e[0].(string)
			w.Write(append(append([]string(nil), row...), name, metricUnits[name], cell(e[1].(float64)), "", "", "1", safe))
		}
	}
	w.Flush()
	return b.Bytes()
}

// SweepSummary is summary.json of a sweep.
type SweepSummary struct {
	Protocol string        `json:"protocol"`
	Plan     SweepPlan     `json:"plan"`
	Aim      string        `json:"aim"`
	Points   []PointResult `json:"points"`
	Pareto   []int         `json:"pareto_front_points"` // 1-based point numbers on the front of shift against total charge
	Unsafe   []int         `json:"unsafe_points"`
}

// Summary collects the sweep's results.
func (r *SweepResult) Summary() SweepSummary {
	s := SweepSummary{Protocol: "hardware", Plan: r.Plan, Points: r.Points, Aim: r.Aim()}
	for _, k := range r.ParetoFront() {
		s.Pareto = append(s.Pareto, r.Points[k].Point+1)
	}
	for _, p := range r.Points {
		if p.Safety != nil && !p.Safety.Safe() {
			s.Unsafe = append(s.Unsafe, p.Point+1)
		}
	}
	return s
}

// ParetoFront returns the indices (into Points) of the safe points that no
// other safe point beats on both lower total charge and larger shift,
// sorted by charge: the cheapest safe way to each effect size.
func (r *SweepResult) ParetoFront() []int {
	usable := func(p PointResult) bool {
		return p.Safety != nil && p.Safety.Safe() && !math.IsNaN(p.Metric(MetricShift).Mean)
	}
	var idx []int
	for i, p := range r.Points {
		if !usable(p) {
			continue
		}
		dominated := false
		for j, q := range r.Points {
			if j == i || !usable(q) {
				continue
			}
			qs, ps := q.Metric(MetricShift).Mean, p.Metric(MetricShift).Mean
			if q.TotalCharge <= p.TotalCharge && qs >= ps && (q.TotalCharge < p.TotalCharge || qs > ps) {
				dominated = true
				break
			}
		}
		if !dominated {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return r.Points[idx[a]].TotalCharge < r.Points[idx[b]].TotalCharge })
	return idx
}

// axisX returns the plotted x of an axis value and the axis label.
func axisX(a SweepAxis, i int) float64 {
	if f, ok := a.Values[i].(float64); ok {
		return f
	}
	return float64(i)
}

func axisLabel(a SweepAxis) string {
	if _, ok := a.Values[0].(float64); ok {
		return a.Key
	}
	var names []string
	for i, v := range a.Values {
		names = append(names, fmt.Sprintf("%d = %v", i, v))
	}
	return a.Key + " (" + strings.Join(names, ", ") + ")"
}

// Write stores sweep.csv, summary.json, config.resolved.toml,
// manifest.json, the figures and report.html in dir. The files depend only
// on the points, so merged shards give the same bytes as one run.
func (r *SweepResult) Write(dir string, c *Config, man Manifest) error {
	lock, err := resultdir.Lock(dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	if p, _, err := ReadPlan(dir); err != nil || p.PlanSHA256 != r.Plan.PlanSHA256 {
		return &resultdir.Error{Dest: dir, Reason: "its plan.json changed while the sweep ran (another sweep wrote it); nothing was written, rerun the sweep"}
	}
	files, err := runFiles(c, r.Summary(), man)
	if err != nil {
		return err
	}
	files["sweep.csv"] = r.CSV()
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	figs, err := r.figures(dir)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, p := range r.Points {
		row := []string{fmt.Sprint(p.Point + 1)}
		for _, v := range p.Values {
			row = append(row, fmt.Sprint(v))
		}
		row = append(row, fnum(p.Aim.DPrime, 2))
		for _, mt := range Metrics {
			m := p.Metric(mt.Name)
			row = append(row, fmt.Sprintf("%s [%s, %s]", fnum(m.Mean, 2), fnum(m.CILo, 2), fnum(m.CIHi, 2)))
		}
		safe := "—"
		if p.Safety != nil {
			safe = fmt.Sprintf("Q %.3g nC, k %.2f", p.Safety.ChargePerPhase_nC, p.Safety.ShannonK)
			if !p.Safety.Safe() {
				safe += " — VIOLATES: " + strings.Join(p.Safety.Violations, "; ")
			}
		}
		rows = append(rows, append(row, safe))
	}
	head := []string{"point"}
	for _, a := range r.Plan.Axes {
		head = append(head, a.Key)
	}
	head = append(head, "aim d′")
	for _, mt := range Metrics {
		head = append(head, mt.Name+" [95 % CI]")
	}
	head = append(head, "safety (per contact)")
	s := r.Summary()
	if err := writeReport(dir, c, reportPage{
		Title:    "Hardware sweep: behavioural effect against device parameters",
		Citation: "Face-detection task of Afraz et al. (2006); effects are means over placements and seeds with percentile-bootstrap 95 % CIs.",
		Manifest: man, Figures: figs,
		Notes: []string{fmt.Sprintf("Aim: %s; targeting error %.2f mm (RMS), %d placements × %d seeds per point. Pareto front (shift against total charge, safe points): %s. Points violating a safety limit: %s.",
			s.Aim, c.Placement.TargetingError_mm, c.Placement.NPlacements, c.Placement.NSeeds, listOrNone(s.Pareto), listOrNone(s.Unsafe))},
		Tables: []Table{{Caption: "Points", Header: head, Rows: rows}},
		Files:  []string{"sweep.csv", "summary.json", "config.resolved.toml", "manifest.json"},
	}); err != nil {
		return err
	}
	return MarkSweepComplete(dir)
}

// MarkSweepComplete removes the incomplete marker of a sweep folder whose
// points are all stored (and, unless it is a shard, whose files are all
// written).
func MarkSweepComplete(dir string) error {
	err := os.Remove(filepath.Join(dir, IncompleteMarker))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (r *SweepResult) figures(dir string) ([]Figure, error) {
	var figs []Figure
	if len(r.Plan.Axes) == 0 || len(r.Points) != r.Plan.Points {
		return nil, nil
	}
	a0 := r.Plan.Axes[0]
	// Dose–response: metric against the first axis, one line per
	// combination of the other axes (at most 8).
	inner := r.Plan.Points / len(a0.Values)
	for _, mt := range Metrics {
		var series []plots.Series
		for k := 0; k < inner && k < 8; k++ {
			s := plots.Series{}
			var desc []string
			vals := r.Plan.Values(k)
			for a := 1; a < len(vals); a++ {
				desc = append(desc, fmt.Sprintf("%s = %v", r.Plan.Axes[a].Key[strings.LastIndex(r.Plan.Axes[a].Key, ".")+1:], vals[a]))
			}
			s.Name = strings.Join(desc, ", ")
			if s.Name == "" {
				s.Name = "mean, 95 % CI"
			}
			for i := range a0.Values {
				p := r.Points[i*inner+k]
				m := p.Metric(mt.Name)
				s.X, s.Y, s.Lo, s.Hi = append(s.X, axisX(a0, i)), append(s.Y, m.Mean), append(s.Lo, m.CILo), append(s.Hi, m.CIHi)
			}
			series = append(series, s)
		}
		name := "dose_response_" + strings.TrimSuffix(mt.Name, "_pct")
		title := mt.Short + " against " + a0.Key[strings.LastIndex(a0.Key, ".")+1:]
		if err := plots.WriteLinePlot(filepath.Join(dir, name), title, axisLabel(a0), mt.Label, series); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{name + ".png", mt.Label + " against " + a0.Key + " (bands: 95 % bootstrap CI)"})
	}
	// Heat maps for a two-parameter numeric grid.
	if len(r.Plan.Axes) == 2 {
		a1 := r.Plan.Axes[1]
		_, n0 := a0.Values[0].(float64)
		_, n1 := a1.Values[0].(float64)
		if n0 && n1 {
			for _, mt := range Metrics[:1] {
				g := plots.Grid{XLabel: a1.Key, YLabel: a0.Key, ZLabel: mt.Label}
				for j := range a1.Values {
					g.X = append(g.X, axisX(a1, j))
				}
				for i := range a0.Values {
					g.Y = append(g.Y, axisX(a0, i))
					row := make([]float64, len(a1.Values))
					for j := range a1.Values {
						row[j] = r.Points[i*len(a1.Values)+j].Metric(mt.Name).Mean
					}
					g.Z = append(g.Z, row)
				}
				name := "heatmap_" + strings.TrimSuffix(mt.Name, "_pct")
				if err := plots.WriteHeatMap(filepath.Join(dir, name), mt.Short+" (mean over placements)", g); err != nil {
					return nil, err
				}
				figs = append(figs, Figure{name + ".png", "Heat map: " + mt.Label})
			}
		}
	}
	// Pareto front of shift against total charge (electrodes).
	var safe, unsafe, front plots.ScatterSeries
	safe.Name, unsafe.Name, front.Name = "within safety limits", "violates a safety limit", "Pareto front (safe points)"
	unsafe.Hollow = true
	for _, p := range r.Points {
		if p.Safety == nil {
			continue
		}
		m := p.Metric(MetricShift)
		s := &safe
		if !p.Safety.Safe() {
			s = &unsafe
		}
		s.X, s.Y, s.YLo, s.YHi = append(s.X, p.TotalCharge), append(s.Y, m.Mean), append(s.YLo, m.CILo), append(s.YHi, m.CIHi)
	}
	for _, i := range r.ParetoFront() {
		front.X, front.Y = append(front.X, r.Points[i].TotalCharge), append(front.Y, r.Points[i].Metric(MetricShift).Mean)
	}
	if len(safe.X)+len(unsafe.X) > 0 {
		var ser []plots.ScatterSeries
		for _, s := range []plots.ScatterSeries{safe, unsafe, front} {
			if len(s.X) > 0 {
				ser = append(ser, s)
			}
		}
		if err := plots.WriteScatterPlot(filepath.Join(dir, "pareto"), ser, plots.ScatterOptions{
			Title: "Effect against charge: the Pareto front", XLabel: "total charge per phase over all contacts (nC)",
			YLabel: "psychometric shift toward \"face\" (% signal)", HLines: []float64{0},
		}); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{"pareto.png", "Shift against total charge per phase; the front is the cheapest way to each effect size"})
	}
	return figs, nil
}

// listOrNone renders point numbers as "2, 6, 10" or "none".
func listOrNone(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprint(x))
	}
	return strings.Join(out, ", ")
}
