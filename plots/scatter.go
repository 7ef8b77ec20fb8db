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

// ScatterSeries is a named set of points with optional symmetric or
// asymmetric y error bars.
type ScatterSeries struct {
	Name     string
	X, Y     []float64
	YLo, YHi []float64 // optional: lower and upper ends of each point's y interval (e.g. a bootstrap CI); nil for none
	Hollow   bool      // draw hollow markers (e.g. for reference/monkey data)
}

// ScatterOptions are the figure-wide settings of ScatterPlot.
type ScatterOptions struct {
	Title, XLabel, YLabel string    // axis labels should name units, e.g. "face d′" or "shift (% signal)"
	FitLines              bool      // draw each series' least-squares regression line over its x range, in the series colour, and add "r = 0.55" to its legend entry
	VLines, HLines        []float64 // dashed grey reference lines, e.g. x = 1 (d′ criterion) and y = 0
}

// Size of the ScatterPlot figure: 1050×750 pixels in PNG.
const (
	scatterWidth  = 7 * vg.Inch
	scatterHeight = 5 * vg.Inch
)

// Styles of ScatterPlot.
var (
	markerRadius = vg.Points(3)
	refLineStyle = draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	errBarWidth  = vg.Points(0.9)
	errCapHalf   = vg.Points(1.8)
	fitLineWidth = vg.Points(1.4)
)

// ScatterPlot draws each series as markers in a distinct colour and
// marker shape (filled, or outlined if Hollow), with a vertical error bar
// from YLo to YHi at each point when given. With opt.FitLines each
// series also gets its ordinary least-squares line of y on x, drawn over
// the series' x range, and its legend entry reads "Name: r = 0.55, n = 24"
// with Pearson's r and the number of points used. opt.VLines and
// opt.HLines are drawn as dashed grey lines across the axes and are
// always in view. The legend sits outside the axes, so it never covers
// data: at the right, or below the axes if its entries are long. Points with a non-finite X or Y are skipped (and not
// counted in n); an error bar is skipped when an end is not finite. It
// returns the figure as a 150-dpi PNG and as an SVG.
func ScatterPlot(series []ScatterSeries, opt ScatterOptions) (png, svg []byte, err error) {
	if len(series) == 0 {
		return nil, nil, errors.New("plots: ScatterPlot needs at least one series")
	}
	for i, s := range series {
		if err := checkSeries(i, s.Name, s.X, s.Y, s.YLo, s.YHi, "error bars"); err != nil {
			return nil, nil, err
		}
		for j := range s.YLo {
			if s.YLo[j] > s.YHi[j] {
				return nil, nil, fmt.Errorf("plots: series %d (%q), point %d: error bar from %g down to %g", i, s.Name, j, s.YLo[j], s.YHi[j])
			}
		}
	}
	for _, v := range append(append([]float64(nil), opt.VLines...), opt.HLines...) {
		if !isFinite(v) {
			return nil, nil, fmt.Errorf("plots: reference line at %g", v)
		}
	}
	return render(scatterWidth, scatterHeight, func(c draw.Canvas) {
		drawScatterPlot(c, series, opt)
	})
}

// WriteScatterPlot renders ScatterPlot(series, opt) and writes it
// atomically to pathNoExt+".png" and pathNoExt+".svg".
func WriteScatterPlot(pathNoExt string, series []ScatterSeries, opt ScatterOptions) error {
	png, svg, err := ScatterPlot(series, opt)
	if err != nil {
		return err
	}
	return writePair(pathNoExt, png, svg)
}

