package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"github.com/microstim/microstim/topography"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SheetPanel is one hemisphere's smoothed map with its patches.
type SheetPanel struct {
	Map       *topography.Map
	Patches   []topography.Patch // patches of Map; Cells index Map.V
	Threshold float64            // contour level used for the patches (drawn in the legend text); NaN if unknown
	Title     string             // e.g. "Left hemisphere IT"
	Sites     []SiteMark         // optional marked locations, e.g. stimulation sites; nil for none
}

// SiteMark is a marked location on a sheet, e.g. a stimulation site,
// coloured by Value on its own colour scale. A NaN Value draws an open
// circle (a site without a value).
type SiteMark struct {
	X_mm, Y_mm float64 // position in the map's coordinates (0 ≤ X_mm ≤ NX·Step_mm, likewise Y)
	Value      float64 // e.g. the behavioural shift caused by stimulating here
	Label      string  // optional short text drawn next to the marker, e.g. "S3"
}

// SheetMapOptions are the figure-wide settings of SheetMap.
type SheetMapOptions struct {
	Title      string  // figure title (suptitle), e.g. "Face d′ (σ = 0.5 mm), model abc123"
	ValueLabel string  // colour-bar label, e.g. "face d′"
	Min, Max   float64 // colour range; if Min==Max use a symmetric range ±max|V|

	// Site colour scale, used only when some panel has Sites.
	SiteLabel        string  // colour-bar label of the site values, e.g. "shift toward face (% signal)"
	SiteMin, SiteMax float64 // site colour range; if SiteMin==SiteMax use ±max|Value| over all sites
}

// Size of the SheetMap figure: 1500×675 pixels in PNG.
const (
	sheetMapWidth  = 10 * vg.Inch
	sheetMapHeight = 4.5 * vg.Inch
)

// Drawing constants of SheetMap.
const (
	paletteColors  = 255 // odd, so that 0 has its own neutral colour
	maxPatchLabels = 8   // area labels are drawn for at most this many patches per panel
)

var (
	nanColor     = color.White
	outlineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1.3)}
	frameStyle   = draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	labelBox     = color.NRGBA{R: 255, G: 255, B: 255, A: 210}
)

// SheetMap draws one heat-map tile per panel, side by side with equal mm
// scales, under a common diverging colour scale (blue < 0 < red, NaN
// cells white) with a vertical colour bar on the right. Each panel's
// patches are outlined in black along the edges between patch and
// non-patch cells, and the centroid of each patch is marked with its area.
// It returns the figure as a 150-dpi PNG and as an SVG.
//
// The colour range is [opt.Min, opt.Max]; values outside it get the colour
// of the nearer end. If opt.Min == opt.Max the range is ±max|V| over all
// panels. Zero is always the neutral colour of the palette.
//
// If any panel has Sites, the map is drawn in shades of grey instead
// (dark < 0 < light, same range rules) so that the sites stand out: each
// site is a filled circle with a thin black edge, coloured on a diverging
// purple–orange scale (purple < 0 < orange) over [opt.SiteMin,
// opt.SiteMax] (±max|Value| over all sites if they are equal), with its
// Label, if any, next to it. A second colour bar, labelled opt.SiteLabel,
// shows the site scale. Sites outside their map are an error.
func SheetMap(panels []SheetPanel, opt SheetMapOptions) (png, svg []byte, err error) {
	lo, hi, err := colourRange(panels, opt)
	if err != nil {
		return nil, nil, err
	}
	f := &sheetFigure{panels: panels, opt: opt, lo: lo, hi: hi}
	if f.sites, err = siteScale(panels, opt); err != nil {
		return nil, nil, err
	}
	f.initPalette()
	return render(sheetMapWidth, sheetMapHeight, f.draw)
}

// WriteSheetMap renders SheetMap(panels, opt) and writes it atomically to
// pathNoExt+".png" and pathNoExt+".svg".
func WriteSheetMap(pathNoExt string, panels []SheetPanel, opt SheetMapOptions) error {
	png, svg, err := SheetMap(panels, opt)
	if err != nil {
		return err
	}
	return writePair(pathNoExt, png, svg)
}

