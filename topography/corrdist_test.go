package topography

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCorrVsDistanceHand(t *testing.T) {
	// Left units 0, 1, 2 on a line; unit 3 is on the right sheet (and would
	// correlate perfectly with unit 0 at 0.1 mm); unit 4 is silent.
	l := &Layout{Stage: "IT", Channels: 5, Rows: 1, Cols: 1, Sheet: Sheet{Width_mm: 10, Height_mm: 10},
		X_mm: []float64{0, 0.5, 2, 0.1, 0.2}, Y_mm: make([]float64, 5),
		Hemi: []Hemisphere{Left, Left, Left, Right, Left}}
	resp := [][]float64{
		{1, 1, 3, 1, 5},
		{2, 2, 2, 2, 5},
		{3, 3, 1, 3, 5},
	}
	bins := CorrVsDistance(l, resp, []float64{0, 1, 3, 10}, 0, 1)
	want := []CorrBin{
		{Lo_mm: 0, Hi_mm: 1, Distance_mm: 0.5, Corr: 1, Pairs: 1},
		{Lo_mm: 1, Hi_mm: 3, Distance_mm: 1.75, Corr: -1, Pairs: 2},
		{Lo_mm: 3, Hi_mm: 10, Distance_mm: math.NaN(), Corr: math.NaN(), Pairs: 0},
	}
	if len(bins) != len(want) {
		t.Fatalf("got %d bins, want %d", len(bins), len(want))
	}
	for i, w := range want {
		b := bins[i]
		if b.Lo_mm != w.Lo_mm || b.Hi_mm != w.Hi_mm || b.Pairs != w.Pairs ||
			!closeOrBothNaN(b.Distance_mm, w.Distance_mm, 1e-12) || !closeOrBothNaN(b.Corr, w.Corr, 1e-12) {
			t.Errorf("bin %d = %+v, want %+v", i, b, w)
		}
	}

	for _, tc := range []struct {
		lo, hi   float64
		maxPairs int
		corr     float64
		pairs    int
	}{
		{0, 3, 0, -1.0 / 3, 3},
		{1, 2, 0, -1, 1}, // only the 1.5 mm pair
		{2, 2.5, 0, -1, 1},
		{0, 0.5, 0, math.NaN(), 0}, // the 0.5 mm pair is excluded by d < maxD
		{0, 3, 2, math.NaN(), 2},   // two of the three pairs
		{0, 3, 3, -1.0 / 3, 3},
	} {
		corr, pairs := MeanCorr(l, resp, tc.lo, tc.hi, tc.maxPairs, 1)
		if pairs != tc.pairs || (!math.IsNaN(tc.corr) || tc.pairs == 0) && !closeOrBothNaN(corr, tc.corr, 1e-12) {
			t.Errorf("MeanCorr [%g, %g) max %d = %v, %d; want %v, %d", tc.lo, tc.hi, tc.maxPairs, corr, pairs, tc.corr, tc.pairs)
		}
	}

	for _, tc := range []struct {
		name  string
		l     *Layout
		resp  [][]float64
		edges []float64
	}{
		{"one edge", l, resp, []float64{0}},
		{"unsorted edges", l, resp, []float64{0, 2, 1}},
		{"one image", l, resp[:1], []float64{0, 1}},
		{"wrong units", l, [][]float64{{1, 2}, {3, 4}}, []float64{0, 1}},
		{"nil layout", nil, resp, []float64{0, 1}},
	} {
		if got := CorrVsDistance(tc.l, tc.resp, tc.edges, 0, 1); got != nil {
			t.Errorf("%s: got %+v, want nil", tc.name, got)
		}
	}
	if c, n := MeanCorr(nil, resp, 0, 1, 0, 1); !math.IsNaN(c) || n != 0 {
		t.Errorf("MeanCorr(nil layout) = %v, %d; want NaN, 0", c, n)
	}
}

// tiledResponses returns a layout with uniformly scattered units and
// responses in which every unit carries the signal of its 2 × 2 mm tile plus
// independent noise of the same variance; unit 0 is silent.
func tiledResponses(t testing.TB, channels, images int, seed uint64) (*Layout, [][]float64) {
	l, err := NewLayout("IT", channels, 8, 8, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(seed, 17))
	for i := range l.X_mm {
		l.X_mm[i] = rnd.Float64() * l.Sheet.Width_mm
		l.Y_mm[i] = rnd.Float64() * l.Sheet.Height_mm
	}
	resp := make([][]float64, images)
	signal := make([]float64, 2*25)
	for img := range resp {
		for k := range signal {
			signal[k] = rnd.NormFloat64()
		}
		resp[img] = make([]float64, l.Units())
		for u := range resp[img] {
			tile := int(l.Hemi[u])*25 + min(4, int(l.Y_mm[u]/2))*5 + min(4, int(l.X_mm[u]/2))
			resp[img][u] = signal[tile] + rnd.NormFloat64()
		}
		resp[img][0] = 1
	}
	return l, resp
}

