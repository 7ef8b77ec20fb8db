package topography

import (
	"errors"
	"fmt"
	"math"
)

// Map is a scalar field on a regular grid covering one hemisphere's sheet.
// Cell (ix, iy) has its centre at ((ix+0.5)·Step_mm, (iy+0.5)·Step_mm).
type Map struct {
	Hemi    Hemisphere // sheet the map covers
	Step_mm float64    // grid spacing
	NX, NY  int        // number of cells along x and y
	V       []float64  // values, row-major: V[iy*NX+ix]; NaN where undefined
}

// At returns the value of cell (ix, iy).
func (m *Map) At(ix, iy int) float64 { return m.V[iy*m.NX+ix] }

// Max returns the largest value of the map, ignoring NaN cells. It returns
// NaN if every cell is NaN.
func (m *Map) Max() float64 {
	best := math.NaN()
	for _, v := range m.V {
		if v > best || math.IsNaN(best) {
			best = v
		}
	}
	return best
}

// Smooth returns the Nadaraya–Watson kernel regression of the per-unit
// values of hemisphere h on a grid of spacing step_mm covering that
// hemisphere's sheet: each cell holds the mean of the values of units of h
// weighted by exp(−d²/2σ²), where d is the unit's distance from the cell
// centre and σ = sigma_mm. Weights are truncated at d > 3σ; cells with no
// unit within 3σ are NaN.
//
// values is indexed by unit and must have length l.Units(). Smooth returns
// nil for inconsistent input or non-positive sigma_mm or step_mm.
func Smooth(l *Layout, h Hemisphere, values []float64, sigma_mm, step_mm float64) *Map {
	k, err := newSmoothKernel(l, h, sigma_mm, step_mm)
	if err != nil || len(values) != l.Units() {
		return nil
	}
	return k.apply(values, nil)
}

// smoothKernel holds, for every cell of a map grid, the sparse list of
// (unit, normalised weight) pairs of the truncated Gaussian kernel, in
// compressed-row form: cell c uses unit[start[c]:start[c+1]].
type smoothKernel struct {
	hemi   Hemisphere
	step   float64
	nx, ny int
	start  []int
	unit   []int32
	w      []float64
}

// newSmoothKernel precomputes the Gaussian weights of Smooth.
func newSmoothKernel(l *Layout, h Hemisphere, sigma_mm, step_mm float64) (*smoothKernel, error) {
	if err := layoutErr(l); err != nil {
		return nil, err
	}
	if !(sigma_mm > 0) || !(step_mm > 0) || math.IsInf(sigma_mm, 0) || math.IsInf(step_mm, 0) {
		return nil, fmt.Errorf("topography: sigma_mm = %g, step_mm = %g, want both > 0", sigma_mm, step_mm)
	}
	W, H := l.Sheet.Width_mm, l.Sheet.Height_mm
	k := &smoothKernel{
		hemi: h,
		step: step_mm,
		nx:   max(1, int(math.Ceil(W/step_mm-1e-9))),
		ny:   max(1, int(math.Ceil(H/step_mm-1e-9))),
	}

	// Bucket the units of h into square bins of side cut so that each cell
	// only looks at the 3×3 bins around it.
	cut := 3 * sigma_mm
	bx := max(1, int(math.Ceil(W/cut)))
	by := max(1, int(math.Ceil(H/cut)))
	bins := make([][]int32, bx*by)
	binOf := func(v, size float64, n int) int { return min(n-1, max(0, int(math.Floor(v/size)))) }
	for _, u := range l.UnitsOf(h) {
		b := binOf(l.Y_mm[u], cut, by)*bx + binOf(l.X_mm[u], cut, bx)
		bins[b] = append(bins[b], int32(u))
	}

	cut2 := cut * cut
	inv2s2 := 1 / (2 * sigma_mm * sigma_mm)
	k.start = make([]int, 0, k.nx*k.ny+1)
	k.start = append(k.start, 0)
	for iy := 0; iy < k.ny; iy++ {
		y := (float64(iy) + 0.5) * step_mm
		cy := binOf(y, cut, by)
		for ix := 0; ix < k.nx; ix++ {
			x := (float64(ix) + 0.5) * step_mm
			cx := binOf(x, cut, bx)
			first := len(k.w)
			sum := 0.0
			for yy := max(0, cy-1); yy <= min(by-1, cy+1); yy++ {
				for xx := max(0, cx-1); xx <= min(bx-1, cx+1); xx++ {
					for _, u := range bins[yy*bx+xx] {
						dx, dy := l.X_mm[u]-x, l.Y_mm[u]-y
						d2 := dx*dx + dy*dy
						if d2 > cut2 {
							continue
						}
						w := math.Exp(-d2 * inv2s2)
						k.unit = append(k.unit, u)
						k.w = append(k.w, w)
						sum += w
					}
				}
			}
			for j := first; j < len(k.w); j++ {
				k.w[j] /= sum
			}
			k.start = append(k.start, len(k.w))
		}
	}
	return k, nil
}

// apply smooths values with the kernel, reusing dst's storage if dst is
// not nil.
func (k *smoothKernel) apply(values []float64, dst *Map) *Map {
	if dst == nil {
		dst = &Map{V: make([]float64, k.nx*k.ny)}
	}
	dst.Hemi, dst.Step_mm, dst.NX, dst.NY = k.hemi, k.step, k.nx, k.ny
	for c := range dst.V {
		lo, hi := k.start[c], k.start[c+1]
		if lo == hi {
			dst.V[c] = math.NaN()
			continue
		}
		s := 0.0
		for j := lo; j < hi; j++ {
			s += k.w[j] * values[k.unit[j]]
		}
		dst.V[c] = s
	}
	return dst
}

// maxOf returns the maximum of the smoothed values without building a map.
func (k *smoothKernel) maxOf(values []float64) float64 {
	best := math.NaN()
	for c := 0; c < k.nx*k.ny; c++ {
		lo, hi := k.start[c], k.start[c+1]
		if lo == hi {
			continue
		}
		s := 0.0
		for j := lo; j < hi; j++ {
			s += k.w[j] * values[k.unit[j]]
		}
		if s > best || math.IsNaN(best) {
			best = s
		}
	}
	return best
}

// layoutErr reports whether l is usable by the map analyses.
func layoutErr(l *Layout) error {
	if l == nil {
		return errors.New("topography: nil layout")
	}
	n := l.Units()
	if n <= 0 || l.Rows <= 0 || l.Cols <= 0 {
		return fmt.Errorf("topography: layout has %d×%d×%d units", l.Channels, l.Rows, l.Cols)
	}
	if len(l.X_mm) != n || len(l.Y_mm) != n || len(l.Hemi) != n {
		return fmt.Errorf("topography: layout has %d units but %d, %d, %d positions", n, len(l.X_mm), len(l.Y_mm), len(l.Hemi))
	}
	if !(l.Sheet.Width_mm > 0) || !(l.Sheet.Height_mm > 0) {
		return fmt.Errorf("topography: sheet is %g × %g mm", l.Sheet.Width_mm, l.Sheet.Height_mm)
	}
	return nil
}
