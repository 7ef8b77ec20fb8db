package topography

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SwapOptimize is the pre-training swap optimisation of TDANN (Margalit et al.
// 2024, spacetorch/swapopt.py), adapted to the shared-offset layout: it swaps
// the within-cell offsets of channel pairs, keeping a swap only if the loss
// restricted to the two swapped channels' rows,
// (1 − corr(C_ab, 1/(d_ab+1)))/2, decreases. corr is the channel×channel
// response correlation (row-major, Channels²), for example of an untrained
// network to sine gratings; d_ab is the distance between offsets in mm.
// Unit positions are recomputed afterwards. It returns the number of swaps
// kept.
func (l *Layout) SwapOptimize(corr []float64, steps int, seed uint64) (int, error) {
	c := l.Channels
	if len(corr) != c*c {
		return 0, fmt.Errorf("topography: swap: corr has %d entries, want %d", len(corr), c*c)
	}
	if l.jx == nil {
		return 0, fmt.Errorf("topography: swap: layout of %s was loaded, not generated; swaps are a pre-training step", l.Stage)
	}
	cw, ch := l.CellSize()
	dist := func(a, b int) float64 {
		return math.Hypot((l.Offset[a][0]-l.Offset[b][0])*cw, (l.Offset[a][1]-l.Offset[b][1])*ch)
	}
	rowsLoss := func(a, b int) float64 {
		var xs, ys []float64
		for _, r := range [2]int{a, b} {
			for k := 0; k < c; k++ {
				if k == r || (r == b && k == a) {
					continue
				}
				xs = append(xs, corr[r*c+k])
				ys = append(ys, 1/(dist(r, k)+1))
			}
		}
		return (1 - pearson(xs, ys)) / 2
	}
	r := rand.New(rand.NewPCG(seed, 0x73776170))
	kept := 0
	for s := 0; s < steps; s++ {
		a, b := r.IntN(c), r.IntN(c)
		if a == b {
			continue
		}
		before := rowsLoss(a, b)
		l.Offset[a], l.Offset[b] = l.Offset[b], l.Offset[a]
		if rowsLoss(a, b) < before {
			kept++
		} else {
			l.Offset[a], l.Offset[b] = l.Offset[b], l.Offset[a]
		}
	}
	l.place()
	return kept, nil
}

// ChannelLoss is the full-matrix form of the swap objective over all channel
// pairs: (1 − corr(C_ab, 1/(d_ab+1)))/2 for a<b.
func (l *Layout) ChannelLoss(corr []float64) float64 {
	c := l.Channels
	cw, ch := l.CellSize()
	var xs, ys []float64
	for a := 0; a < c; a++ {
		for b := a + 1; b < c; b++ {
			d := math.Hypot((l.Offset[a][0]-l.Offset[b][0])*cw, (l.Offset[a][1]-l.Offset[b][1])*ch)
			xs = append(xs, corr[a*c+b])
			ys = append(ys, 1/(d+1))
		}
	}
	return (1 - pearson(xs, ys)) / 2
}
