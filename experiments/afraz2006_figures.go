package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"

	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/vision"
)

// Afraz2006Figures writes the run's figures (PNG and SVG): shift against
// d′ with the monkeys' sites, psychometric curves at example sites, the
// sites on the IT sheets coloured by shift, and the readout sensitivity.
func Afraz2006Figures(dir string, c *Config, r *Afraz2006Result, m *vision.Model) error {
	// 1. shift against d′
	var mx, my, lo, hi []float64
	for _, s := range r.Sites {
		mx = append(mx, s.DPrime)
		my = append(my, s.Shift_pct)
		lo = append(lo, s.CILo)
		hi = append(hi, s.CIHi)
	}
	var kx, ky []float64
	for _, s := range r.Monkey.Sites {
		kx = append(kx, s.DPrime)
		ky = append(ky, s.Shift_pct)
	}
	hasCI := false
	for i := range lo {
		if !math.IsNaN(lo[i]) {
			hasCI = true
		}
	}
	model := plots.ScatterSeries{Name: "model sites", X: mx, Y: my}
	if hasCI {
		model.YLo, model.YHi = lo, hi
	}
	err := plots.WriteScatterPlot(filepath.Join(dir, "shift_vs_dprime"), []plots.ScatterSeries{
		model, {Name: "monkeys (Afraz et al. 2006)", X: kx, Y: ky, Hollow: true},
	}, plots.ScatterOptions{
		Title:  fmt.Sprintf("Microstimulation (%g µA, %g Hz) shift against site face selectivity", c.Perturbation.Current_uA, c.Perturbation.Frequency_Hz),
		XLabel: "site face selectivity d′ (units within 0.5 mm)", YLabel: "psychometric shift toward face (% signal)",
		FitLines: true, VLines: []float64{c.Sites.DPrimeThreshold}, HLines: []float64{0},
	})
	if err != nil {
		return err
	}

	// 2. psychometric curves: the most selective site and the least selective.
	if len(r.Sites) > 0 {
		idx := make([]int, len(r.Sites))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return r.Sites[idx[a]].DPrime > r.Sites[idx[b]].DPrime })
		examples := []int{idx[0]}
		if len(idx) > 1 {
			examples = append(examples, idx[len(idx)-1])
		}
		var series []plots.Series
		for _, i := range examples {
			s := r.Sites[i]
			pc, ps := make([]float64, len(r.Levels)), make([]float64, len(r.Levels))
			for l := range r.Levels {
				pc[l] = float64(s.KControl[l]) / float64(r.TrialsPerLv[l])
				ps[l] = float64(s.KStim[l]) / float64(r.TrialsPerLv[l])
			}
			name := fmt.Sprintf("site %d (%s, d′ %.2f)", i+1, s.Hemi, s.DPrime)
			series = append(series,
				plots.Series{Name: name + " control", X: r.Levels, Y: pc},
				plots.Series{Name: fmt.Sprintf("%s stimulated (shift %+.1f %%)", name, s.Shift_pct), X: r.Levels, Y: ps})
		}
		if err := plots.WriteLinePlot(filepath.Join(dir, "psychometric_examples"), "\"Face\" choices with and without stimulation",
			"visual signal (%; + faces, − non-faces)", "P(\"face\")", series); err != nil {
			return err
		}
	}

	// 3. sites on the IT sheets over the smoothed face d′ map.
	sites, shifts := make([]SelectedSite, len(r.Sites)), make([]float64, len(r.Sites))
	for i, s := range r.Sites {
		sites[i], shifts[i] = s.SelectedSite, s.Shift_pct
	}
	if err := writeSitesOnSheet(filepath.Join(dir, "sites_on_sheet"), m.IT(), r.UnitDPrime, c.Seed, sites, shifts,
		"Sites coloured by shift; grey: face d′ (σ = 0.5 mm), outlines: face patches; numbers: d′ > 1 sites",
		"shift toward face (% signal)"); err != nil {
		return err
	}

	// 4. sensitivity to the readout's C, with and without the gain cap.
	var series []plots.Series
	for _, capv := range []float64{0, 2} {
		var xs, rs []float64
		for _, row := range r.Sensitivity {
			if row.GainCap == capv {
				xs = append(xs, math.Log10(row.DecoderC))
				rs = append(rs, row.R)
			}
		}
		if len(xs) > 0 {
			name := "r, no gain cap"
			if capv != 0 {
				name = fmt.Sprintf("r, gain cap %g", capv)
			}
			series = append(series, plots.Series{Name: name, X: xs, Y: rs})
		}
	}
	var cx, cy []float64
	for _, row := range r.Sensitivity {
		if row.Configured {
			cx, cy = []float64{math.Log10(row.DecoderC)}, []float64{row.R}
		}
	}
	series = append(series, plots.Series{Name: "configured", X: cx, Y: cy})
	return plots.WriteLinePlot(filepath.Join(dir, "sensitivity"), "r(shift, d′) against the decoder's regularisation",
		"log10 decoder C (smaller = stronger L2 penalty)", "r(shift, d′)", series)
}