// drawScatterPlot draws the figure of ScatterPlot on c. The input is valid.
func drawScatterPlot(c draw.Canvas, series []ScatterSeries, opt ScatterOptions) {
	p := plot.New()
	p.Title.Text = opt.Title
	p.Title.TextStyle.Font = textStyle(sizeSuptitle, true).Font
	p.Title.Padding = vg.Points(8)
	styleAxes(p, opt.XLabel, opt.YLabel)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(grid)
	p.Add(&refLines{v: opt.VLines, h: opt.HLines})

	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = sizeTickLabel
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = vg.Points(24)
	legend.Padding = vg.Points(3)

	// Error bars and fit lines first, then all markers on top.
	var markers []plot.Plotter
	var names []string
	for i, s := range series {
		col := seriesColors[i%len(seriesColors)]
		g := markerGlyph{shape: i % 3, hollow: s.Hollow}
		var px, py []float64
		for j := range s.X {
			if isFinite(s.X[j]) && isFinite(s.Y[j]) {
				px, py = append(px, s.X[j]), append(py, s.Y[j])
			}
		}
		thumb := &scatterThumb{col: col, glyph: g}
		if s.YLo != nil {
			p.Add(&errorBars{x: s.X, y: s.Y, lo: s.YLo, hi: s.YHi, col: col})
			thumb.bars = true
		}
		name := s.Name
		if opt.FitLines {
			slope, icept, r, ok := leastSquares(px, py)
			if ok {
				xmin, xmax := minMax(px)
				line, _ := plotter.NewLine(plotter.XYs{{X: xmin, Y: icept + slope*xmin}, {X: xmax, Y: icept + slope*xmax}})
				line.LineStyle = draw.LineStyle{Color: col, Width: fitLineWidth}
				p.Add(line)
				thumb.fit = true
			}
			name = fmt.Sprintf("%s: %s, n = %d", s.Name, rText(r), len(px))
		}
		markers = append(markers, &scatterPoints{x: px, y: py, col: col, glyph: g})
		legend.Add(name, thumb)
		names = append(names, name)
	}
	p.Add(markers...)
	padRange(&p.X)
	padRange(&p.Y)

	// The legend goes in its own column at the right of the axes or, if
	// that would take more than legendMaxRight of the figure width, in
	// rows below the axes.
	margin := vg.Points(6)
	gap := vg.Points(10)
	figW := c.Max.X - c.Min.X
	var lw vg.Length
	for _, n := range names {
		lw = max(lw, legend.ThumbnailWidth+legend.TextStyle.Width(" "+n))
	}
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	if lw <= legendMaxRight*figW {
		pc := draw.Crop(c, margin, -(2*margin + gap + lw), margin, -margin)
		p.Draw(pc)
		da := p.DataCanvas(pc)
		legend.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: pc.Max.X + gap, Y: da.Min.Y},
			Max: vg.Point{X: pc.Max.X + gap + lw, Y: da.Max.Y},
		}})
		return
	}
	for lw > figW-2*margin && legend.TextStyle.Font.Size > 6 {
		legend.TextStyle.Font.Size *= 0.95
		lw = 0
		for _, n := range names {
			lw = max(lw, legend.ThumbnailWidth+legend.TextStyle.Width(" "+n))
		}
	}
	r := legend.Rectangle(c)
	lh := r.Max.Y - r.Min.Y + legend.TextStyle.FontExtents().Descent
	pc := draw.Crop(c, margin, -margin, margin+lh+gap, -margin)
	p.Draw(pc)
	da := p.DataCanvas(pc)
	lx := min(da.Min.X, c.Max.X-margin-lw)
	legend.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: lx, Y: c.Min.Y + margin},
		Max: vg.Point{X: lx + lw, Y: c.Min.Y + margin + lh},
	}})
}

// legendMaxRight is the largest fraction of the figure width that the
// legend column at the right of a ScatterPlot may take.
const legendMaxRight = 0.28

// rText formats a correlation coefficient for a legend.
func rText(r float64) string {
	if math.IsNaN(r) {
		return "r undefined"
	}
	return "r = " + minus(fmt.Sprintf("%.2f", r))
}

// leastSquares returns the ordinary least-squares line y = icept + slope·x
// through the points and Pearson's r. ok is false, and r NaN, when there
// are fewer than two points or all x are equal; r is also NaN when all y
// are equal.
func leastSquares(x, y []float64) (slope, icept, r float64, ok bool) {
	n := float64(len(x))
	if len(x) < 2 {
		return 0, 0, math.NaN(), false
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, 0, math.NaN(), false
	}
	slope = sxy / sxx
	r = math.NaN()
	if syy > 0 {
		r = math.Max(-1, math.Min(1, sxy/math.Sqrt(sxx*syy)))
	}
	return slope, my - slope*mx, r, true
}

// minMax returns the smallest and largest of the non-empty v.
func minMax(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// padRange widens the range of a by 5% at each end so that markers do
// not sit on the axes; an empty range (no finite data) becomes [0, 1].
func padRange(a *plot.Axis) {
	if !isFinite(a.Min) || !isFinite(a.Max) {
		a.Min, a.Max = 0, 1
		return
	}
	d := 0.05 * (a.Max - a.Min)
	if d == 0 {
		d = math.Max(0.05*math.Abs(a.Min), 0.5)
	}
	a.Min -= d
	a.Max += d
}

// markerGlyph draws a circle, square or triangle (shape 0, 1, 2), filled
// with a thin white edge that separates overlapping markers, or outlined
// in the glyph colour if hollow.
type markerGlyph struct {
	shape  int
	hollow bool
}

func (g markerGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var path vg.Path
	switch g.shape {
	case 0:
		path.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		path.Arc(pt, r, 0, 2*math.Pi)
	case 1:
		s := 0.9 * r // equal area to the circle: s = r·√π/2
		path.Move(vg.Point{X: pt.X - s, Y: pt.Y - s})
		path.Line(vg.Point{X: pt.X + s, Y: pt.Y - s})
		path.Line(vg.Point{X: pt.X + s, Y: pt.Y + s})
		path.Line(vg.Point{X: pt.X - s, Y: pt.Y + s})
	default:
		t := 1.5 * r // circumradius of a triangle of about the circle's area
		path.Move(vg.Point{X: pt.X, Y: pt.Y + t})
		path.Line(vg.Point{X: pt.X - t*0.866, Y: pt.Y - t/2})
		path.Line(vg.Point{X: pt.X + t*0.866, Y: pt.Y - t/2})
	}
	path.Close()
	if g.hollow {
		c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.1)})
		c.Stroke(path)
		return
	}
	c.SetColor(sty.Color)
	c.Fill(path)
	c.SetLineStyle(draw.LineStyle{Color: color.White, Width: vg.Points(0.4)})
	c.Stroke(path)
}

