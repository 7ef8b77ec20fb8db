package plots

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Grid is a two-parameter table of values: Z[i][j] at X[j], Y[i]. X and
// Y are drawn as evenly spaced categories labelled with their values.
type Grid struct {
	X, Y   []float64
	Z      [][]float64 // NaN: no value (drawn white)
	XLabel string      // e.g. "pitch (µm)"
	YLabel string
	ZLabel string // colour-bar label, e.g. "shift toward face (% signal)"
}

// gridXYZ adapts Grid to plotter.GridXYZ on category indices.
type gridXYZ struct{ g Grid }

func (a gridXYZ) Dims() (c, r int)   { return len(a.g.X), len(a.g.Y) }
func (a gridXYZ) Z(c, r int) float64 { return a.g.Z[r][c] }
func (a gridXYZ) X(c int) float64    { return float64(c) }
func (a gridXYZ) Y(r int) float64    { return float64(r) }

// HeatMap draws g as coloured cells (a diverging blue–red palette centred
// on 0 when the values change sign), each labelled with its value, with
// the parameter values as tick labels and a colour bar. It returns the
// figure as a 150-dpi PNG and as an SVG.
func HeatMap(title string, g Grid) (png, svg []byte, err error) {
	if len(g.X) == 0 || len(g.Y) == 0 || len(g.Z) != len(g.Y) {
		return nil, nil, errors.New("plots: HeatMap needs X, Y and a row of Z per Y")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range g.Z {
		if len(row) != len(g.X) {
			return nil, nil, fmt.Errorf("plots: HeatMap row %d has %d values, want %d", i, len(row), len(g.X))
		}
		for _, v := range row {
			if isFinite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = -1, 1
	}
	if lo < 0 && hi > 0 {
		m := math.Max(-lo, hi)
		lo, hi = -m, m
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	return render(7*vg.Inch, 5*vg.Inch, func(c draw.Canvas) {
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		p := plot.New()
		p.Title.Text = title
		p.Title.TextStyle.Font = textStyle(sizeSuptitle, true).Font
		p.Title.Padding = vg.Points(8)
		styleAxes(p, g.XLabel, g.YLabel)
		hm := plotter.NewHeatMap(gridXYZ{g}, cm.Palette(255))
		hm.Min, hm.Max = lo, hi
		hm.NaN = nanColor
		p.Add(hm)
		var labels plotter.XYLabels
		for r := range g.Y {
			for cI := range g.X {
				v := g.Z[r][cI]
				if isFinite(v) {
					labels.XYs = append(labels.XYs, plotter.XY{X: float64(cI), Y: float64(r)})
					labels.Labels = append(labels.Labels, minus(fmt.Sprintf("%.2f", v)))
				}
			}
		}
		if len(labels.XYs) > 0 && len(g.X)*len(g.Y) <= 64 {
			l, err := plotter.NewLabels(labels)
			if err == nil {
				for i := range l.TextStyle {
					l.TextStyle[i].Font.Size = sizeTickLabel
					l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
				}
				p.Add(l)
			}
		}
		p.X.Tick.Marker = categoryTicks(g.X)
		p.Y.Tick.Marker = categoryTicks(g.Y)
		p.X.Min, p.X.Max = -0.5, float64(len(g.X))-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(len(g.Y))-0.5

		bar := &plotter.ColorBar{ColorMap: cm, Vertical: true}
		cb := plot.New()
		cb.Add(bar)
		cb.HideX()
		cb.Y.Label.Text = g.ZLabel
		cb.Y.Label.TextStyle.Font.Size = sizeTickLabel
		cb.Y.Tick.Label.Font.Size = sizeTickLabel
		cb.Y.Min, cb.Y.Max = lo, hi
		right := vg.Length(1.1 * vg.Inch)
		main := draw.Crop(c, 0, -right, 0, 0)
		p.Draw(main)
		cb.Draw(draw.Crop(c, c.Max.X-c.Min.X-right+vg.Points(8), 0, vg.Points(30), -vg.Points(30)))
	})
}

// WriteHeatMap renders HeatMap and writes pathNoExt.png and .svg.
func WriteHeatMap(pathNoExt, title string, g Grid) error {
	png, svg, err := HeatMap(title, g)
	if err != nil {
		return err
	}
	return writePair(pathNoExt, png, svg)
}

type categoryTicks []float64

func (t categoryTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for i, v := range t {
		out = append(out, plot.Tick{Value: float64(i), Label: minus(fmt.Sprintf("%g", v))})
	}
	return out
}
