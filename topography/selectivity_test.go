package topography

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDPrimeWelchT(t *testing.T) {
	for _, tc := range []struct {
		name    string
		on, off []float64
		dprime  float64
		welch   float64
	}{
		// on: mean 5, s² = 20/3; off: mean 2, s² = 1.
		// d′ = 3/sqrt((20/3+1)/2) = 3/sqrt(23/6); t = 3/sqrt(5/3+1/3) = 3/√2.
		{"hand", []float64{2, 4, 6, 8}, []float64{1, 2, 3}, 3 / math.Sqrt(23.0/6), 3 / math.Sqrt2},
		// on: mean 2, s² = 1; off constant 0. d′ = 2/sqrt(1/2); t = 2/sqrt(1/3).
		{"constant off", []float64{1, 2, 3}, []float64{0, 0, 0}, 2 / math.Sqrt(0.5), 2 / math.Sqrt(1.0/3)},
		{"negative", []float64{0, 0, 0}, []float64{1, 2, 3}, -2 / math.Sqrt(0.5), -2 / math.Sqrt(1.0/3)},
		{"zero variance", []float64{1, 1}, []float64{3, 3, 3}, 0, 0},
		{"too few", []float64{1}, []float64{3, 3, 3}, math.NaN(), math.NaN()},
	} {
		if got := DPrime(tc.on, tc.off); !closeOrBothNaN(got, tc.dprime, 1e-12) {
			t.Errorf("%s: DPrime = %v, want %v", tc.name, got, tc.dprime)
		}
		if got := WelchT(tc.on, tc.off); !closeOrBothNaN(got, tc.welch, 1e-12) {
			t.Errorf("%s: WelchT = %v, want %v", tc.name, got, tc.welch)
		}
	}
}

