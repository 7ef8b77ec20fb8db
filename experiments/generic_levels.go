package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/stats"
)

// LevelSummary is, for one condition and field of a detection with signal
// levels, the % of "target" choices at one level without and with the
// perturbation (means over sites) and their difference with its
// hierarchical-bootstrap 95 % CI (none below MinSitesForCI sites).
type LevelSummary struct {
	Condition     string  `json:"condition"`
	Field         string  `json:"field"`
	Level_pct     float64 `json:"level_pct"`
	Sites         int     `json:"sites"`
	Control_pct   float64 `json:"control_target_choices_pct"`
	Perturbed_pct float64 `json:"perturbed_target_choices_pct"`
	Delta_pct     float64 `json:"delta_pct"`
	DeltaLo       float64 `json:"delta_ci95_lo"`
	DeltaHi       float64 `json:"delta_ci95_hi"`
}

// levelChoices returns, per signal level, the % of "target" choices over
// the field's items without (kc) and with (ks) the perturbation.
func levelChoices(levels []float64, items []paradigm.Item, kc, ks [][]int, trials int, in func(paradigm.Item) bool) (ctrl, pert []float64) {
	c, s, n := perLevel(levels, items, kc, ks, trials, in)
	ctrl, pert = make([]float64, len(levels)), make([]float64, len(levels))
	for j := range c {
		ctrl[j], pert[j] = 100*float64(c[j])/float64(n[j]), 100*float64(s[j])/float64(n[j])
	}
	return ctrl, pert
}

// summariseLevels tabulates every condition's per-level choices (all
// sites), for conditions whose sites carry them.
func summariseLevels(conds []GenericCondition, reps int, seed uint64) []LevelSummary {
	var out []LevelSummary
	for ci, gc := range conds {
		if len(gc.Sites) == 0 || gc.Sites[0].levels == nil || gc.levels == nil {
			continue
		}
		for f, field := range gc.Fields {
			r := rand.New(rand.NewPCG(seed, 0x6c6576<<24^uint64(ci)<<8^uint64(f)))
			boot := make([][]float64, len(gc.levels))
			if len(gc.Sites) >= MinSitesForCI {
				for range reps {
					sum := make([]float64, len(gc.levels))
					for range gc.Sites {
						c, p := gc.Sites[r.IntN(len(gc.Sites))].levels(r, f)
						for j := range sum {
							sum[j] += (p[j] - c[j]) / float64(len(gc.Sites))
						}
					}
					for j := range boot {
						boot[j] = append(boot[j], sum[j])
					}
				}
			}
			for j, lv := range gc.levels {
				ls := LevelSummary{Condition: gc.Name, Field: field, Level_pct: lv, Sites: len(gc.Sites), DeltaLo: math.NaN(), DeltaHi: math.NaN()}
				for _, s := range gc.Sites {
					c, p := s.levels(nil, f)
					n := float64(len(gc.Sites))
					ls.Control_pct, ls.Perturbed_pct = ls.Control_pct+c[j]/n, ls.Perturbed_pct+p[j]/n
				}
				ls.Delta_pct = ls.Perturbed_pct - ls.Control_pct
				if boot[j] != nil {
					ls.DeltaLo, ls.DeltaHi = percentileCI([][]float64{boot[j]}, 0)
				}
				out = append(out, ls)
			}
		}
	}
	return out
}

// levelsTable is the report's per-level table.
func levelsTable(ls []LevelSummary) Table {
	t := Table{Caption: "Per signal level: % \"target\" choices without and with the perturbation (means over sites), Δ with 95 % CI over sites and trials",
		Header: []string{"condition", "field", "level (% signal)", "sites", "control %", "perturbed %", "Δ [95 % CI]"}}
	for _, l := range ls {
		t.Rows = append(t.Rows, []string{l.Condition, l.Field, fmt.Sprintf("%+g", l.Level_pct), fmt.Sprint(l.Sites),
			fnum(l.Control_pct, 1), fnum(l.Perturbed_pct, 1), interval(l.Delta_pct, l.DeltaLo, l.DeltaHi)})
	}
	return t
}

// PairSummary is, for a discrimination over every pair of ≥ 3
// categories, one pair's mean Δd′ over sites in one field with its 95 %
// bootstrap CI over sites (trials are not resampled for these tasks; no CI
// below MinSitesForCI sites).
type PairSummary struct {
	Condition string  `json:"condition"`
	Field     string  `json:"field"`
	Pair      string  `json:"pair"` // "A vs B"
	Sites     int     `json:"sites"`
	DeltaD    float64 `json:"delta_dprime"`
	DeltaLo   float64 `json:"delta_ci95_lo"`
	DeltaHi   float64 `json:"delta_ci95_hi"`
}