// colourRange validates panels and options and returns the colour range.
func colourRange(panels []SheetPanel, opt SheetMapOptions) (lo, hi float64, err error) {
	if len(panels) == 0 {
		return 0, 0, errors.New("plots: SheetMap needs at least one panel")
	}
	absMax := 0.0
	for i, p := range panels {
		m := p.Map
		switch {
		case m == nil:
			return 0, 0, fmt.Errorf("plots: panel %d has no map", i)
		case m.NX <= 0 || m.NY <= 0 || len(m.V) != m.NX*m.NY:
			return 0, 0, fmt.Errorf("plots: panel %d: map is %d×%d with %d values", i, m.NX, m.NY, len(m.V))
		case !(m.Step_mm > 0) || math.IsInf(m.Step_mm, 0):
			return 0, 0, fmt.Errorf("plots: panel %d: Step_mm = %g, want > 0", i, m.Step_mm)
		}
		for j, pt := range p.Patches {
			if pt.Hemi != m.Hemi {
				return 0, 0, fmt.Errorf("plots: panel %d: patch %d is on hemisphere %v, map on %v", i, j, pt.Hemi, m.Hemi)
			}
			for _, c := range pt.Cells {
				if c < 0 || c >= len(m.V) {
					return 0, 0, fmt.Errorf("plots: panel %d: patch %d has cell %d outside the %d×%d map", i, j, c, m.NX, m.NY)
				}
			}
		}
		for _, v := range m.V {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				absMax = math.Max(absMax, math.Abs(v))
			}
		}
	}
	lo, hi = opt.Min, opt.Max
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi:
		return 0, 0, fmt.Errorf("plots: colour range [%g, %g] is not a finite interval", lo, hi)
	case lo == hi:
		if absMax == 0 {
			absMax = 1
		}
		lo, hi = -absMax, absMax
	}
	return lo, hi, nil
}