func TestUnitDPrimes(t *testing.T) {
	// Unit 0 is the hand case of TestDPrimeWelchT, unit 1 its mirror, unit 2
	// constant.
	resp := [][]float64{{2, 1, 7}, {4, 2, 7}, {6, 3, 7}, {8, 4, 7}, {1, 8, 7}, {2, 6, 7}, {3, 4, 7}}
	isOn := []bool{true, true, true, true, false, false, false}
	got := UnitDPrimes(resp, isOn)
	want := []float64{3 / math.Sqrt(23.0/6), DPrime([]float64{1, 2, 3, 4}, []float64{8, 6, 4}), 0}
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if !closeOrBothNaN(got[i], want[i], 1e-12) {
			t.Errorf("unit %d: d′ = %v, want %v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		name string
		resp [][]float64
		isOn []bool
	}{
		{"length mismatch", resp, isOn[:3]},
		{"ragged", [][]float64{{1, 2}, {3}}, []bool{true, false}},
		{"empty", nil, nil},
	} {
		if got := UnitDPrimes(tc.resp, tc.isOn); got != nil {
			t.Errorf("%s: got %v, want nil", tc.name, got)
		}
	}
}

func TestSiteDPrimes(t *testing.T) {
	l, err := NewLayout("IT", 8, 4, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Plant selectivity in every unit of the left hemisphere within 2 mm of
	// one of its units.
	seed := l.UnitsOf(Left)[5]
	selective := make([]bool, l.Units())
	nSel := 0
	for i := range selective {
		if l.Hemi[i] == Left && math.Hypot(l.X_mm[i]-l.X_mm[seed], l.Y_mm[i]-l.Y_mm[seed]) < 2 {
			selective[i] = true
			nSel++
		}
	}
	const images = 200
	rnd := rand.New(rand.NewPCG(3, 4))
	resp := make([][]float64, images)
	isOn := make([]bool, images)
	for img := range resp {
		isOn[img] = img%2 == 0
		resp[img] = make([]float64, l.Units())
		for u := range resp[img] {
			resp[img][u] = rnd.NormFloat64()
			if selective[u] && isOn[img] {
				resp[img][u] += 3
			}
		}
	}

	const grid, radius = 1.0, 1.5
	sites := SiteDPrimes(l, resp, isOn, grid, radius)
	if len(sites) == 0 {
		t.Fatal("no sites")
	}
	var withSel, without int
	for _, s := range sites {
		units, sel := 0, 0
		for u := range selective {
			if l.Hemi[u] == s.Hemi && math.Hypot(l.X_mm[u]-s.X_mm, l.Y_mm[u]-s.Y_mm) <= radius {
				units++
				if selective[u] {
					sel++
				}
			}
		}
		if s.Units != units || units == 0 {
			t.Errorf("site %+v: Units = %d, want %d (> 0)", s, s.Units, units)
		}
		if math.Mod(s.X_mm, grid) != grid/2 || math.Mod(s.Y_mm, grid) != grid/2 {
			t.Errorf("site %+v is off the grid", s)
		}
		switch {
		case sel > 0:
			withSel++
			// Pooled signal sel·3 against noise variance units (plus
			// the signal's own spread): at least 3/sqrt(units+…).
			if s.DPrime < 1 {
				t.Errorf("site %+v pools %d selective units but d′ = %.2f", s, sel, s.DPrime)
			}
		default:
			without++
			if math.Abs(s.DPrime) > 0.6 {
				t.Errorf("site %+v pools no selective unit but d′ = %.2f", s, s.DPrime)
			}
		}
	}
	t.Logf("%d planted units; %d sites with, %d without", nSel, withSel, without)
	if withSel == 0 || without == 0 {
		t.Errorf("%d sites with and %d without selective units; want both > 0", withSel, without)
	}
	if nSel == 0 {
		t.Error("no planted unit")
	}

	// Bad input.
	if SiteDPrimes(l, resp, isOn, 0, radius) != nil {
		t.Error("grid_mm = 0: want nil")
	}
	if SiteDPrimes(l, resp[:10], isOn, grid, radius) != nil {
		t.Error("image mismatch: want nil")
	}
	if SiteDPrimes(nil, resp, isOn, grid, radius) != nil {
		t.Error("nil layout: want nil")
	}
}

func TestSiteDPrimesGrid(t *testing.T) {
	// A layout with a single unit per hemisphere and a radius covering the
	// whole sheet: every grid point is a site.
	l := &Layout{Stage: "IT", Channels: 1, Rows: 1, Cols: 2, Sheet: Sheet{Width_mm: 10, Height_mm: 10},
		X_mm: []float64{5, 5}, Y_mm: []float64{5, 5}, Hemi: []Hemisphere{Right, Left}}
	resp := [][]float64{{1, 2}, {2, 4}, {0, 0}, {1, 0}}
	isOn := []bool{true, true, false, false}
	for _, tc := range []struct {
		grid     float64
		perSheet int
	}{
		{2.5, 16}, // 1.25, 3.75, 6.25, 8.75
		{3, 9},    // 1.5, 4.5, 7.5
		{4, 9},    // 2, 6, 10 (on the edge)
	} {
		sites := SiteDPrimes(l, resp, isOn, tc.grid, 100)
		if len(sites) != 2*tc.perSheet {
			t.Errorf("grid %g: %d sites, want %d", tc.grid, len(sites), 2*tc.perSheet)
			continue
		}
		if sites[0].Hemi != Left || sites[len(sites)-1].Hemi != Right {
			t.Errorf("grid %g: hemisphere order %v…%v, want L…R", tc.grid, sites[0].Hemi, sites[len(sites)-1].Hemi)
		}
		// Left is unit 1: on {2,4}, off {0,0}: d′ = 3/sqrt(1) = 3.
		// Right is unit 0: on {1,2}, off {0,1}: d′ = 1/sqrt(0.5).
		if d := sites[0].DPrime; !closeOrBothNaN(d, 3, 1e-12) {
			t.Errorf("grid %g: left d′ = %v, want 3", tc.grid, d)
		}
		if d := sites[len(sites)-1].DPrime; !closeOrBothNaN(d, math.Sqrt2, 1e-12) {
			t.Errorf("grid %g: right d′ = %v, want √2", tc.grid, d)
		}
	}
}

func ExampleDPrime() {
	faces := []float64{2, 4, 6, 8}
	objects := []float64{1, 2, 3}
	fmt.Printf("d′ = %.4f\n", DPrime(faces, objects))
	fmt.Printf("t  = %.4f\n", WelchT(faces, objects))
	// Output:
	// d′ = 1.5323
	// t  = 2.1213
}

// closeOrBothNaN reports whether a and b agree to tol, treating NaNs as equal.
func closeOrBothNaN(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