func TestCorrVsDistanceSynthetic(t *testing.T) {
	l, resp := tiledResponses(t, 16, 100, 1)
	edges := []float64{0, 1, 2, 3, 5, 10, 15}

	all := CorrVsDistance(l, resp, edges, 0, 1)
	// Count the pairs by brute force.
	counts := make([]int, len(edges)-1)
	for i := 1; i < l.Units(); i++ {
		for j := i + 1; j < l.Units(); j++ {
			d := l.Distance(i, j)
			for b := range counts {
				if d >= edges[b] && d < edges[b+1] {
					counts[b]++
				}
			}
		}
	}
	for b, bin := range all {
		if bin.Pairs != counts[b] {
			t.Errorf("bin %d: %d pairs, want %d", b, bin.Pairs, counts[b])
		}
		if bin.Pairs > 0 && (bin.Distance_mm < bin.Lo_mm || bin.Distance_mm >= bin.Hi_mm || math.IsNaN(bin.Corr)) {
			t.Errorf("bin %d = %+v", b, bin)
		}
	}
	near, far := all[0].Corr, all[4].Corr
	if near < 0.2 || math.Abs(far) > 0.05 {
		t.Errorf("near corr %.3f, far corr %.3f; want near ≥ 0.2 and far ≈ 0", near, far)
	}
	for b := 1; b < len(all); b++ {
		if all[b].Pairs > 0 && all[b].Corr > all[b-1].Corr+0.02 {
			t.Errorf("correlation rises from bin %d (%.3f) to %d (%.3f)", b-1, all[b-1].Corr, b, all[b].Corr)
		}
	}

	// Sampling: at most maxPairs per hemisphere, deterministic in seed,
	// close to the full answer.
	const maxPairs = 20000
	s1 := CorrVsDistance(l, resp, edges, maxPairs, 7)
	s2 := CorrVsDistance(l, resp, edges, maxPairs, 7)
	s3 := CorrVsDistance(l, resp, edges, maxPairs, 8)
	total := 0
	for b := range s1 {
		total += s1[b].Pairs
		if s1[b] != s2[b] && !(math.IsNaN(s1[b].Corr) && s1[b].Pairs == s2[b].Pairs) {
			t.Errorf("bin %d: same seed gives %+v and %+v", b, s1[b], s2[b])
		}
		if s1[b].Pairs > 1000 && math.Abs(s1[b].Corr-all[b].Corr) > 0.03 {
			t.Errorf("bin %d: sampled corr %.3f, full %.3f", b, s1[b].Corr, all[b].Corr)
		}
	}
	if total != 2*maxPairs {
		t.Errorf("sampled %d pairs, want %d", total, 2*maxPairs)
	}
	if s1[0] == s3[0] {
		t.Errorf("seeds 7 and 8 give the same first bin %+v", s1[0])
	}

	c, n := MeanCorr(l, resp, 0, 1, 0, 1)
	if n != all[0].Pairs || math.Abs(c-all[0].Corr) > 1e-12 {
		t.Errorf("MeanCorr [0, 1) = %v, %d; want %v, %d", c, n, all[0].Corr, all[0].Pairs)
	}
	// Sampling within the range keeps maxPairs pairs per hemisphere.
	if _, n := MeanCorr(l, resp, 0, 1, 100, 1); n != 200 {
		t.Errorf("MeanCorr [0, 1) with 100 pairs per hemisphere used %d pairs", n)
	}
}

func TestCorrVsDistanceHuge(t *testing.T) {
	if testing.Short() {
		t.Skip("large layout")
	}
	// 8,320 units per hemisphere exceed maxEnumPairs: pairs are drawn.
	l, resp := tiledResponses(t, 260, 40, 2)
	const maxPairs = 5000
	bins := CorrVsDistance(l, resp, []float64{0, 1, 5, 15}, maxPairs, 1)
	if got := bins[0].Pairs + bins[1].Pairs + bins[2].Pairs; got != 2*maxPairs {
		t.Errorf("drew %d pairs, want %d", got, 2*maxPairs)
	}
	if bins[0].Corr < 0.2 || math.Abs(bins[2].Corr) > 0.05 {
		t.Errorf("near %.3f far %.3f; want near ≥ 0.2, far ≈ 0", bins[0].Corr, bins[2].Corr)
	}
}