// siteScale validates the sites of panels and returns their colour scale,
// or nil if no panel has sites.
func siteScale(panels []SheetPanel, opt SheetMapOptions) (*colourScale, error) {
	n := 0
	absMax := 0.0
	for i, p := range panels {
		w, h := float64(p.Map.NX)*p.Map.Step_mm, float64(p.Map.NY)*p.Map.Step_mm
		for j, s := range p.Sites {
			if !(s.X_mm >= 0 && s.X_mm <= w && s.Y_mm >= 0 && s.Y_mm <= h) {
				return nil, fmt.Errorf("plots: panel %d: site %d at (%g, %g) mm is outside the map's [0, %g] × [0, %g] mm", i, j, s.X_mm, s.Y_mm, w, h)
			}
			if math.IsInf(s.Value, 0) {
				return nil, fmt.Errorf("plots: panel %d: site %d has value %g", i, j, s.Value)
			}
			if !math.IsNaN(s.Value) {
				absMax = math.Max(absMax, math.Abs(s.Value))
			}
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	lo, hi := opt.SiteMin, opt.SiteMax
	switch {
	case !isFinite(lo) || !isFinite(hi) || lo > hi:
		return nil, fmt.Errorf("plots: site colour range [%g, %g] is not a finite interval", lo, hi)
	case lo == hi:
		if absMax == 0 {
			absMax = 1
		}
		lo, hi = -absMax, absMax
	}
	return newColourScale(lo, hi, moreland.SmoothPurpleOrange()), nil
}

// sheetFigure draws a SheetMap.
type sheetFigure struct {
	panels []SheetPanel
	opt    SheetMapOptions
	lo, hi float64 // colour range
	pal    []color.Color
	half   float64      // palette spans [−half, half]
	sites  *colourScale // colour scale of the sites; nil if there are none
}

// initPalette builds a diverging palette over [−a, a], a = max(|lo|, |hi|),
// so that 0 is neutral even when the colour range is not symmetric. With
// sites the palette is a grey ramp instead.
func (f *sheetFigure) initPalette() {
	var cm palette.ColorMap = moreland.SmoothBlueRed()
	if f.sites != nil {
		cm = &greyRamp{}
	}
	s := newColourScale(f.lo, f.hi, cm)
	f.half, f.pal = s.half, s.pal
}

// scale returns the colour scale of the map values.
func (f *sheetFigure) scale() *colourScale {
	return &colourScale{lo: f.lo, hi: f.hi, half: f.half, pal: f.pal}
}

// colourIndex returns the palette index of v, or −1 for NaN.
func (f *sheetFigure) colourIndex(v float64) int {
	s := colourScale{lo: f.lo, hi: f.hi, half: f.half, pal: f.pal}
	return s.index(v)
}

// newPanelPlot returns the plot of panel p without its header.
func (f *sheetFigure) newPanelPlot(p SheetPanel) *plot.Plot {
	pl := plot.New()
	styleAxes(pl, "x (mm)", "y (mm)")
	pl.X.Padding, pl.Y.Padding = 0, 0
	pl.Add(&heatCells{m: p.Map, f: f})
	pl.Add(&patchOverlay{m: p.Map, patches: p.Patches, outlineOnly: len(p.Sites) > 0})
	if len(p.Sites) > 0 {
		pl.Add(&siteOverlay{sites: p.Sites, scale: f.sites})
	}
	return pl
}

// draw draws the whole figure on c.
func (f *sheetFigure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	margin := vg.Points(8)
	top := c.Max.Y - margin
	bottom := c.Min.Y + margin

	// Figure title.
	if f.opt.Title != "" {
		sty := textStyle(sizeSuptitle, true)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		sty = fitWidth(sty, f.opt.Title, c.Max.X-c.Min.X-2*margin)
		c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: top}, f.opt.Title)
		top -= sty.Height(f.opt.Title) + vg.Points(6)
	}

	// Panel header: title line and legend line.
	titleSty := textStyle(sizeTitle, true)
	titleSty.XAlign, titleSty.YAlign = draw.XCenter, draw.YTop
	legSty := textStyle(sizeSmall, false)
	legSty.YAlign = draw.YCenter
	headerH := titleSty.Height("Mg") + vg.Points(3) + legSty.Height("Mg") + vg.Points(5)

	// Measure the axis decorations of each panel on a dummy canvas: they do
	// not depend on the canvas size.
	plots := make([]*plot.Plot, len(f.panels))
	var left, right, below, above []vg.Length
	var sumAspect float64
	var maxBelow, maxAbove vg.Length
	const big = 10000
	for i, p := range f.panels {
		plots[i] = f.newPanelPlot(p)
		dummy := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: big, Y: big}}}
		da := plots[i].DataCanvas(dummy)
		left = append(left, da.Min.X)
		right = append(right, big-da.Max.X)
		below = append(below, da.Min.Y)
		above = append(above, big-da.Max.Y)
		maxBelow = max(maxBelow, da.Min.Y)
		maxAbove = max(maxAbove, big-da.Max.Y)
		sumAspect += float64(p.Map.NX) / float64(p.Map.NY)
	}

	// Colour-bar column: gap, bar, ticks, tick labels, rotated label.
	cb := newColourBar(f.scale(), f.opt.ValueLabel)
	cbW := cb.width()
	var sb *colourBar
	if f.sites != nil {
		sb = newColourBar(f.sites, f.opt.SiteLabel)
		cbW += sb.width()
	}

	panelGap := vg.Points(16)
	fixedW := cbW + panelGap*vg.Length(len(f.panels)-1)
	for i := range f.panels {
		fixedW += left[i] + right[i]
	}
	availH := top - bottom - headerH - maxBelow - maxAbove
	dataH := availH
	if w := (c.Max.X - c.Min.X) - 2*margin - fixedW; dataH*vg.Length(sumAspect) > w {
		dataH = w / vg.Length(sumAspect)
	}
	totalW := fixedW + dataH*vg.Length(sumAspect)
	dataBottom := bottom + maxBelow + (availH-dataH)/2

	x := c.Min.X + ((c.Max.X-c.Min.X)-totalW)/2
	for i, p := range f.panels {
		dataW := dataH * vg.Length(float64(p.Map.NX)/float64(p.Map.NY))
		x += left[i]
		tile := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x - left[i], Y: dataBottom - below[i]},
			Max: vg.Point{X: x + dataW + right[i], Y: dataBottom + dataH + above[i]},
		}}
		plots[i].Draw(tile)
		da := plots[i].DataCanvas(tile)
		da.StrokeLines(frameStyle, []vg.Point{
			{X: da.Min.X, Y: da.Min.Y}, {X: da.Max.X, Y: da.Min.Y},
			{X: da.Max.X, Y: da.Max.Y}, {X: da.Min.X, Y: da.Max.Y}, {X: da.Min.X, Y: da.Min.Y},
		})
		// Headers may extend over the panel's y-axis decorations on both
		// sides of the data area, which keeps neighbours apart.
		f.drawHeader(c, p, da.Min.X, da.Max.X, dataW+left[i], dataBottom+dataH+maxAbove, titleSty, legSty)
		x += dataW + right[i] + panelGap
	}
	x -= panelGap
	cb.draw(c, x, dataBottom, dataBottom+dataH)
	if sb != nil {
		sb.draw(c, x+cb.width(), dataBottom, dataBottom+dataH)
	}
}

