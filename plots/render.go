package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// dpi is the resolution of PNG output.
const dpi = 150

// Font sizes, in points, shared by all figures.
const (
	sizeSuptitle  = 13
	sizeTitle     = 11
	sizeAxisLabel = 10
	sizeTickLabel = 9
	sizeSmall     = 8.5
)

// textStyle returns a black plain-text style of the default font.
func textStyle(size vg.Length, bold bool) text.Style {
	f := font.From(plot.DefaultFont, size)
	if bold {
		f.Weight = xfont.WeightBold
	}
	return text.Style{
		Color:   color.Black,
		Font:    f,
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// styleAxes sets paper-sized fonts and labels on the axes of p.
func styleAxes(p *plot.Plot, xLabel, yLabel string) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = sizeAxisLabel
		a.Tick.Label.Font.Size = sizeTickLabel
		a.Tick.Marker = niceTicks{}
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Label.Padding, p.Y.Label.Padding = vg.Points(3), vg.Points(3)
}

// niceTicks places 4 to 7 major ticks at multiples of 1, 2, 2.5 or 5 times
// a power of ten, with minor ticks between them, and labels them with
// as many decimals as the step needs and a typographic minus sign (U+2212).
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	type cand struct {
		mant  float64
		minor int // minor intervals per major interval
	}
	best, bestN, bestK, bestC := 0.0, 0, 0, cand{}
	for k := int(math.Floor(math.Log10(hi-lo))) - 2; k <= int(math.Ceil(math.Log10(hi-lo)))+1; k++ {
		for _, c := range []cand{{1, 2}, {2, 2}, {2.5, 2}, {5, 5}} {
			step := c.mant * math.Pow(10, float64(k))
			n := int(math.Floor(hi/step+1e-9)) - int(math.Ceil(lo/step-1e-9)) + 1
			// Prefer counts near 5 and steps of 1, 2 or 5; on ties keep
			// the earlier (finer) step.
			if best == 0 || score(n, c.mant) < score(bestN, bestC.mant) {
				best, bestN, bestK, bestC = step, n, k, c
			}
		}
	}
	decimals := max(0, -bestK)
	if bestC.mant == 2.5 {
		decimals++
	}
	var ticks []plot.Tick
	minor := best / float64(bestC.minor)
	first := math.Ceil(lo/minor - 1e-9)
	for i := first; i*minor <= hi+1e-9*minor; i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if math.Mod(math.Abs(i), float64(bestC.minor)) == 0 {
			if math.Abs(v) < minor/2 {
				v = 0 // no "−0"
			}
			t.Value = v
			t.Label = minus(strconv.FormatFloat(v, 'f', decimals, 64))
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// score ranks a tick step with n major ticks and mantissa mant; lower is
// better.
func score(n int, mant float64) int {
	s := n - 5
	if s < 0 {
		s = -s
	}
	if mant == 2.5 {
		s++
	}
	return s
}

// minus replaces a leading hyphen by a minus sign.
func minus(s string) string {
	if r, ok := strings.CutPrefix(s, "-"); ok {
		return "−" + r
	}
	return s
}

// render draws a w×h figure with fn into a PNG at dpi and into an SVG.
// A panic in gonum/plot becomes an error.
func render(w, h vg.Length, fn func(draw.Canvas)) (pngData, svgData []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			pngData, svgData, err = nil, nil, fmt.Errorf("plots: rendering failed: %v", r)
		}
	}()

	ic := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	fn(draw.New(ic))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: ic}).WriteTo(&pb); err != nil {
		return nil, nil, fmt.Errorf("plots: encoding PNG: %w", err)
	}

	sc := vgsvg.New(w, h)
	fn(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return nil, nil, fmt.Errorf("plots: encoding SVG: %w", err)
	}
	return pb.Bytes(), svgFontFallback(sb.Bytes()), nil
}

// svgFontFallback adds metric-compatible fallbacks to the font family of
// the SVG's text, so that viewers without Liberation Serif use Times (same
// glyph widths) rather than an arbitrary default font.
func svgFontFallback(svg []byte) []byte {
	return bytes.ReplaceAll(svg,
		[]byte("font-family:Liberation Serif;"),
		[]byte("font-family:'Liberation Serif','Times New Roman',Times,serif;"))
}