// summarisePairs tabulates the per-pair Δd′ of every pair-task condition.
func summarisePairs(conds []GenericCondition, reps int, seed uint64) []PairSummary {
	var out []PairSummary
	for _, gc := range conds {
		for f, field := range gc.Fields {
			for k, name := range gc.pairNames {
				var d []float64
				for _, s := range gc.Sites {
					if f < len(s.TaskDeltaDPrime) && !math.IsNaN(s.TaskDeltaDPrime[f][k]) {
						d = append(d, s.TaskDeltaDPrime[f][k])
					}
				}
				if len(d) == 0 {
					continue
				}
				ps := PairSummary{Condition: gc.Name, Field: field, Pair: name, Sites: len(d)}
				ps.DeltaD, ps.DeltaLo, ps.DeltaHi = siteMeanCI(d, reps, seed)
				out = append(out, ps)
			}
		}
	}
	return out
}

// siteMeanCI is the mean of per-site values with its percentile-bootstrap
// 95 % CI over sites; no CI (NaN) below MinSitesForCI values.
func siteMeanCI(d []float64, reps int, seed uint64) (mean, lo, hi float64) {
	mean, lo, hi = stats.BootstrapMean(d, reps, seed)
	if len(d) < MinSitesForCI {
		lo, hi = math.NaN(), math.NaN()
	}
	return mean, lo, hi
}

// pairsTable is the report's per-pair table.
func pairsTable(ps []PairSummary) Table {
	t := Table{Caption: "Per category pair: mean Δd′ over sites, 95 % CI over sites",
		Header: []string{"condition", "field", "pair", "sites", "Δd′ [95 % CI]"}}
	for _, p := range ps {
		t.Rows = append(t.Rows, []string{p.Condition, p.Field, p.Pair, fmt.Sprint(p.Sites), interval(p.DeltaD, p.DeltaLo, p.DeltaHi)})
	}
	return t
}

// CategoryMeasures is one category's % correct on the same/different
// trials that show it (same pairs of it; different pairs with it on either
// side), without and with the perturbation.
type CategoryMeasures struct {
	Category          string  `json:"category"`
	SameControl_pct   float64 `json:"same_control_pct"`
	SamePerturbed_pct float64 `json:"same_perturbed_pct"`
	DiffControl_pct   float64 `json:"different_control_pct"`
	DiffPerturbed_pct float64 `json:"different_perturbed_pct"`
}

func categoryMeasures(names []string, byGroup [][2][4]int) []CategoryMeasures {
	pct := func(k, n int) float64 { return 100 * float64(k) / float64(n) }
	out := make([]CategoryMeasures, len(names))
	for g, name := range names {
		c, n := byGroup[g][0], byGroup[g][1]
		out[g] = CategoryMeasures{name, pct(c[0], n[0]), pct(c[1], n[1]), pct(c[2], n[2]), pct(c[3], n[3])}
	}
	return out
}

// CategorySummary is one category's mean Δ % correct over sites on same
// and on different trials, with 95 % bootstrap CIs over sites (none below
// MinSitesForCI sites).
type CategorySummary struct {
	Condition     string     `json:"condition"`
	Category      string     `json:"category"`
	Sites         int        `json:"sites"`
	DeltaSame_pct float64    `json:"delta_same_pct"`
	CISame        [2]float64 `json:"delta_same_ci95"`
	DeltaDiff_pct float64    `json:"delta_different_pct"`
	CIDiff        [2]float64 `json:"delta_different_ci95"`
}

// summariseCategories tabulates same/different by category per category.
func summariseCategories(conds []GenericCondition, reps int, seed uint64) []CategorySummary {
	var out []CategorySummary
	for _, gc := range conds {
		if len(gc.Sites) == 0 || gc.Sites[0].Categories == nil {
			continue
		}
		for g, cm := range gc.Sites[0].Categories {
			var ds, dd []float64
			for _, s := range gc.Sites {
				m := s.Categories[g]
				if d := m.SamePerturbed_pct - m.SameControl_pct; !math.IsNaN(d) {
					ds = append(ds, d)
				}
				if d := m.DiffPerturbed_pct - m.DiffControl_pct; !math.IsNaN(d) {
					dd = append(dd, d)
				}
			}
			cs := CategorySummary{Condition: gc.Name, Category: cm.Category, Sites: len(gc.Sites)}
			cs.DeltaSame_pct, cs.CISame[0], cs.CISame[1] = siteMeanCI(ds, reps, seed)
			cs.DeltaDiff_pct, cs.CIDiff[0], cs.CIDiff[1] = siteMeanCI(dd, reps, seed)
			out = append(out, cs)
		}
	}
	return out
}

// categoriesTable is the report's per-category table.
func categoriesTable(cs []CategorySummary) Table {
	t := Table{Caption: "Same/different by category: mean Δ % correct over sites on the trials showing each category, 95 % CI over sites",
		Header: []string{"condition", "category", "sites", "Δ same [95 % CI]", "Δ different [95 % CI]"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, []string{c.Condition, c.Category, fmt.Sprint(c.Sites),
			interval(c.DeltaSame_pct, c.CISame[0], c.CISame[1]), interval(c.DeltaDiff_pct, c.CIDiff[0], c.CIDiff[1])})
	}
	return t
}
