package vision

import (
	"math"

	"github.com/microstim/microstim/topography"
)

// SwapOptimizeLayouts runs the pre-training swap optimisation on every
// stage, using the channel correlations of the untrained network's
// responses to sine gratings.
func SwapOptimizeLayouts(m *Model, steps int, seed uint64) ([4]int, error) {
	var kept [4]int
	act, err := m.Run(SineGratings(m.Arch.Input), [4]bool{true, true, true, true})
	if err != nil {
		return kept, err
	}
	for s := 0; s < 4; s++ {
		corr := channelCorr(act.Stages[s], m.Layouts[s])
		k, err := m.Layouts[s].SwapOptimize(corr, steps, seed+uint64(100+s))
		if err != nil {
			return kept, err
		}
		kept[s] = k
	}
	return kept, nil
}

// SineGratings returns the swap-optimisation stimuli: 8 orientations × 4
// spatial frequencies × 4 phases of full-contrast sine gratings.
func SineGratings(side int) []*Gray {
	var out []*Gray
	for o := 0; o < 8; o++ {
		th := float64(o) * math.Pi / 8
		for _, cpi := range []float64{2, 4, 8, 16} { // cycles per image
			for p := 0; p < 4; p++ {
				ph := float64(p) * math.Pi / 2
				g := &Gray{W: side, H: side, Pix: make([]float32, side*side)}
				for y := 0; y < side; y++ {
					for x := 0; x < side; x++ {
						u := (float64(x)*math.Cos(th) + float64(y)*math.Sin(th)) / float64(side)
						g.Pix[y*side+x] = float32(0.5 + 0.5*math.Sin(2*math.Pi*cpi*u+ph))
					}
				}
				out = append(out, g)
			}
		}
	}
	return out
}

// channelCorr is the channel×channel Pearson correlation of responses,
// pooled over retinotopic cells (each cell's units are one observation set).
func channelCorr(resp [][]float32, l *topography.Layout) []float64 {
	c, cells := l.Channels, l.Rows*l.Cols
	out := make([]float64, c*c)
	// z-score each unit across images, then average products over cells
	n := len(resp)
	z := make([][]float64, l.Units())
	for u := range z {
		var m, ss float64
		for i := 0; i < n; i++ {
			m += float64(resp[i][u])
		}
		m /= float64(n)
		col := make([]float64, n)
		for i := 0; i < n; i++ {
			col[i] = float64(resp[i][u]) - m
			ss += col[i] * col[i]
		}
		if s := math.Sqrt(ss); s > 0 {
			for i := range col {
				col[i] /= s
			}
		}
		z[u] = col
	}
	for a := 0; a < c; a++ {
		for b := a; b < c; b++ {
			var sum float64
			for cell := 0; cell < cells; cell++ {
				za, zb := z[a*cells+cell], z[b*cells+cell]
				for i := 0; i < n; i++ {
					sum += za[i] * zb[i]
				}
			}
			out[a*c+b] = sum / float64(cells)
			out[b*c+a] = out[a*c+b]
		}
	}
	return out
}
