package topography

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Patch is a connected region of a Map above a threshold.
type Patch struct {
	Hemi       Hemisphere // sheet of the patch
	Area_mm2   float64    // number of cells × Step_mm²
	X_mm       float64    // centroid of the cell centres
	Y_mm       float64    // centroid of the cell centres
	MeanDPrime float64    // mean map value over the patch's cells
	Cells      []int      // indices into the map's V, in increasing order
	NX         int        // the map's cells along x (Cells are iy·NX + ix)
	Step_mm    float64    // the map's cell side
}

// Contains reports whether the point (x_mm, y_mm) of the patch's sheet
// lies in one of its cells.
func (p Patch) Contains(x_mm, y_mm float64) bool {
	if p.NX < 1 || !(p.Step_mm > 0) || x_mm < 0 || y_mm < 0 {
		return false
	}
	ix, iy := int(x_mm/p.Step_mm), int(y_mm/p.Step_mm)
	if ix >= p.NX {
		return false
	}
	_, found := slices.BinarySearch(p.Cells, iy*p.NX+ix)
	return found
}

// FindPatches returns the 4-connected components of the cells of m whose
// value exceeds threshold, sorted by area, largest first; patches of equal
// area keep the order of their first cell. NaN cells belong to no patch.
// FindPatches returns nil if m is nil or has no cell above threshold.
func FindPatches(m *Map, threshold float64) []Patch {
	if m == nil || m.NX <= 0 || m.NY <= 0 || len(m.V) != m.NX*m.NY {
		return nil
	}
	seen := make([]bool, len(m.V))
	var patches []Patch
	var queue []int
	for c0, v := range m.V {
		if seen[c0] || !(v > threshold) {
			continue
		}
		seen[c0] = true
		queue = append(queue[:0], c0)
		for q := 0; q < len(queue); q++ {
			c := queue[q]
			ix, iy := c%m.NX, c/m.NX
			for _, nb := range [4][2]int{{ix - 1, iy}, {ix + 1, iy}, {ix, iy - 1}, {ix, iy + 1}} {
				if nb[0] < 0 || nb[0] >= m.NX || nb[1] < 0 || nb[1] >= m.NY {
					continue
				}
				n := nb[1]*m.NX + nb[0]
				if !seen[n] && m.V[n] > threshold {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		cells := slices.Clone(queue)
		slices.Sort(cells)
		var sx, sy, sv float64
		for _, c := range cells {
			sx += (float64(c%m.NX) + 0.5) * m.Step_mm
			sy += (float64(c/m.NX) + 0.5) * m.Step_mm
			sv += m.V[c]
		}
		n := float64(len(cells))
		patches = append(patches, Patch{
			Hemi:       m.Hemi,
			Area_mm2:   n * m.Step_mm * m.Step_mm,
			X_mm:       sx / n,
			Y_mm:       sy / n,
			MeanDPrime: sv / n,
			Cells:      cells,
			NX:         m.NX,
			Step_mm:    m.Step_mm,
		})
	}
	sort.SliceStable(patches, func(i, j int) bool { return len(patches[i].Cells) > len(patches[j].Cells) })
	return patches
}

// ShuffleNull returns the 95th percentile (empirical quantile) of the
// maximum of Smooth(l, h, shuffled, sigma_mm, step_mm) over perms
// permutations, where each permutation shuffles values among the units of
// hemisphere h that share a retinotopic cell (same Layout.Cell). The null
// keeps the retinotopic layout and destroys any finer spatial clustering.
//
// The result depends only on the arguments. ShuffleNull returns NaN for
// inconsistent input, non-positive sigma_mm or step_mm, or perms < 1.
func ShuffleNull(l *Layout, h Hemisphere, values []float64, sigma_mm, step_mm float64, perms int, seed uint64) (p95 float64) {
	k, err := newSmoothKernel(l, h, sigma_mm, step_mm)
	if err != nil || len(values) != l.Units() || perms < 1 {
		return math.NaN()
	}
	return shuffleNull(l, k, values, perms, seed)
}

// shuffleNull is ShuffleNull with a precomputed kernel.
func shuffleNull(l *Layout, k *smoothKernel, values []float64, perms int, seed uint64) float64 {
	// Group the units of the kernel's hemisphere by retinotopic cell.
	groups := make(map[int][]int)
	var keys []int
	for _, u := range l.UnitsOf(k.hemi) {
		row, col := l.Cell(u)
		key := row*l.Cols + col
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], u)
	}
	slices.Sort(keys)

	rnd := rand.New(rand.NewPCG(seed, 0x73687566666c65))
	shuffled := slices.Clone(values)
	maxima := make([]float64, 0, perms)
	for p := 0; p < perms; p++ {
		for _, key := range keys {
			g := groups[key]
			// Fisher–Yates over the positions g.
			for i := len(g) - 1; i > 0; i-- {
				j := rnd.IntN(i + 1)
				shuffled[g[i]], shuffled[g[j]] = shuffled[g[j]], shuffled[g[i]]
			}
		}
		if m := k.maxOf(shuffled); !math.IsNaN(m) {
			maxima = append(maxima, m)
		}
	}
	if len(maxima) == 0 {
		return math.NaN()
	}
	slices.Sort(maxima)
	return stat.Quantile(0.95, stat.Empirical, maxima, nil)
}

// FacePatches finds, on each hemisphere h, the patches of
// Smooth(l, h, values, sigma_mm, step_mm) above the threshold
// ShuffleNull(l, h, values, sigma_mm, step_mm, perms, seed), and returns
// the patches of both hemispheres (Left first, each sorted by area) and the
// thresholds indexed by Hemisphere.
//
// FacePatches returns nil patches and NaN thresholds for inconsistent input.
func FacePatches(l *Layout, values []float64, sigma_mm, step_mm float64, perms int, seed uint64) (patches []Patch, thresholds [2]float64) {
	thresholds = [2]float64{math.NaN(), math.NaN()}
	for _, h := range [2]Hemisphere{Left, Right} {
		k, err := newSmoothKernel(l, h, sigma_mm, step_mm)
		if err != nil || len(values) != l.Units() || perms < 1 {
			return nil, [2]float64{math.NaN(), math.NaN()}
		}
		thresholds[h] = shuffleNull(l, k, values, perms, seed)
		patches = append(patches, FindPatches(k.apply(values, nil), thresholds[h])...)
	}
	return patches, thresholds
}
