package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a named line with optional error band.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64 // optional CI band, same length as X or nil
}

// Size of the LinePlot figure: 1050×675 pixels in PNG.
const (
	linePlotWidth  = 7 * vg.Inch
	linePlotHeight = 4.5 * vg.Inch
)

// seriesColors is the Okabe–Ito colour-blind-safe palette without yellow.
var seriesColors = []color.NRGBA{
	{R: 0, G: 114, B: 178, A: 255},   // blue
	{R: 213, G: 94, B: 0, A: 255},    // vermilion
	{R: 0, G: 158, B: 115, A: 255},   // bluish green
	{R: 204, G: 121, B: 167, A: 255}, // reddish purple
	{R: 230, G: 159, B: 0, A: 255},   // orange
	{R: 86, G: 180, B: 233, A: 255},  // sky blue
	{R: 0, G: 0, B: 0, A: 255},       // black
}

// seriesShapes are the point markers, cycled independently of the colours
// so that series stay distinguishable in greyscale.
var seriesShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// LinePlot draws each series as a line with a marker at every point, in a
// distinct colour and marker shape, over its confidence band [Lo, Hi]
// shaded in the same colour when present. The legend sits outside the
// axes at the right, so it never covers data. Points with a non-finite X
// or Y are skipped and break the line; the band is likewise broken where
// Lo or Hi is not finite. It returns the figure as a 150-dpi PNG and as an
// SVG.
func LinePlot(title, xLabel, yLabel string, series []Series) (png, svg []byte, err error) {
	if len(series) == 0 {
		return nil, nil, errors.New("plots: LinePlot needs at least one series")
	}
	for i, s := range series {
		if err := checkSeries(i, s.Name, s.X, s.Y, s.Lo, s.Hi, "band"); err != nil {
			return nil, nil, err
		}
	}
	return render(linePlotWidth, linePlotHeight, func(c draw.Canvas) {
		drawLinePlot(c, title, xLabel, yLabel, series)
	})
}

// WriteLinePlot renders LinePlot(title, xLabel, yLabel, series) and writes
// it atomically to pathNoExt+".png" and pathNoExt+".svg".
func WriteLinePlot(pathNoExt, title, xLabel, yLabel string, series []Series) error {
	png, svg, err := LinePlot(title, xLabel, yLabel, series)
	if err != nil {
		return err
	}
	return writePair(pathNoExt, png, svg)
}

// drawLinePlot draws the figure of LinePlot on c. The series are valid.
func drawLinePlot(c draw.Canvas, title, xLabel, yLabel string, series []Series) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = textStyle(sizeSuptitle, true).Font
	p.Title.Padding = vg.Points(8)
	styleAxes(p, xLabel, yLabel)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(grid)

	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = sizeTickLabel
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = vg.Points(24)
	legend.Padding = vg.Points(3)

	for i, s := range series {
		col := seriesColors[i%len(seriesColors)]
		var thumbs []plot.Thumbnailer
		if s.Lo != nil {
			band := col
			band.A = 56
			var poly *plotter.Polygon
			for _, r := range finiteRuns(len(s.X), s.X, s.Lo, s.Hi) {
				var pts plotter.XYs
				for j := r[0]; j < r[1]; j++ {
					pts = append(pts, plotter.XY{X: s.X[j], Y: s.Hi[j]})
				}
				for j := r[1] - 1; j >= r[0]; j-- {
					pts = append(pts, plotter.XY{X: s.X[j], Y: s.Lo[j]})
				}
				poly, _ = plotter.NewPolygon(pts) // finite by construction
				poly.Color = band
				poly.LineStyle.Width = 0
				p.Add(poly)
			}
			if poly != nil {
				thumbs = append(thumbs, poly)
			}
		}
		lineSty := draw.LineStyle{Color: col, Width: vg.Points(1.5)}
		var line *plotter.Line
		for _, r := range finiteRuns(len(s.X), s.X, s.Y) {
			line, _ = plotter.NewLine(xys(s.X[r[0]:r[1]], s.Y[r[0]:r[1]]))
			line.LineStyle = lineSty
			p.Add(line)
		}
		if line == nil {
			line = &plotter.Line{LineStyle: lineSty} // for the legend only
		}
		var px, py []float64
		for j := range s.X {
			if isFinite(s.X[j]) && isFinite(s.Y[j]) {
				px, py = append(px, s.X[j]), append(py, s.Y[j])
			}
		}
		glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(2.6), Shape: seriesShapes[i%len(seriesShapes)]}
		sc, _ := plotter.NewScatter(xys(px, py))
		sc.GlyphStyle = glyph
		if len(px) > 0 {
			p.Add(sc)
		}
		thumbs = append(thumbs, line, sc)
		legend.Add(s.Name, thumbs...)
	}

	// Legend in its own column at the right of the axes.
	margin := vg.Points(6)
	var legW vg.Length
	for _, s := range series {
		legW = max(legW, legend.ThumbnailWidth+legend.TextStyle.Width(" "+s.Name))
	}
	gap := vg.Points(10)
	pc := draw.Crop(c, margin, -(2*margin + gap + legW), margin, -margin)
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	p.Draw(pc)
	da := p.DataCanvas(pc)
	lc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: pc.Max.X + gap, Y: da.Min.Y},
		Max: vg.Point{X: pc.Max.X + gap + legW, Y: da.Max.Y},
	}}
	legend.Draw(lc)
}

// xys pairs x and y.
func xys(x, y []float64) plotter.XYs {
	pts := make(plotter.XYs, len(x))
	for i := range x {
		pts[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	return pts
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finiteRuns returns the maximal index ranges [a, b) of [0, n) on which
// every one of cols is finite.
func finiteRuns(n int, cols ...[]float64) [][2]int {
	var runs [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		ok := i < n
		for _, c := range cols {
			ok = ok && isFinite(c[i])
		}
		switch {
		case ok && start < 0:
			start = i
		case !ok && start >= 0:
			runs = append(runs, [2]int{start, i})
			start = -1
		}
	}
	return runs
}

// checkSeries refuses series i whose x and y differ in length, or whose
// interval (a band or error bars, named by what) has one end only or
// another length.
func checkSeries(i int, name string, x, y, lo, hi []float64, what string) error {
	switch {
	case len(x) != len(y):
		return fmt.Errorf("plots: series %d (%q) has %d x and %d y values", i, name, len(x), len(y))
	case (lo == nil) != (hi == nil):
		return fmt.Errorf("plots: series %d (%q) has only one end of its %s", i, name, what)
	case lo != nil && (len(lo) != len(x) || len(hi) != len(x)):
		return fmt.Errorf("plots: series %d (%q) has %d points but %s of %d/%d", i, name, len(x), what, len(lo), len(hi))
	}
	return nil
}
