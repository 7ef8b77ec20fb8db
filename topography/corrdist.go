package topography

import (
	"math"
	"math/rand/v2"
	"slices"
)

// CorrBin is the mean response correlation of unit pairs whose cortical
// distance lies in [Lo_mm, Hi_mm).
type CorrBin struct {
	Lo_mm       float64 // lower bin edge, inclusive
	Hi_mm       float64 // upper bin edge, exclusive
	Distance_mm float64 // mean distance of the pairs in the bin; NaN if none
	Corr        float64 // mean Pearson correlation of the pairs; NaN if none
	Pairs       int     // number of pairs in the bin
}

// maxEnumPairs is the largest number of unit pairs per hemisphere that
// CorrVsDistance enumerates; above it, pairs are drawn with replacement.
const maxEnumPairs = 1 << 25

// CorrVsDistance returns the mean Pearson correlation, across images, of
// pairs of units in the same hemisphere, binned by cortical distance with
// bin edges edges_mm (strictly increasing, at least two). Silent units (the
// same response to every image) are excluded. resp is indexed
// [image][unit] and needs at least two images and l.Units() columns.
//
// On each hemisphere, if more than maxPairs pairs have a distance in
// [edges_mm[0], edges_mm[last]), maxPairs of them are drawn at random
// without replacement (seeded by seed; with replacement when the hemisphere
// has more than 2²⁵ pairs); maxPairs ≤ 0 uses every pair. The result
// depends only on the arguments. CorrVsDistance returns nil for
// inconsistent input.
func CorrVsDistance(l *Layout, resp [][]float64, edges_mm []float64, maxPairs int, seed uint64) []CorrBin {
	if layoutErr(l) != nil || len(edges_mm) < 2 {
		return nil
	}
	for i := 1; i < len(edges_mm); i++ {
		if !(edges_mm[i] > edges_mm[i-1]) {
			return nil
		}
	}
	z := unitZScores(resp, l.Units())
	if z == nil {
		return nil
	}
	nb := len(edges_mm) - 1
	sumD, sumC := make([]float64, nb), make([]float64, nb)
	count := make([]int, nb)
	lo, hi := edges_mm[0], edges_mm[nb]
	rnd := rand.New(rand.NewPCG(seed, 0x636f7272))
	for _, h := range [2]Hemisphere{Left, Right} {
		visitPairs(l, z, h, lo, hi, maxPairs, rnd, func(d, c float64) {
			b, found := slices.BinarySearch(edges_mm, d)
			if !found {
				b-- // edges_mm[b] < d < edges_mm[b+1]
			}
			sumD[b] += d
			sumC[b] += c
			count[b]++
		})
	}
	bins := make([]CorrBin, nb)
	for b := range bins {
		bins[b] = CorrBin{Lo_mm: edges_mm[b], Hi_mm: edges_mm[b+1], Distance_mm: math.NaN(), Corr: math.NaN(), Pairs: count[b]}
		if count[b] > 0 {
			bins[b].Distance_mm = sumD[b] / float64(count[b])
			bins[b].Corr = sumC[b] / float64(count[b])
		}
	}
	return bins
}

// MeanCorr returns the mean Pearson correlation, across images, of pairs of
// non-silent units in the same hemisphere whose cortical distance d
// satisfies minD_mm ≤ d < maxD_mm, and the number of pairs used. Pairs are
// sampled as in CorrVsDistance, up to maxPairs per hemisphere. MeanCorr
// returns NaN and 0 for inconsistent input or when no pair is in range.
func MeanCorr(l *Layout, resp [][]float64, minD_mm, maxD_mm float64, maxPairs int, seed uint64) (corr float64, pairs int) {
	bins := CorrVsDistance(l, resp, []float64{minD_mm, maxD_mm}, maxPairs, seed)
	if bins == nil {
		return math.NaN(), 0
	}
	return bins[0].Corr, bins[0].Pairs
}

