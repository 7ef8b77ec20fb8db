package plots

import (
	"errors"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Interval is a point estimate with its confidence interval.
type Interval struct {
	Value, Lo, Hi float64
	// Values, where given, are drawn as small dots beside the estimate
	// (the per-site values of an estimate too thin for a CI).
	Values []float64
}

// IntervalSeries is one named set of intervals, one per category.
type IntervalSeries struct {
	Name   string
	Points []Interval // one per category; non-finite values are skipped
}

// IntervalPlot draws each series' estimates as markers with CI whiskers at
// the named categories along x (an estimate without a CI: the marker alone,
// its Values as small dots), the series side by side within a category,
// with a dashed zero line. It returns a 150-dpi PNG and an SVG.
func IntervalPlot(title, yLabel string, categories []string, series []IntervalSeries) (png, svg []byte, err error) {
	if len(series) == 0 || len(categories) == 0 {
		return nil, nil, errors.New("plots: IntervalPlot needs at least one series and one category")
	}
	for i, s := range series {
		if len(s.Points) != len(categories) {
			return nil, nil, fmt.Errorf("plots: series %d (%q) has %d points for %d categories", i, s.Name, len(s.Points), len(categories))
		}
	}
	return render(linePlotWidth, linePlotHeight, func(c draw.Canvas) {
		drawIntervalPlot(c, title, yLabel, categories, series)
	})
}

// WriteIntervalPlot renders IntervalPlot and writes it atomically to
// pathNoExt+".png" and pathNoExt+".svg".
func WriteIntervalPlot(pathNoExt, title, yLabel string, categories []string, series []IntervalSeries) error {
	png, svg, err := IntervalPlot(title, yLabel, categories, series)
	if err != nil {
		return err
	}
	return writePair(pathNoExt, png, svg)
}

func drawIntervalPlot(c draw.Canvas, title, yLabel string, categories []string, series []IntervalSeries) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = textStyle(sizeSuptitle, true).Font
	p.Title.Padding = vg.Points(8)
	styleAxes(p, "", yLabel)
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color, grid.Horizontal.Width = color.Gray{Y: 225}, vg.Points(0.5)
	p.Add(grid)
	var ticks []plot.Tick
	for i, name := range categories {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	zero, _ := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 0}, {X: float64(len(categories)) - 0.5, Y: 0}})
	zero.LineStyle = draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	p.Add(zero)
	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = sizeTickLabel
	legend.Top, legend.Left = true, true
	width := 0.6 / float64(len(series))
	for k, s := range series {
		col := seriesColors[k%len(seriesColors)]
		var pts, withCI, dots plotter.XYs
		var errs plotter.YErrors
		for i, iv := range s.Points {
			if !isFinite(iv.Value) {
				continue
			}
			x := float64(i) - 0.3 + width*(float64(k)+0.5)
			pts = append(pts, plotter.XY{X: x, Y: iv.Value})
			if isFinite(iv.Lo) && isFinite(iv.Hi) {
				withCI = append(withCI, plotter.XY{X: x, Y: iv.Value})
				errs = append(errs, struct{ Low, High float64 }{iv.Value - iv.Lo, iv.Hi - iv.Value})
			}
			for _, v := range iv.Values {
				if isFinite(v) {
					dots = append(dots, plotter.XY{X: x + width/4, Y: v})
				}
			}
		}
		if len(pts) == 0 {
			continue
		}
		sc, _ := plotter.NewScatter(pts)
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: seriesShapes[k%len(seriesShapes)]}
		if len(withCI) > 0 {
			bars, _ := plotter.NewYErrorBars(struct {
				plotter.XYer
				plotter.YErrorer
			}{withCI, errs})
			bars.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.5)}
			bars.CapWidth = vg.Points(6)
			p.Add(bars)
		}
		if len(dots) > 0 {
			ds, _ := plotter.NewScatter(dots)
			ds.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
			p.Add(ds)
		}
		p.Add(sc)
		legend.Add(s.Name, sc)
	}
	// Legend in its own column at the right of the axes, so it never
	// covers an interval.
	m, gap := vg.Points(6), vg.Points(10)
	var legW vg.Length
	for _, s := range series {
		legW = max(legW, vg.Points(24)+legend.TextStyle.Width(" "+s.Name))
	}
	pc := draw.Crop(c, m, -(2*m + gap + legW), m, -m)
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	p.Draw(pc)
	da := p.DataCanvas(pc)
	legend.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: pc.Max.X + gap, Y: da.Min.Y}, Max: vg.Point{X: pc.Max.X + gap + legW, Y: da.Max.Y}}})
}