// scatterPoints draws the markers of one series; the points are finite.
type scatterPoints struct {
	x, y  []float64
	col   color.Color
	glyph markerGlyph
}

func (s *scatterPoints) DataRange() (xmin, xmax, ymin, ymax float64) {
	if len(s.x) == 0 {
		return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	}
	xmin, xmax = minMax(s.x)
	ymin, ymax = minMax(s.y)
	return
}

func (s *scatterPoints) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.GlyphStyle{Color: s.col, Radius: markerRadius, Shape: s.glyph}
	for i := range s.x {
		c.DrawGlyph(sty, vg.Point{X: trX(s.x[i]), Y: trY(s.y[i])})
	}
}

// errorBars draws a vertical bar with short caps from lo[i] to hi[i] at
// x[i] wherever x[i], y[i], lo[i] and hi[i] are finite.
type errorBars struct {
	x, y, lo, hi []float64
	col          color.Color
}

func (e *errorBars) ok(i int) bool {
	return isFinite(e.x[i]) && isFinite(e.y[i]) && isFinite(e.lo[i]) && isFinite(e.hi[i])
}

func (e *errorBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range e.x {
		if e.ok(i) {
			xmin, xmax = math.Min(xmin, e.x[i]), math.Max(xmax, e.x[i])
			ymin, ymax = math.Min(ymin, e.lo[i]), math.Max(ymax, e.hi[i])
		}
	}
	return
}

func (e *errorBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: e.col, Width: errBarWidth}
	for i := range e.x {
		if !e.ok(i) {
			continue
		}
		x, y0, y1 := trX(e.x[i]), trY(e.lo[i]), trY(e.hi[i])
		c.StrokeLine2(sty, x, y0, x, y1)
		c.StrokeLine2(sty, x-errCapHalf, y0, x+errCapHalf, y0)
		c.StrokeLine2(sty, x-errCapHalf, y1, x+errCapHalf, y1)
	}
}

// refLines draws dashed reference lines x = v[i] and y = h[i] across the
// data area.
type refLines struct{ v, h []float64 }

func (r *refLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, v := range r.v {
		xmin, xmax = math.Min(xmin, v), math.Max(xmax, v)
	}
	for _, h := range r.h {
		ymin, ymax = math.Min(ymin, h), math.Max(ymax, h)
	}
	return
}

func (r *refLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, v := range r.v {
		x := trX(v)
		c.StrokeLine2(refLineStyle, x, c.Min.Y, x, c.Max.Y)
	}
	for _, h := range r.h {
		y := trY(h)
		c.StrokeLine2(refLineStyle, c.Min.X, y, c.Max.X, y)
	}
}

// scatterThumb is the legend thumbnail of a scatter series: its fit line
// and error bar, if any, under its marker.
type scatterThumb struct {
	col       color.Color
	glyph     markerGlyph
	fit, bars bool
}

func (t *scatterThumb) Thumbnail(c *draw.Canvas) {
	mid := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	if t.fit {
		c.StrokeLine2(draw.LineStyle{Color: t.col, Width: fitLineWidth}, c.Min.X, mid.Y, c.Max.X, mid.Y)
	}
	if t.bars {
		h := (c.Max.Y - c.Min.Y) / 2
		sty := draw.LineStyle{Color: t.col, Width: errBarWidth}
		c.StrokeLine2(sty, mid.X, mid.Y-h, mid.X, mid.Y+h)
		c.StrokeLine2(sty, mid.X-errCapHalf, mid.Y-h, mid.X+errCapHalf, mid.Y-h)
		c.StrokeLine2(sty, mid.X-errCapHalf, mid.Y+h, mid.X+errCapHalf, mid.Y+h)
	}
	c.DrawGlyph(draw.GlyphStyle{Color: t.col, Radius: markerRadius, Shape: t.glyph}, mid)
}
