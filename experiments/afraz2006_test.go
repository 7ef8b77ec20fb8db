package experiments

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/topography"
)

// SelectSites takes the requested counts by the d′ criterion, never relaxing
// it, and honours the hemisphere filter.
func TestSelectSites(t *testing.T) {
	var cands []topography.Site
	for i := 0; i < 100; i++ {
		d := 0.5
		if i < 10 {
			d = 1.5 // 10 selective: 5 left, 5 right
		}
		cands = append(cands, topography.Site{Hemi: topography.Hemisphere(i % 2), X_mm: float64(i) / 10, DPrime: d})
	}
	got := SelectSites(cands, 31, 55, 1, "both", 1)
	nSel, nOther := 0, 0
	for _, s := range got {
		if s.Selective {
			nSel++
			if s.DPrime <= 1 {
				t.Fatal("selective site with d′ ≤ 1")
			}
		} else {
			nOther++
			if s.DPrime > 1 {
				t.Fatal("other site with d′ > 1")
			}
		}
	}
	if nSel != 10 || nOther != 55 {
		t.Errorf("%d selective and %d other sites, want 10 (all there are) and 55", nSel, nOther)
	}
	left := SelectSites(cands, 31, 20, 1, "L", 1)
	for _, s := range left {
		if s.Hemi != topography.Left {
			t.Fatal("hemisphere filter ignored")
		}
	}
	if len(left) != 25 {
		t.Errorf("left only: %d sites, want 5 + 20", len(left))
	}
	again := SelectSites(cands, 31, 55, 1, "both", 1)
	for i := range got {
		if got[i] != again[i] {
			t.Fatal("same seed, different selection")
		}
	}
}

// The scorecard on hand-made sites: a perfect positive relation passes, a
// flat one fails, and the ratios and differences are computed as stated.
func TestScorecardMetric(t *testing.T) {
	monkey := summariseMonkey([]primate.SiteShift{{DPrime: 0, Shift_pct: 0}, {DPrime: 0.5, Shift_pct: 1}, {DPrime: 1.5, Shift_pct: 3}, {DPrime: 2, Shift_pct: 4}}, 1)
	mk := func(shifts []float64) *Afraz2006Result {
		var sites []SiteResult
		for i, s := range shifts {
			d := float64(i) * 0.5
			sites = append(sites, SiteResult{SelectedSite: SelectedSite{Site: topography.Site{DPrime: d}, Selective: d > 1}, Shift_pct: s})
		}
		r := &Afraz2006Result{Sites: sites, NFaceSites: 3, Monkey: monkey}
		r.Corr, r.MeanFace, r.MeanOther = summarise(sites, 1)
		return r
	}
	good := mk([]float64{0, 1, 2, 3, 4, 5}).Score() // d′ 0, .5, 1, 1.5, 2, 2.5
	if !good.Pass || math.Abs(good.RShiftDPrime-1) > 1e-12 {
		t.Errorf("perfect relation: pass %v r %v", good.Pass, good.RShiftDPrime)
	}
	// d′ > 1 sites: shifts 3, 4, 5; others 0, 1, 2. Monkeys: 3.5 and 0.5, r = 1.
	if math.Abs(good.MeanShiftFace_pct-4) > 1e-12 || math.Abs(good.MeanShiftOther_pct-1) > 1e-12 {
		t.Errorf("means %v %v, want 4 and 1", good.MeanShiftFace_pct, good.MeanShiftOther_pct)
	}
	if math.Abs(good.ShiftRatioFace-4/3.5) > 1e-12 || math.Abs(good.ShiftRatioOther-2) > 1e-12 || math.Abs(good.DeltaR) > 1e-12 {
		t.Errorf("ratio %v delta %v", good.ShiftRatioFace, good.DeltaR)
	}
	flat := mk([]float64{1, -1, 1, -1, 1, -1}).Score()
	if flat.Pass {
		t.Errorf("no relation passed: r %v p %v", flat.RShiftDPrime, flat.PShiftDPrime)
	}
	neg := mk([]float64{5, 4, 3, 2, 1, 0}).Score()
	if neg.Pass || neg.Verdict[:4] != "fail" {
		t.Errorf("opposite sign passed: %s", neg.Verdict)
	}
}

// PointDPrime at a grid point equals the grid's site d′.
func TestPointDPrimeMatchesGrid(t *testing.T) {
	l, _ := topography.NewLayout("IT", 32, 4, 4, 0.25, 2)
	r := rand.New(rand.NewPCG(2, 2))
	resp := make([][]float64, 40)
	isFace := make([]bool, 40)
	for i := range resp {
		isFace[i] = i < 15
		resp[i] = make([]float64, l.Units())
		for u := range resp[i] {
			resp[i][u] = r.Float64()
			if isFace[i] && l.Hemi[u] == topography.Left && l.X_mm[u] < 3 {
				resp[i][u] += 0.5
			}
		}
	}
	sites := topography.SiteDPrimes(l, resp, isFace, 0.5, 0.5)
	for _, k := range []int{0, 37, len(sites) - 1} {
		s := sites[k]
		d, n := topography.PointDPrime(l, resp, isFace, s.Hemi, s.X_mm, s.Y_mm, 0.5)
		if n != s.Units || math.Abs(d-s.DPrime) > 1e-12 {
			t.Errorf("site %d: PointDPrime %.6f (%d units), grid %.6f (%d units)", k, d, n, s.DPrime, s.Units)
		}
	}
}
