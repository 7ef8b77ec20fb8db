package topography

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLayoutHemispheresAndSheet(t *testing.T) {
	l, err := NewLayout("IT", 256, 4, 4, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.Units() != 4096 {
		t.Fatalf("units = %d", l.Units())
	}
	for i := 0; i < l.Units(); i++ {
		_, col := l.Cell(i)
		want := Right // left visual field → right hemisphere
		if col >= 2 {
			want = Left
		}
		if l.Hemi[i] != want {
			t.Fatalf("unit %d in column %d is in hemisphere %v, want %v", i, col, l.Hemi[i], want)
		}
		if l.X_mm[i] < 0 || l.X_mm[i] > 10 || l.Y_mm[i] < 0 || l.Y_mm[i] > 10 {
			t.Fatalf("unit %d at (%.2f, %.2f) mm is off the 10 mm sheet", i, l.X_mm[i], l.Y_mm[i])
		}
	}
	if n := len(l.UnitsOf(Left)); n != 2048 {
		t.Errorf("left hemisphere holds %d units, want 2048", n)
	}
	if d := l.Distance(0, 2); !math.IsInf(d, 1) { // columns 0 and 2: different hemispheres
		t.Errorf("distance across hemispheres = %g, want +Inf", d)
	}
}

// Each channel keeps one offset in every retinotopic cell: without jitter,
// a channel's units sit at the same place within each cell.
func TestLayoutSharedOffsets(t *testing.T) {
	l, _ := NewLayout("IT", 16, 4, 4, 0, 2)
	cw, ch := l.CellSize()
	if cw != 5 || ch != 2.5 {
		t.Fatalf("cell %g×%g mm, want 5×2.5", cw, ch)
	}
	for i := 0; i < l.Units(); i++ {
		row, col := l.Cell(i)
		c := l.Channel(i)
		wx := (float64(col%2) + l.Offset[c][0]) * cw
		wy := (float64(row) + l.Offset[c][1]) * ch
		if math.Abs(l.X_mm[i]-wx) > 1e-12 || math.Abs(l.Y_mm[i]-wy) > 1e-12 {
			t.Fatalf("unit %d at (%g,%g), want (%g,%g)", i, l.X_mm[i], l.Y_mm[i], wx, wy)
		}
	}
	again, _ := NewLayout("IT", 16, 4, 4, 0, 2)
	for i := range l.X_mm {
		if l.X_mm[i] != again.X_mm[i] {
			t.Fatal("same seed, different positions")
		}
	}
}

func TestLayoutRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct {
		stage         string
		c, rows, cols int
		jitter        float64
	}{{"MT", 4, 4, 4, 0}, {"IT", 4, 4, 3, 0}, {"IT", 0, 4, 4, 0}, {"IT", 4, 4, 4, -1}} {
		if _, err := NewLayout(tc.stage, tc.c, tc.rows, tc.cols, tc.jitter, 1); err == nil {
			t.Errorf("%+v accepted", tc)
		}
	}
}

func TestNeighbourhoodStaysInHemisphere(t *testing.T) {
	l, _ := NewLayout("IT", 64, 4, 4, 0.25, 3)
	r := rand.New(rand.NewPCG(1, 1))
	for k := 0; k < 20; k++ {
		h := Hemisphere(k % 2)
		units := l.RandomNeighbourhood(r, h, 100)
		if len(units) != 100 {
			t.Fatalf("neighbourhood of %d units", len(units))
		}
		for _, u := range units {
			if l.Hemi[u] != h {
				t.Fatalf("neighbourhood in %v holds unit %d of %v", h, u, l.Hemi[u])
			}
		}
	}
}

// SpatialLoss on a three-unit, three-image example computed by hand.
//
// Units a, b, c respond (1,2,3), (2,4,6) and (3,2,1): r_ab = 1, r_ac = −1,
// r_bc = −1. With distances d_ab = 0, d_ac = 1, d_bc = 3 the targets are
// 1, 1/2, 1/4. corr((1,−1,−1), (1, .5, .25)) = 0.9820 (hand: means −1/3 and
// 7/12; deviations (4/3, −2/3, −2/3) and (5/12, −1/12, −1/3);
// Σxy = 5/9+1/18+2/9 = 5/6; Σx² = 8/3; Σy² = 25/144+1/144+16/144 = 42/144;
// r = (5/6)/√(8/3·42/144) = 0.94491), so SL = (1 − 0.94491)/2 = 0.027545.
func TestSpatialLossHandComputed(t *testing.T) {
	resp := [][]float64{{1, 2, 3}, {2, 4, 2}, {3, 6, 1}}
	target := []float64{
		1, 1, 0.5,
		1, 1, 0.25,
		0.5, 0.25, 1,
	}
	got := SpatialLoss(resp, target)
	want := (1 - (5.0/6)/math.Sqrt(8.0/3*42/144)) / 2
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("SL = %.6f, hand computation %.6f", got, want)
	}
	if math.Abs(want-0.027545) > 1e-6 {
		t.Errorf("hand value %.6f", want)
	}
}

// Swapping channel offsets lowers the swap objective when channel
// correlations have spatial structure to find.
func TestSwapOptimizeLowersLoss(t *testing.T) {
	l, _ := NewLayout("IT", 32, 4, 4, 0.1, 4)
	// channels 0–15 correlate with each other, as do 16–31.
	c := l.Channels
	corr := make([]float64, c*c)
	for a := 0; a < c; a++ {
		for b := 0; b < c; b++ {
			if a/16 == b/16 {
				corr[a*c+b] = 0.8
			}
		}
	}
	before := l.ChannelLoss(corr)
	kept, err := l.SwapOptimize(corr, 5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	after := l.ChannelLoss(corr)
	if kept == 0 || after >= before-0.05 {
		t.Errorf("swap loss %.3f → %.3f with %d swaps kept: want a drop of at least 0.05", before, after, kept)
	}
}
