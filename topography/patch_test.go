package topography

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestFindPatches(t *testing.T) {
	const nx, ny, step = 10, 8, 0.25
	m := &Map{Hemi: Right, Step_mm: step, NX: nx, NY: ny, V: make([]float64, nx*ny)}
	set := func(ix, iy int, v float64) { m.V[iy*nx+ix] = v }
	// A 3 × 4 block of 2s at ix 1…3, iy 2…5.
	for iy := 2; iy <= 5; iy++ {
		for ix := 1; ix <= 3; ix++ {
			set(ix, iy, 2)
		}
	}
	set(0, 2, 1)          // equal to the threshold: not part of the block
	set(4, 3, math.NaN()) // NaN next to the block: ignored
	set(4, 6, 1.5)        // touches the block only diagonally: its own patch
	set(7, 0, 3)          // a separate 2 × 1 patch of 3s
	set(8, 0, 3)

	patches := FindPatches(m, 1)
	want := []Patch{
		{Hemi: Right, Area_mm2: 12 * step * step, X_mm: 2.5 * step, Y_mm: 4 * step, MeanDPrime: 2,
			Cells: []int{21, 22, 23, 31, 32, 33, 41, 42, 43, 51, 52, 53}},
		{Hemi: Right, Area_mm2: 2 * step * step, X_mm: 8 * step, Y_mm: 0.5 * step, MeanDPrime: 3, Cells: []int{7, 8}},
		{Hemi: Right, Area_mm2: step * step, X_mm: 4.5 * step, Y_mm: 6.5 * step, MeanDPrime: 1.5, Cells: []int{64}},
	}
	if len(patches) != len(want) {
		t.Fatalf("got %d patches, want %d: %+v", len(patches), len(want), patches)
	}
	if patches[0].Area_mm2 != 0.75 {
		t.Errorf("largest patch area = %v mm², want 0.75", patches[0].Area_mm2)
	}
	for i, w := range want {
		p := patches[i]
		if p.Hemi != w.Hemi || math.Abs(p.Area_mm2-w.Area_mm2) > 1e-12 || math.Abs(p.X_mm-w.X_mm) > 1e-12 ||
			math.Abs(p.Y_mm-w.Y_mm) > 1e-12 || math.Abs(p.MeanDPrime-w.MeanDPrime) > 1e-12 || fmt.Sprint(p.Cells) != fmt.Sprint(w.Cells) {
			t.Errorf("patch %d = %+v, want %+v", i, p, w)
		}
	}

	// Contains: the block covers x in [0.25, 1), y in [0.5, 1.5).
	for _, tc := range []struct {
		x, y float64
		in   bool
	}{{0.3, 0.6, true}, {0.99, 1.49, true}, {0.1, 0.6, false}, {1.1, 0.6, false}, {0.3, 1.5, false}, {-0.3, 0.6, false}} {
		if got := patches[0].Contains(tc.x, tc.y); got != tc.in {
			t.Errorf("Contains(%g, %g) = %v, want %v", tc.x, tc.y, got, tc.in)
		}
	}

	for _, tc := range []struct {
		name      string
		m         *Map
		threshold float64
	}{
		{"nil", nil, 0},
		{"above everything", m, 5},
		{"NaN threshold", m, math.NaN()},
		{"bad shape", &Map{NX: 3, NY: 3, V: make([]float64, 8)}, -1},
	} {
		if got := FindPatches(tc.m, tc.threshold); got != nil {
			t.Errorf("%s: got %+v, want nil", tc.name, got)
		}
	}
	// A threshold below everything joins the whole map (NaN cell excepted).
	if got := FindPatches(m, -1); len(got) != 1 || len(got[0].Cells) != nx*ny-1 {
		t.Errorf("threshold −1: got %d patches, want one of %d cells", len(got), nx*ny-1)
	}
}

// scatteredLayout returns a 4096-unit IT layout whose positions are drawn
// uniformly on each sheet, independently of the retinotopic cell, so the
// within-cell shuffle null is a full spatial shuffle.
func scatteredLayout(t testing.TB, seed uint64) *Layout {
	l, err := NewLayout("IT", 64, 8, 8, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(seed, 99))
	for i := range l.X_mm {
		l.X_mm[i] = rnd.Float64() * l.Sheet.Width_mm
		l.Y_mm[i] = rnd.Float64() * l.Sheet.Height_mm
	}
	return l
}

func TestFacePatchesPlanted(t *testing.T) {
	const (
		cx, cy, radius = 3.0, 4.0, 1.0
		sigma, step    = 0.3, 0.25
	)
	for seed := uint64(0); seed < 3; seed++ {
		l := scatteredLayout(t, seed)
		rnd := rand.New(rand.NewPCG(seed, 7))
		values := make([]float64, l.Units())
		for i := range values {
			values[i] = 0.5 * rnd.NormFloat64()
			if l.Hemi[i] == Left && math.Hypot(l.X_mm[i]-cx, l.Y_mm[i]-cy) < radius {
				values[i] += 2
			}
		}
		patches, th := FacePatches(l, values, sigma, step, 100, seed)
		if len(patches) != 1 {
			t.Errorf("seed %d: %d patches, want 1: %+v", seed, len(patches), patches)
			continue
		}
		p := patches[0]
		area := math.Pi * radius * radius
		if p.Hemi != Left || math.Abs(p.Area_mm2-area) > 0.3*area {
			t.Errorf("seed %d: patch on %v of %.3f mm², want on L with %.3f ± 30%%", seed, p.Hemi, p.Area_mm2, area)
		}
		if d := math.Hypot(p.X_mm-cx, p.Y_mm-cy); d > 0.25 {
			t.Errorf("seed %d: patch centroid (%.2f, %.2f) is %.2f mm from the planted centre", seed, p.X_mm, p.Y_mm, d)
		}
		if p.MeanDPrime <= th[Left] || p.MeanDPrime > 2.5 {
			t.Errorf("seed %d: patch mean %.3f, want in (%.3f, 2.5]", seed, p.MeanDPrime, th[Left])
		}
		for _, h := range []Hemisphere{Left, Right} {
			if want := ShuffleNull(l, h, values, sigma, step, 100, seed); th[h] != want {
				t.Errorf("seed %d: threshold[%v] = %v, want ShuffleNull = %v", seed, h, th[h], want)
			}
		}
	}
}

