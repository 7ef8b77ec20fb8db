package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

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
	// Values are the per-site Δ where there are fewer than MinSitesForCI
	// sites, which get no CI.
	Values []float64 `json:"values,omitempty"`
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

// MinSitesForCI is the fewest sites a summary gets a confidence interval
// from; below it the per-site values are listed instead.
const MinSitesForCI = 3

// summariseConditions summarises every condition, group, field and
// measure, and compares the conditions pairwise (all sites) and the two
// groups of a d′ split, each with hierarchical bootstrap CIs of reps
// resamples (sites, then trials within each site: hierarchicalMeans).
func summariseConditions(conds []GenericCondition, reps int, seed uint64) ([]MeasureSummary, []ConditionDifference, []string) {
	var sums []MeasureSummary
	var diffs []ConditionDifference
	var notes []string
	boot := map[string][][]float64{} // condition|group|field → rep means per measure
	for ci, gc := range conds {
		gs := gc.groups()
		for gi, g := range gs {
			for f, field := range gc.Fields {
				key := gc.Name + "|" + g.label + "|" + field
				boot[key] = hierarchicalMeans(g.sites, f, reps, seed, uint64(ci)<<16|uint64(gi)<<8|uint64(f))
				for m, name := range measureNames {
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
					ms.Delta, _ = stats.MeanSEM(d)
					ms.DeltaLo, ms.DeltaHi = percentileCI(boot[key], m)
					if len(d) < MinSitesForCI {
						ms.Values = d
					}
					sums = append(sums, ms)
				}
				if gi == 0 {
					notes = append(notes, siteNotes(gc, g, f, field, boot[key])...)
				}
			}
		}
		if len(gs) == 3 {
			diffs = append(diffs, compare(gc.Name+": "+gs[1].label, boot, gc.Name+"|"+gs[1].label, gs[1].sites,
				gc.Name+": "+gs[2].label, gc.Name+"|"+gs[2].label, gs[2].sites, gc.Fields)...)
		}
	}
	for i := range conds {
		for j := i + 1; j < len(conds); j++ {
			if fmt.Sprint(conds[i].Fields) == fmt.Sprint(conds[j].Fields) {
				a, b := conds[i], conds[j]
				diffs = append(diffs, compare(a.Name, boot, a.Name+"|all sites", a.Sites, b.Name, b.Name+"|all sites", b.Sites, a.Fields)...)
			}
		}
	}
	return sums, diffs, notes
}

// siteNotes warns of a summary without a CI (fewer than MinSitesForCI
// sites) and of an unperturbed readout within its CI of chance.
func siteNotes(gc GenericCondition, g siteGroup, f int, field string, boot [][]float64) []string {
	var out []string
	where := fmt.Sprintf("condition %q (%s, %s)", gc.Name, g.label, field)
	if len(g.sites) < MinSitesForCI {
		out = append(out, fmt.Sprintf("%s: %d site(s): no confidence interval below %d sites; the per-site values are listed in summary.json (values)",
			where, len(g.sites), MinSitesForCI))
	}
	ctrl := meanOf(g.sites, func(s GenericSite) float64 { return s.Control[f].Accuracy_pct })
	lo, hi := percentileCI(boot, len(measureNames))
	if len(g.sites) < MinSitesForCI {
		lo, hi = ctrl, ctrl
	}
	if !math.IsNaN(ctrl) && lo <= ChanceAccuracy_pct { // chance within (or above) the CI
		out = append(out, fmt.Sprintf("%s: WARNING: the unperturbed readout is at or below chance (control accuracy %.1f %%, 95 %% CI %.1f–%.1f %%, chance %g %%): every Δ of this condition is meaningless",
			where, ctrl, lo, hi, ChanceAccuracy_pct))
	}
	return out
}

// ChanceAccuracy_pct is the % correct of guessing in a two-choice task.
const ChanceAccuracy_pct = 50.0

// hierarchicalMeans draws reps two-stage bootstrap resamples of sites in
// field f: the sites with replacement, then each drawn site's trials with
// replacement within it (GenericSite.resample; a site without one keeps its
// values). It returns, per measure (measureNames, then the control
// accuracy), the resamples' means of the per-site Δ (NaN where no site had
// a value). Fewer than MinSitesForCI sites give nil.
func hierarchicalMeans(sites []GenericSite, f, reps int, seed, stream uint64) [][]float64 {
	if len(sites) < MinSitesForCI || reps == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0x68696572<<24^stream))
	out := make([][]float64, len(measureNames)+1)
	for m := range out {
		out[m] = make([]float64, reps)
	}
	sum, cnt := make([]float64, len(out)), make([]int, len(out))
	for rep := range reps {
		clear(sum)
		clear(cnt)
		for range sites {
			s := sites[r.IntN(len(sites))]
			ctrl, pert, shift := s.Control[f], s.Perturbed[f], s.delta("shift_pct", f)
			if s.resample != nil {
				ctrl, pert, shift = s.resample(r, f)
			}
			for m, name := range measureNames {
				d := shift
				if name != "shift_pct" {
					d = pert.get(name) - ctrl.get(name)
				}
				if !math.IsNaN(d) {
					sum[m], cnt[m] = sum[m]+d, cnt[m]+1
				}
			}
			sum[len(measureNames)], cnt[len(measureNames)] = sum[len(measureNames)]+ctrl.Accuracy_pct, cnt[len(measureNames)]+1
		}
		for m := range out {
			out[m][rep] = math.NaN()
			if cnt[m] > 0 {
				out[m][rep] = sum[m] / float64(cnt[m])
			}
		}
	}
	return out
}

// percentileCI is the 2.5th and 97.5th percentile (the ⌊p·n⌋-th order
// statistic) of the finite resampled means of measure m; NaN without them.
func percentileCI(boot [][]float64, m int) (lo, hi float64) {
	if boot == nil {
		return math.NaN(), math.NaN()
	}
	var x []float64
	for _, v := range boot[m] {
		if !math.IsNaN(v) {
			x = append(x, v)
		}
	}
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(x)
	q := func(p float64) float64 { return x[min(len(x)-1, int(math.Floor(p*float64(len(x)))))] }
	return q(0.025), q(0.975)
}

// compare returns the difference of mean Δ between two site sets for
// every field and measure both have, its CI from the two sets' independent
// hierarchical resamples.
func compare(a string, boot map[string][][]float64, keyA string, sa []GenericSite, b, keyB string, sb []GenericSite, fields []string) []ConditionDifference {
	var out []ConditionDifference
	for f, field := range fields {
		ba, bb := boot[keyA+"|"+field], boot[keyB+"|"+field]
		for m, name := range measureNames {
			da, db := deltas(sa, name, f), deltas(sb, name, f)
			if len(da) == 0 || len(db) == 0 {
				continue
			}
			ma, _ := stats.MeanSEM(da)
			mb, _ := stats.MeanSEM(db)
			d := ConditionDifference{A: a, B: b, Field: field, Measure: name, Diff: ma - mb, Lo: math.NaN(), Hi: math.NaN()}
			if ba != nil && bb != nil {
				diff := make([]float64, len(ba[m]))
				for k := range diff {
					diff[k] = ba[m][k] - bb[m][k]
				}
				d.Lo, d.Hi = percentileCI([][]float64{diff}, 0)
			}
			out = append(out, d)
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
