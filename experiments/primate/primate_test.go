package primate

import (
	"testing"

	"github.com/microstim/microstim/internal/testutil"
	"github.com/microstim/microstim/stats"
)

// The reported data load with the published summary values.
func TestPublishedValues(t *testing.T) {
	a, err := Afraz2015()
	if err != nil {
		t.Fatal(err)
	}
	testutil.Near(t, "contra, no laser", a.ContraNoLaser[0], 85.9, 0.05)
	testutil.Near(t, "contra, laser", a.ContraLaser[0], 83.9, 0.05)
	testutil.Near(t, "ipsi, laser", a.IpsiLaser[0], 86.9, 0.05)
	var d, v []float64
	for _, s := range a.Sites {
		d, v = append(d, s.DPrime), append(v, s.Shift_pct)
	}
	testutil.Near(t, "Fig. 3C r (packagers: −0.472 from the dots)", stats.Pearson(d, v, 0, 0).R, -0.47, 0.01)
	testutil.Near(t, "muscimol face sites, mean of monkeys", a.MuscimolFace, (-4.4-8.1)/2, 0.05)
	k, err := Rajalingham2019()
	if err != nil {
		t.Fatal(err)
	}
	testutil.Near(t, "global Δd′", k.Global[0], -0.20, 0.005)
	testutil.Near(t, "contra Δd′", k.Contra[0], -0.26, 0.005)
	testutil.Near(t, "ipsi Δd′", k.Ipsi[0], -0.17, 0.005)
}

// Afraz et al. (2006) report 86 sites, 31 with d′ > 1; the digitisation has
// 26 points with d′ > 1 (data/README.md).
func TestAfraz2006Sites(t *testing.T) {
	sites, err := Afraz2006()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range sites {
		if s.DPrime > 1 {
			n++
		}
	}
	if len(sites) != 86 || n != 26 {
		t.Errorf("%d sites (%d with d′ > 1), want 86 (26)", len(sites), n)
	}
}
