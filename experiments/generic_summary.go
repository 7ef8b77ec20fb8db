package experiments

import (
	"fmt"
	"math"

	"github.com/microstim/microstim/stats"
)

// MeasureSummary is one measure of one condition (and site group) in one
// visual field: the means over sites without and with the perturbation
// and the mean difference with its 95 % bootstrap CI over sites.
type MeasureSummary struct {
	Condition string  `json:"condition"`
	Group     string  `json:"group"` // "all sites", or "d′ > t" / "d′ ≤ t" for a d′ split
	Field     string  `json:"field"`
	Measure   string  `json:"measure"`
	Sites     int     `json:"sites"`
	Control   float64 `json:"control"`   // NaN for shift_pct
	Perturbed float64 `json:"perturbed"` // NaN for shift_pct
	Delta     float64 `json:"delta"`     // perturbed − control (the shift for shift_pct)
	DeltaLo   float64 `json:"delta_ci95_lo"`
	DeltaHi   float64 `json:"delta_ci95_hi"`
}

// ConditionDifference is the difference between two summaries' mean Δ
// (A − B) in one field, with its 95 % bootstrap CI (sites resampled
// within each).
type ConditionDifference struct {
	A       string  `json:"a"`
	B       string  `json:"b"`
	Field   string  `json:"field"`
	Measure string  `json:"measure"`
	Diff    float64 `json:"difference"`
	Lo      float64 `json:"ci95_lo"`
	Hi      float64 `json:"ci95_hi"`
}

// siteGroup is a named subset of a condition's sites.
type siteGroup struct {
	label string
	sites []GenericSite
}

func (gc GenericCondition) groups() []siteGroup {
	out := []siteGroup{{"all sites", gc.Sites}}
	if !gc.split {
		return out
	}
	var sel, other []GenericSite
	for _, s := range gc.Sites {
		if s.Selective {
			sel = append(sel, s)
		} else {
			other = append(other, s)
		}
	}
	return append(out, siteGroup{fmt.Sprintf("d′ > %g", gc.threshold), sel}, siteGroup{fmt.Sprintf("d′ ≤ %g", gc.threshold), other})
}

// deltas returns the finite per-site Δ of a measure in field f.
func deltas(sites []GenericSite, name string, f int) []float64 {
	var out []float64
	for _, s := range sites {
		if d := s.delta(name, f); !math.IsNaN(d) {
			out = append(out, d)
		}
	}
	return out
}

// summariseConditions summarises every condition, group, field and
// measure, and compares the conditions pairwise (all sites) and the two
// groups of a d′ split, each with bootstrap CIs of reps resamples.
func summariseConditions(conds []GenericCondition, reps int, seed uint64) ([]MeasureSummary, []ConditionDifference) {
	var sums []MeasureSummary
	var diffs []ConditionDifference
	for _, gc := range conds {
		gs := gc.groups()
		for _, g := range gs {
			for f, field := range gc.Fields {
				for _, name := range measureNames {
					d := deltas(g.sites, name, f)
					if len(d) == 0 {
						continue
					}
					ms := MeasureSummary{Condition: gc.Name, Group: g.label, Field: field, Measure: name, Sites: len(d),
						Control: math.NaN(), Perturbed: math.NaN()}
					if name != "shift_pct" {
						ms.Control, ms.Perturbed = meanOf(g.sites, func(s GenericSite) float64 { return s.Control[f].get(name) }),
							meanOf(g.sites, func(s GenericSite) float64 { return s.Perturbed[f].get(name) })
					}
					ms.Delta, ms.DeltaLo, ms.DeltaHi = stats.BootstrapMean(d, reps, seed)
					sums = append(sums, ms)
				}
			}
		}
		if len(gs) == 3 {
			diffs = append(diffs, compare(gc.Name+": "+gs[1].label, gs[1].sites, gc.Name+": "+gs[2].label, gs[2].sites, gc.Fields, reps, seed)...)
		}
	}
	for i := range conds {
		for j := i + 1; j < len(conds); j++ {
			if fmt.Sprint(conds[i].Fields) == fmt.Sprint(conds[j].Fields) {
				diffs = append(diffs, compare(conds[i].Name, conds[i].Sites, conds[j].Name, conds[j].Sites, conds[i].Fields, reps, seed)...)
			}
		}
	}
	return sums, diffs
}

// compare returns the difference of mean Δ between two site sets for
// every field and measure both have.
func compare(a string, sa []GenericSite, b string, sb []GenericSite, fields []string, reps int, seed uint64) []ConditionDifference {
	var out []ConditionDifference
	for f, field := range fields {
		for _, name := range measureNames {
			da, db := deltas(sa, name, f), deltas(sb, name, f)
			if len(da) == 0 || len(db) == 0 {
				continue
			}
			d, lo, hi := stats.MeanDifference(da, db, reps, seed)
			out = append(out, ConditionDifference{A: a, B: b, Field: field, Measure: name, Diff: d, Lo: lo, Hi: hi})
		}
	}
	return out
}

func meanOf(sites []GenericSite, v func(GenericSite) float64) float64 {
	var x []float64
	for _, s := range sites {
		if f := v(s); !math.IsNaN(f) {
			x = append(x, f)
		}
	}
	m, _ := stats.MeanSEM(x)
	return m
}