func TestFacePatchesNoise(t *testing.T) {
	// With i.i.d. values a hemisphere's map exceeds the 95th percentile of
	// the null maxima about 5% of the time.
	const draws = 20
	l := scatteredLayout(t, 42)
	hits := 0
	for seed := uint64(0); seed < draws; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 11))
		values := make([]float64, l.Units())
		for i := range values {
			values[i] = rnd.NormFloat64()
		}
		patches, _ := FacePatches(l, values, 0.3, 0.25, 100, seed)
		seen := map[Hemisphere]bool{}
		for _, p := range patches {
			seen[p.Hemi] = true
			if p.Area_mm2 > 0.5 {
				t.Errorf("seed %d: noise patch of %.3f mm²", seed, p.Area_mm2)
			}
		}
		hits += len(seen)
	}
	t.Logf("%d of %d noise hemispheres have patches", hits, 2*draws)
	if hits > 5 {
		t.Errorf("%d of %d noise hemispheres have patches, want ≤ 5 (expected ≈ 2)", hits, 2*draws)
	}
}

func TestShuffleNull(t *testing.T) {
	l, err := NewLayout("IT", 16, 4, 4, 0.2, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Values that are constant within each retinotopic cell are unchanged
	// by the shuffle: every null maximum is the observed maximum.
	cellValues := make([]float64, l.Units())
	for i := range cellValues {
		row, col := l.Cell(i)
		cellValues[i] = float64(row*l.Cols+col) * 0.1
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	noise := make([]float64, l.Units())
	for i := range noise {
		noise[i] = rnd.NormFloat64()
	}
	for _, h := range []Hemisphere{Left, Right} {
		obs := Smooth(l, h, cellValues, 0.8, 0.5).Max()
		if got := ShuffleNull(l, h, cellValues, 0.8, 0.5, 20, 1); math.Abs(got-obs) > 1e-12 {
			t.Errorf("%v: null of cell-constant values = %v, want the observed max %v", h, got, obs)
		}
		a := ShuffleNull(l, h, noise, 0.8, 0.5, 50, 1)
		b := ShuffleNull(l, h, noise, 0.8, 0.5, 50, 1)
		c := ShuffleNull(l, h, noise, 0.8, 0.5, 50, 2)
		if a != b || math.IsNaN(a) {
			t.Errorf("%v: same seed gives %v and %v", h, a, b)
		}
		if a == c {
			t.Errorf("%v: seeds 1 and 2 both give %v", h, a)
		}
		// The shuffle does not change a hemisphere's values as a whole,
		// so the null maximum cannot exceed its largest value.
		top := math.Inf(-1)
		for _, u := range l.UnitsOf(h) {
			top = math.Max(top, noise[u])
		}
		if a > top {
			t.Errorf("%v: null %v out of range (max value %v)", h, a, top)
		}
	}
	for _, tc := range []struct {
		name   string
		values []float64
		perms  int
		sigma  float64
	}{
		{"no perms", noise, 0, 1},
		{"short values", noise[1:], 10, 1},
		{"zero sigma", noise, 10, 0},
	} {
		if got := ShuffleNull(l, Left, tc.values, tc.sigma, 0.5, tc.perms, 1); !math.IsNaN(got) {
			t.Errorf("%s: got %v, want NaN", tc.name, got)
		}
	}
	if p, th := FacePatches(l, noise[1:], 1, 0.5, 10, 1); p != nil || !math.IsNaN(th[0]) || !math.IsNaN(th[1]) {
		t.Errorf("FacePatches with short values: %v, %v; want nil, NaN", p, th)
	}
}

func BenchmarkFacePatchesIT(b *testing.B) {
	l := scatteredLayout(b, 1)
	rnd := rand.New(rand.NewPCG(1, 1))
	values := make([]float64, l.Units())
	for i := range values {
		values[i] = rnd.NormFloat64()
	}
	b.ResetTimer()
	for range b.N {
		FacePatches(l, values, 1, 0.25, 100, 1)
	}
}

func ExampleFindPatches() {
	// A 6 × 4 map with step 0.5 mm holding a 2 × 2 and a 1 × 1 region
	// above 1.
	m := &Map{Step_mm: 0.5, NX: 6, NY: 4, V: []float64{
		0, 0, 0, 0, 0, 0,
		0, 3, 2, 0, 0, 0,
		0, 2, 3, 0, 4, 0,
		0, 0, 0, 0, 0, 0,
	}}
	for _, p := range FindPatches(m, 1) {
		fmt.Printf("%.2f mm² at (%.2f, %.2f) mm, mean %.1f\n", p.Area_mm2, p.X_mm, p.Y_mm, p.MeanDPrime)
	}
	// Output:
	// 1.00 mm² at (1.00, 1.00) mm, mean 2.5
	// 0.25 mm² at (2.25, 1.25) mm, mean 4.0
}
