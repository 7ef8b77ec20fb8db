package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// colourScale maps values in [lo, hi] to a palette spanning [−half, half],
// half = max(|lo|, |hi|), so that 0 gets the middle colour.
type colourScale struct {
	lo, hi float64
	half   float64
	pal    []color.Color
}

// newColourScale samples cm at paletteColors points over [−half, half].
func newColourScale(lo, hi float64, cm palette.ColorMap) *colourScale {
	s := &colourScale{lo: lo, hi: hi, half: math.Max(math.Abs(lo), math.Abs(hi))}
	cm.SetMin(-s.half)
	cm.SetMax(s.half)
	s.pal = cm.Palette(paletteColors).Colors()
	return s
}

// index returns the palette index of v, clamped to [lo, hi], or −1 for NaN.
func (s *colourScale) index(v float64) int {
	if math.IsNaN(v) {
		return -1
	}
	v = math.Min(s.hi, math.Max(s.lo, v))
	t := (v + s.half) / (2 * s.half)
	return min(len(s.pal)-1, max(0, int(math.Round(t*float64(len(s.pal)-1)))))
}

// greyRamp is a linear grey palette.ColorMap from dark to light, used for
// the map under site markers. Its range is set by SetMin and SetMax.
type greyRamp struct{ min, max float64 }

// Grey levels of the ends of greyRamp.
const (
	greyDark  = 70
	greyLight = 232
)

func (g *greyRamp) At(v float64) (color.Color, error) {
	t := (v - g.min) / (g.max - g.min)
	t = math.Min(1, math.Max(0, t))
	return color.Gray{Y: uint8(math.Round(greyDark + (greyLight-greyDark)*t))}, nil
}
func (g *greyRamp) SetMin(v float64) { g.min = v }
func (g *greyRamp) SetMax(v float64) { g.max = v }
func (g *greyRamp) Min() float64     { return g.min }
func (g *greyRamp) Max() float64     { return g.max }
func (g *greyRamp) SetAlpha(float64) {}
func (g *greyRamp) Alpha() float64   { return 1 }
func (g *greyRamp) Palette(n int) palette.Palette {
	cols := make([]color.Color, n)
	for i := range cols {
		t := 0.5
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		cols[i], _ = g.At(g.min + (g.max-g.min)*t)
	}
	return greyPalette(cols)
}

type greyPalette []color.Color

func (p greyPalette) Colors() []color.Color { return p }

// colourBar is a vertical colour scale at the right of a SheetMap.
type colourBar struct {
	s                  *colourScale
	label              string
	ticks              []plot.Tick
	tickSty, labelSty  text.Style
	gap, bar, tick, sp vg.Length
}

// newColourBar returns the colour bar of scale s with the given label.
func newColourBar(s *colourScale, label string) *colourBar {
	cb := &colourBar{
		s:        s,
		label:    label,
		ticks:    niceTicks{}.Ticks(s.lo, s.hi),
		tickSty:  textStyle(sizeTickLabel, false),
		labelSty: textStyle(sizeAxisLabel, false),
		gap:      vg.Points(18),
		bar:      vg.Points(12),
		tick:     vg.Points(4),
		sp:       vg.Points(3),
	}
	cb.tickSty.YAlign = draw.YCenter
	cb.labelSty.Rotation = math.Pi / 2
	cb.labelSty.XAlign, cb.labelSty.YAlign = draw.XCenter, draw.YTop
	return cb
}

// tickLabelWidth is the width of the widest major tick label.
func (cb *colourBar) tickLabelWidth() vg.Length {
	var w vg.Length
	for _, t := range cb.ticks {
		w = max(w, cb.tickSty.Width(t.Label))
	}
	return w
}

// width returns the width of the colour-bar column.
func (cb *colourBar) width() vg.Length {
	w := cb.gap + cb.bar + cb.tick + cb.sp + cb.tickLabelWidth()
	if cb.label != "" {
		w += 2*cb.sp + cb.labelSty.Height(cb.label)
	}
	return w
}

// draw draws the colour bar in the column starting at x, with the bar
// spanning [y0, y1].
func (cb *colourBar) draw(c draw.Canvas, x, y0, y1 vg.Length) {
	f := cb.s
	x0 := x + cb.gap
	x1 := x0 + cb.bar
	const steps = 256
	dy := (y1 - y0) / steps
	for i := 0; i < steps; i++ {
		v := f.lo + (f.hi-f.lo)*(float64(i)+0.5)/steps
		ya, yb := y0+dy*vg.Length(i), y0+dy*vg.Length(i+1)
		if i < steps-1 {
			yb += vg.Points(0.4)
		}
		c.FillPolygon(f.pal[f.index(v)], []vg.Point{{X: x0, Y: ya}, {X: x1, Y: ya}, {X: x1, Y: yb}, {X: x0, Y: yb}})
	}
	c.StrokeLines(frameStyle, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})

	for _, t := range cb.ticks {
		if t.Value < f.lo || t.Value > f.hi {
			continue
		}
		y := y0 + (y1-y0)*vg.Length((t.Value-f.lo)/(f.hi-f.lo))
		if t.IsMinor() {
			continue
		}
		c.StrokeLine2(frameStyle, x1, y, x1+cb.tick, y)
		c.FillText(cb.tickSty, vg.Point{X: x1 + cb.tick + cb.sp, Y: y}, t.Label)
	}
	if lbl := cb.label; lbl != "" {
		lx := x1 + cb.tick + cb.sp + cb.tickLabelWidth() + 2*cb.sp
		c.FillText(cb.labelSty, vg.Point{X: lx, Y: (y0 + y1) / 2}, lbl)
	}
}

// Site markers: radius (7.5 px diameter at 150 dpi) and edge.
var (
	siteRadius = vg.Points(1.8)
	siteEdge   = draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
)
