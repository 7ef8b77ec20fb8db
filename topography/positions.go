package topography

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Layout holds the position of every unit of one convolutional stage.
//
// Units are indexed in channel-major order, i = c·Rows·Cols + row·Cols + col,
// the order of a flattened (C, H, W) activation. Column 0 is the left edge of
// the image, so columns < Cols/2 have receptive fields in the left visual
// field and sit on the right hemisphere's sheet.
type Layout struct {
	Stage    string       // "V1", "V2", "V4" or "IT"
	Channels int          // feature channels
	Rows     int          // retinotopic rows
	Cols     int          // retinotopic columns (even)
	Sheet    Sheet        // size of each hemisphere's sheet
	Offset   [][2]float64 // per channel, fraction of a retinotopic cell in [0,1)²
	X_mm     []float64    // per unit, on its hemisphere's sheet
	Y_mm     []float64    // per unit
	Hemi     []Hemisphere

	jx, jy []float64 // per-unit jitter, kept so swaps can re-place units
}

// Units returns the number of units.
func (l *Layout) Units() int { return l.Channels * l.Rows * l.Cols }

// CellSize returns the width and height of one retinotopic cell in mm.
func (l *Layout) CellSize() (w_mm, h_mm float64) {
	return l.Sheet.Width_mm / float64(l.Cols/2), l.Sheet.Height_mm / float64(l.Rows)
}

// Cell returns the retinotopic cell (row, col) of unit i.
func (l *Layout) Cell(i int) (row, col int) {
	rc := i % (l.Rows * l.Cols)
	return rc / l.Cols, rc % l.Cols
}

// Channel returns the channel of unit i.
func (l *Layout) Channel(i int) int { return i / (l.Rows * l.Cols) }

// HemisphereOfCol returns the hemisphere that holds retinotopic column col.
func (l *Layout) HemisphereOfCol(col int) Hemisphere {
	if col < l.Cols/2 {
		return Right
	}
	return Left
}

// NewLayout places units retinotopically: channel c gets one offset inside a
// retinotopic cell, drawn uniformly and shared by every cell, and each unit
// gets independent Gaussian jitter of jitter_mm. Positions are clipped to the
// sheet. The result depends only on seed.
func NewLayout(stage string, channels, rows, cols int, jitter_mm float64, seed uint64) (*Layout, error) {
	sh, ok := Sheets[stage]
	if !ok {
		return nil, fmt.Errorf("topography: unknown stage %q (want V1, V2, V4 or IT)", stage)
	}
	if cols%2 != 0 || cols < 2 || rows < 1 || channels < 1 {
		return nil, fmt.Errorf("topography: stage %s: need an even number of columns ≥ 2, got %d×%d×%d", stage, channels, rows, cols)
	}
	if jitter_mm < 0 {
		return nil, fmt.Errorf("topography: jitter_mm = %g, want ≥ 0", jitter_mm)
	}
	r := rand.New(rand.NewPCG(seed, 0x70706f73))
	l := &Layout{Stage: stage, Channels: channels, Rows: rows, Cols: cols, Sheet: sh,
		Offset: make([][2]float64, channels)}
	for c := range l.Offset {
		l.Offset[c] = [2]float64{r.Float64(), r.Float64()}
	}
	n := l.Units()
	jx, jy := make([]float64, n), make([]float64, n)
	for i := range jx {
		jx[i] = r.NormFloat64() * jitter_mm
		jy[i] = r.NormFloat64() * jitter_mm
	}
	l.jx, l.jy = jx, jy
	l.place()
	return l, nil
}

// place recomputes positions from the channel offsets and the given jitter.
func (l *Layout) place() {
	jx, jy := l.jx, l.jy
	n := l.Units()
	l.X_mm, l.Y_mm, l.Hemi = make([]float64, n), make([]float64, n), make([]Hemisphere, n)
	cw, ch := l.CellSize()
	half := l.Cols / 2
	for i := 0; i < n; i++ {
		c := l.Channel(i)
		row, col := l.Cell(i)
		l.Hemi[i] = l.HemisphereOfCol(col)
		lc := col % half
		l.X_mm[i] = clamp((float64(lc)+l.Offset[c][0])*cw+jx[i], 0, l.Sheet.Width_mm)
		l.Y_mm[i] = clamp((float64(row)+l.Offset[c][1])*ch+jy[i], 0, l.Sheet.Height_mm)
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Distance returns the cortical distance between units i and j in mm, or
// +Inf if they lie in different hemispheres.
func (l *Layout) Distance(i, j int) float64 {
	if l.Hemi[i] != l.Hemi[j] {
		return math.Inf(1)
	}
	return math.Hypot(l.X_mm[i]-l.X_mm[j], l.Y_mm[i]-l.Y_mm[j])
}

// UnitsOf returns the indices of the units in hemisphere h, in index order.
func (l *Layout) UnitsOf(h Hemisphere) []int {
	var out []int
	for i, hh := range l.Hemi {
		if hh == h {
			out = append(out, i)
		}
	}
	return out
}