// unitZScores returns, for every unit, its responses across images centred
// and scaled to unit norm, so that the Pearson correlation of two units is
// the dot product of their rows; silent units get a nil row. It returns nil
// if resp is not a rectangular [image][unit] matrix with at least two images
// and the given number of units.
func unitZScores(resp [][]float64, units int) [][]float64 {
	n, ok := respUnits(resp)
	if !ok || n != units || len(resp) < 2 {
		return nil
	}
	z := make([][]float64, units)
	for u := range z {
		lo, hi := math.Inf(1), math.Inf(-1)
		mean := 0.0
		for _, row := range resp {
			lo, hi = math.Min(lo, row[u]), math.Max(hi, row[u])
			mean += row[u]
		}
		if !(hi > lo) {
			continue // silent, or NaN responses
		}
		mean /= float64(len(resp))
		v := make([]float64, len(resp))
		ss := 0.0
		for i, row := range resp {
			v[i] = row[u] - mean
			ss += v[i] * v[i]
		}
		s := 1 / math.Sqrt(ss)
		for i := range v {
			v[i] *= s
		}
		z[u] = v
	}
	return z
}

// visitPairs calls fn(distance, correlation) for pairs of non-silent units
// of hemisphere h at distance lo ≤ d < hi, using every such pair or, when
// there are more than maxPairs > 0 of them, a random subset of maxPairs.
func visitPairs(l *Layout, z [][]float64, h Hemisphere, lo, hi float64, maxPairs int, rnd *rand.Rand, fn func(d, c float64)) {
	var units []int
	for _, u := range l.UnitsOf(h) {
		if z[u] != nil {
			units = append(units, u)
		}
	}
	n := len(units)
	total := n * (n - 1) / 2
	if total == 0 {
		return
	}
	dist := func(a, b int) float64 { return math.Hypot(l.X_mm[a]-l.X_mm[b], l.Y_mm[a]-l.Y_mm[b]) }
	corr := func(a, b int) float64 {
		s := 0.0
		za, zb := z[a], z[b]
		for i := range za {
			s += za[i] * zb[i]
		}
		return s
	}
	inRange := func(d float64) bool { return d >= lo && d < hi }

	if maxPairs > 0 && total > maxEnumPairs {
		// Too many pairs to enumerate: draw pairs with replacement and keep
		// those in range, giving up after 100 draws per wanted pair.
		kept := 0
		for draw := 0; kept < maxPairs && draw < 100*maxPairs; draw++ {
			i := rnd.IntN(n)
			j := rnd.IntN(n - 1)
			if j >= i {
				j++
			}
			a, b := units[i], units[j]
			if d := dist(a, b); inRange(d) {
				fn(d, corr(a, b))
				kept++
			}
		}
		return
	}

	// Count the pairs in range, then choose which ranks to keep.
	var keep []int // sorted ranks among in-range pairs; nil keeps all
	if maxPairs > 0 {
		m := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if inRange(dist(units[i], units[j])) {
					m++
				}
			}
		}
		if m > maxPairs {
			keep = sampleRanks(rnd, m, maxPairs)
		}
	}
	rank, next := 0, 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a, b := units[i], units[j]
			d := dist(a, b)
			if !inRange(d) {
				continue
			}
			if keep != nil {
				if next == len(keep) {
					return
				}
				if keep[next] != rank {
					rank++
					continue
				}
				next++
				rank++
			}
			fn(d, corr(a, b))
		}
	}
}

// sampleRanks returns k distinct integers from [0, n), sorted, using
// Floyd's algorithm.
func sampleRanks(rnd *rand.Rand, n, k int) []int {
	chosen := make(map[int]struct{}, k)
	out := make([]int, 0, k)
	for j := n - k; j < n; j++ {
		t := rnd.IntN(j + 1)
		if _, dup := chosen[t]; dup {
			t = j
		}
		chosen[t] = struct{}{}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