// drawHeader draws, above y and centred over [x0, x1], a legend line
// explaining the patch outlines and above it the title of panel p, each
// shrunk if needed to fit in maxW.
func (f *sheetFigure) drawHeader(c draw.Canvas, p SheetPanel, x0, x1, maxW, y vg.Length, titleSty, legSty text.Style) {
	y += vg.Points(5) + legSty.Height("Mg")/2
	legend := patchLegend(p, f.opt.ValueLabel)
	sample := vg.Points(16)
	gap := vg.Points(4)
	// With sites: a marker sample and the site count after the patch legend.
	var siteText string
	var siteW vg.Length
	if len(p.Sites) > 0 {
		siteText = fmt.Sprintf("%d sites", len(p.Sites))
		if len(p.Sites) == 1 {
			siteText = "1 site"
		}
		siteW = 3*gap + 2*siteRadius + gap
	}
	legSty = fitWidth(legSty, legend+siteText, maxW-sample-gap-siteW)
	titleSty = fitWidth(titleSty, p.Title, maxW)
	w := sample + gap + legSty.Width(legend)
	if siteText != "" {
		w += siteW + legSty.Width(siteText)
	}
	lx := (x0+x1)/2 - w/2
	c.StrokeLine2(outlineStyle, lx, y, lx+sample, y)
	c.FillText(legSty, vg.Point{X: lx + sample + gap, Y: y}, legend)
	if siteText != "" {
		sx := lx + sample + gap + legSty.Width(legend) + 3*gap + siteRadius
		drawSite(c, vg.Point{X: sx, Y: y}, color.Gray{Y: 200})
		c.FillText(legSty, vg.Point{X: sx + siteRadius + gap, Y: y}, siteText)
	}
	if p.Title != "" {
		y += legSty.Height("Mg")/2 + vg.Points(3) + titleSty.Height(p.Title)
		c.FillText(titleSty, vg.Point{X: (x0 + x1) / 2, Y: y}, p.Title)
	}
}

// fitWidth returns sty with its font shrunk, down to 6 pt, until txt is at
// most w wide.
func fitWidth(sty text.Style, txt string, w vg.Length) text.Style {
	for sty.Width(txt) > w && sty.Font.Size > 6 {
		sty.Font.Size *= 0.95
	}
	return sty
}

// patchLegend returns the text explaining the outlines of panel p.
func patchLegend(p SheetPanel, valueLabel string) string {
	if valueLabel == "" {
		valueLabel = "value"
	}
	n := len(p.Patches)
	noun := "patches"
	if n == 1 {
		noun = "patch"
	}
	if math.IsNaN(p.Threshold) || math.IsInf(p.Threshold, 0) {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%s > %s: %d %s", valueLabel, minus(fmt.Sprintf("%.3g", p.Threshold)), n, noun)
}

// heatCells draws the cells of a map as filled rectangles, merging runs of
// equal colour along a row. Each rectangle overlaps its right and upper
// neighbours by a hair so that anti-aliasing leaves no seams.
type heatCells struct {
	m *topography.Map
	f *sheetFigure
}

func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, float64(h.m.NX) * h.m.Step_mm, 0, float64(h.m.NY) * h.m.Step_mm
}

