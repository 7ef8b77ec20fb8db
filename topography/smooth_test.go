package topography

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSmoothConstant(t *testing.T) {
	l, err := NewLayout("IT", 8, 4, 4, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	values := make([]float64, l.Units())
	for i := range values {
		values[i] = 2.5
	}
	for _, tc := range []struct {
		h              Hemisphere
		sigma, step    float64
		nx, ny         int
		minDefinedFrac float64
	}{
		{Left, 1, 0.25, 40, 40, 0.9},
		{Right, 2, 0.5, 20, 20, 1},
		{Left, 1.5, 3, 4, 4, 1}, // 3 mm cells: the last one overhangs the sheet
	} {
		m := Smooth(l, tc.h, values, tc.sigma, tc.step)
		if m == nil {
			t.Fatalf("%+v: nil map", tc)
		}
		if m.NX != tc.nx || m.NY != tc.ny || len(m.V) != tc.nx*tc.ny || m.Hemi != tc.h || m.Step_mm != tc.step {
			t.Errorf("%+v: map %v×%v (len %d) hemi %v step %v", tc, m.NX, m.NY, len(m.V), m.Hemi, m.Step_mm)
		}
		defined := 0
		for _, v := range m.V {
			if math.IsNaN(v) {
				continue
			}
			defined++
			if math.Abs(v-2.5) > 1e-12 {
				t.Errorf("%+v: smoothed constant = %v, want 2.5", tc, v)
				break
			}
		}
		if frac := float64(defined) / float64(len(m.V)); frac < tc.minDefinedFrac {
			t.Errorf("%+v: %.2f of cells defined, want ≥ %.2f", tc, frac, tc.minDefinedFrac)
		}
		if got := m.Max(); math.Abs(got-2.5) > 1e-12 {
			t.Errorf("%+v: Max = %v, want 2.5", tc, got)
		}
	}
}

func TestSmoothHand(t *testing.T) {
	// Two left-hemisphere units at (1, 1) and (2, 1) with values 0 and 1,
	// and one right-hemisphere unit that must be ignored.
	l := &Layout{Stage: "IT", Channels: 3, Rows: 1, Cols: 1, Sheet: Sheet{Width_mm: 4, Height_mm: 3},
		X_mm: []float64{1, 2, 1.5}, Y_mm: []float64{1, 1, 1.5}, Hemi: []Hemisphere{Left, Left, Right}}
	m := Smooth(l, Left, []float64{0, 1, 100}, 1, 1)
	if m == nil {
		t.Fatal("nil map")
	}
	// Cell (1,1) at (1.5,1.5) is equidistant: 0.5. Cell (0,0) at (0.5,0.5):
	// d² = 0.5 and 2.5, weights e^−0.25 and e^−1.25: 1/(1+e).
	// Cell (3,2) at (3.5,2.5): d² = 8.5 (inside the 3σ cut-off) and 4.5:
	// weights e^−4.25, e^−2.25: 1/(1+e^−2).
	for _, tc := range []struct {
		ix, iy int
		want   float64
	}{
		{1, 1, 0.5},
		{0, 0, 1 / (1 + math.E)},
		{3, 2, 1 / (1 + math.Exp(-2))},
	} {
		if got := m.At(tc.ix, tc.iy); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d, %d) = %v, want %v", tc.ix, tc.iy, got, tc.want)
		}
	}
	// With σ = 0.25 the cut-off is 0.75 mm: only cells within 0.75 mm of a
	// unit are defined, and the cell (2,1) sees unit 1 alone.
	m = Smooth(l, Left, []float64{0, 1, 100}, 0.25, 1)
	for iy := 0; iy < m.NY; iy++ {
		for ix := 0; ix < m.NX; ix++ {
			x, y := float64(ix)+0.5, float64(iy)+0.5
			near := math.Hypot(x-1, y-1) <= 0.75 || math.Hypot(x-2, y-1) <= 0.75
			if got := m.At(ix, iy); math.IsNaN(got) == near {
				t.Errorf("σ = 0.25: At(%d, %d) = %v, want defined = %t", ix, iy, got, near)
			}
		}
	}
	if got := m.At(2, 1); got != 1 {
		t.Errorf("σ = 0.25: At(2, 1) = %v, want 1", got)
	}
	if got := m.Max(); got != 1 {
		t.Errorf("σ = 0.25: Max = %v, want 1", got)
	}
}

func TestSmoothBadInput(t *testing.T) {
	l, err := NewLayout("IT", 2, 2, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	good := make([]float64, l.Units())
	for _, tc := range []struct {
		name        string
		l           *Layout
		values      []float64
		sigma, step float64
	}{
		{"nil layout", nil, good, 1, 1},
		{"short values", l, good[1:], 1, 1},
		{"zero sigma", l, good, 0, 1},
		{"negative step", l, good, 1, -1},
		{"NaN sigma", l, good, math.NaN(), 1},
		{"broken layout", &Layout{Channels: 1, Rows: 1, Cols: 2, Sheet: Sheets["IT"]}, good[:2], 1, 1},
	} {
		if m := Smooth(tc.l, Left, tc.values, tc.sigma, tc.step); m != nil {
			t.Errorf("%s: got a map, want nil", tc.name)
		}
	}
}

func TestMapMax(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{1, 3, 2}, 3},
		{[]float64{math.NaN(), -1, -4}, -1},
		{[]float64{math.NaN(), math.NaN()}, math.NaN()},
	} {
		m := &Map{NX: len(tc.v), NY: 1, V: tc.v}
		if got := m.Max(); !closeOrBothNaN(got, tc.want, 0) {
			t.Errorf("Max(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestSmoothKernelMatchesBruteForce checks the binned kernel against a
// direct sum over all units.
func TestSmoothKernelMatchesBruteForce(t *testing.T) {
	l, err := NewLayout("IT", 16, 8, 8, 0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, l.Units())
	for i := range values {
		values[i] = rnd.NormFloat64()
	}
	const sigma, step = 0.7, 0.5
	for _, h := range []Hemisphere{Left, Right} {
		m := Smooth(l, h, values, sigma, step)
		for iy := 0; iy < m.NY; iy++ {
			for ix := 0; ix < m.NX; ix++ {
				x, y := (float64(ix)+0.5)*step, (float64(iy)+0.5)*step
				var sw, swv float64
				for _, u := range l.UnitsOf(h) {
					d := math.Hypot(l.X_mm[u]-x, l.Y_mm[u]-y)
					if d > 3*sigma {
						continue
					}
					w := math.Exp(-d * d / (2 * sigma * sigma))
					sw += w
					swv += w * values[u]
				}
				want := math.NaN()
				if sw > 0 {
					want = swv / sw
				}
				if got := m.At(ix, iy); !closeOrBothNaN(got, want, 1e-9) {
					t.Fatalf("%v: At(%d, %d) = %v, want %v", h, ix, iy, got, want)
				}
			}
		}
	}
}