func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	m, s := h.m, h.m.Step_mm
	overlap := vg.Points(0.4)
	for iy := 0; iy < m.NY; iy++ {
		y0, y1 := trY(float64(iy)*s), trY(float64(iy+1)*s)
		if iy < m.NY-1 {
			y1 += overlap
		}
		for ix := 0; ix < m.NX; {
			k := h.f.colourIndex(m.V[iy*m.NX+ix])
			end := ix + 1
			for end < m.NX && h.f.colourIndex(m.V[iy*m.NX+end]) == k {
				end++
			}
			if k >= 0 {
				x0, x1 := trX(float64(ix)*s), trX(float64(end)*s)
				if end < m.NX {
					x1 += overlap
				}
				c.FillPolygon(h.f.pal[k], []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			}
			ix = end
		}
	}
}

// drawSite draws a site marker at q filled with col, or an open circle if
// col is nil.
func drawSite(c draw.Canvas, q vg.Point, col color.Color) {
	var path vg.Path
	path.Move(vg.Point{X: q.X + siteRadius, Y: q.Y})
	path.Arc(q, siteRadius, 0, 2*math.Pi)
	path.Close()
	if col != nil {
		c.SetColor(col)
		c.Fill(path)
	}
	c.SetLineStyle(siteEdge)
	c.Stroke(path)
}

// siteOverlay draws the site markers of a panel and their labels.
type siteOverlay struct {
	sites []SiteMark
	scale *colourScale
}

func (o *siteOverlay) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, len(o.sites))
	var placed []vg.Rectangle
	for i, s := range o.sites {
		q := vg.Point{X: trX(s.X_mm), Y: trY(s.Y_mm)}
		pts[i] = q
		var col color.Color
		if k := o.scale.index(s.Value); k >= 0 {
			col = o.scale.pal[k]
		}
		drawSite(c, q, col)
		placed = append(placed, vg.Rectangle{
			Min: vg.Point{X: q.X - siteRadius, Y: q.Y - siteRadius},
			Max: vg.Point{X: q.X + siteRadius, Y: q.Y + siteRadius},
		})
	}

	// Labels: right, left, above or below the marker, whichever first
	// stays inside the data area and clear of markers and earlier labels.
	sty := textStyle(sizeSmall-1, false)
	for i, s := range o.sites {
		if s.Label == "" {
			continue
		}
		q := pts[i]
		r := sty.Rectangle(s.Label)
		w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
		pad, d := vg.Points(1), siteRadius+vg.Points(2)
		for _, off := range []vg.Point{{X: d, Y: -h / 2}, {X: -d - w, Y: -h / 2}, {X: -w / 2, Y: d}, {X: -w / 2, Y: -d - h}} {
			box := vg.Rectangle{
				Min: vg.Point{X: q.X + off.X - pad, Y: q.Y + off.Y - pad},
				Max: vg.Point{X: q.X + off.X + w + pad, Y: q.Y + off.Y + h + pad},
			}
			if !inside(box, c.Rectangle) || overlapsAny(box, placed) {
				continue
			}
			placed = append(placed, box)
			c.FillPolygon(labelBox, []vg.Point{box.Min, {X: box.Max.X, Y: box.Min.Y}, box.Max, {X: box.Min.X, Y: box.Max.Y}})
			c.FillText(sty, vg.Point{X: q.X + off.X - r.Min.X, Y: q.Y + off.Y - r.Min.Y}, s.Label)
			break
		}
	}
}

// HemispherePanels builds the two panels of an IT sheet figure, left
// hemisphere first: each hemisphere's map, its patches (taken from
// patches by hemisphere), its null threshold, its sites and its title.
func HemispherePanels(maps [2]*topography.Map, patches []topography.Patch, thr [2]float64, sites [2][]SiteMark, titles [2]string) []SheetPanel {
	panels := make([]SheetPanel, 2)
	for h := range panels {
		var ps []topography.Patch
		for _, p := range patches {
			if int(p.Hemi) == h {
				ps = append(ps, p)
			}
		}
		panels[h] = SheetPanel{Map: maps[h], Threshold: thr[h], Patches: ps, Title: titles[h], Sites: sites[h]}
	}
	return panels
}
