package plots

import (
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// colourCount counts the pixels of img within tol of c in every channel.
func colourCount(img image.Image, c color.Color, tol int) int {
	cr, cg, cb, _ := c.RGBA()
	want := [3]int{int(cr >> 8), int(cg >> 8), int(cb >> 8)}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			ok := true
			for k := range got {
				if d := got[k] - want[k]; d > tol || d < -tol {
					ok = false
				}
			}
			if ok {
				n++
			}
		}
	}
	return n
}

// testScatter returns a model series with bootstrap-like intervals (one
// NaN point) and a hollow reference series.
func testScatter() []ScatterSeries {
	x := []float64{-0.4, 0.1, 0.5, 0.9, 1.2, 1.6, 2.1, 2.5, math.NaN(), 3.0}
	y := []float64{-4, 1, 3, 2, 9, 12, 10, 18, 5, 21}
	lo, hi := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		lo[i], hi[i] = y[i]-2-0.3*float64(i), y[i]+3
	}
	return []ScatterSeries{
		{Name: "model (α = 0.5)", X: x, Y: y, YLo: lo, YHi: hi},
		{Name: "monkey (Moeller et al. 2017)", X: []float64{0.3, 1.1, 1.8, 2.6}, Y: []float64{2, 6, 4, 15}, Hollow: true},
	}
}

var testScatterOpt = ScatterOptions{
	Title:    "Stimulation effect vs face selectivity",
	XLabel:   "face d′ at site",
	YLabel:   "shift toward face (% signal)",
	FitLines: true,
	VLines:   []float64{1},
	HLines:   []float64{0},
}

func TestScatterPlot(t *testing.T) {
	series := testScatter()
	pngData, svg, err := ScatterPlot(series, testScatterOpt)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, pngData)
	if got := img.Bounds().Size(); got != (image.Point{X: 1050, Y: 750}) {
		t.Errorf("PNG is %v pixels, want 1050×750", got)
	}
	for i := range series {
		if n := colourCount(img, seriesColors[i], 8); n < 100 {
			t.Errorf("series %d colour %v covers %d pixels, want ≥ 100", i, seriesColors[i], n)
		}
	}
	checkXML(t, svg)
	s := string(svg)
	for _, want := range []string{testScatterOpt.Title, testScatterOpt.XLabel, testScatterOpt.YLabel, "r = 0.9", "n = 9", "n = 4"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	for _, se := range series {
		if !strings.Contains(s, se.Name) {
			t.Errorf("SVG lacks series name %q", se.Name)
		}
	}

	// Without fit lines there is no r in the legend and fewer pixels of
	// the series colours.
	noFit := testScatterOpt
	noFit.FitLines = false
	pngNoFit, svgNoFit, err := ScatterPlot(series, noFit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(svgNoFit), "r = ") {
		t.Error("SVG has an r = legend without FitLines")
	}
	if with, without := colourCount(img, seriesColors[1], 8), colourCount(decodePNG(t, pngNoFit), seriesColors[1], 8); with-without < 300 {
		t.Errorf("fit line adds %d pixels of series colour (%d with, %d without), want ≥ 300", with-without, with, without)
	}

	// Error bars add pixels of the series colour.
	bare := testScatter()
	bare[0].YLo, bare[0].YHi = nil, nil
	pngBare, _, err := ScatterPlot(bare, testScatterOpt)
	if err != nil {
		t.Fatal(err)
	}
	with, without := colourCount(img, seriesColors[0], 8), colourCount(decodePNG(t, pngBare), seriesColors[0], 8)
	if with-without < 500 {
		t.Errorf("error bars add %d pixels of series colour (%d with, %d without), want ≥ 500", with-without, with, without)
	}

	// Reference lines add grey pixels.
	noRef := testScatterOpt
	noRef.VLines, noRef.HLines = nil, nil
	pngNoRef, _, err := ScatterPlot(series, noRef)
	if err != nil {
		t.Fatal(err)
	}
	if with, without := colourCount(img, refLineStyle.Color, 10), colourCount(decodePNG(t, pngNoRef), refLineStyle.Color, 10); with-without < 300 {
		t.Errorf("reference lines add %d grey pixels, want ≥ 300", with-without)
	}

	dir := t.TempDir()
	if err := WriteScatterPlot(filepath.Join(dir, "scatter"), series, testScatterOpt); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".png", ".svg"} {
		if _, err := os.Stat(filepath.Join(dir, "scatter"+ext)); err != nil {
			t.Error(err)
		}
	}
	if err := WriteScatterPlot(filepath.Join(dir, "missing", "x"), series, testScatterOpt); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}

func TestScatterPlotEdgeCases(t *testing.T) {
	nan := math.NaN()
	for name, ss := range map[string][]ScatterSeries{
		"all NaN":        {{Name: "a", X: []float64{nan, 1}, Y: []float64{2, nan}}},
		"empty":          {{Name: "a"}},
		"one point":      {{Name: "a", X: []float64{1}, Y: []float64{2}}},
		"equal x":        {{Name: "a", X: []float64{1, 1, 1}, Y: []float64{2, 3, 4}}},
		"equal y":        {{Name: "a", X: []float64{1, 2, 3}, Y: []float64{2, 2, 2}}},
		"NaN error bars": {{Name: "a", X: []float64{1, 2}, Y: []float64{1, 2}, YLo: []float64{nan, 1}, YHi: []float64{2, nan}}},
	} {
		if _, svg, err := ScatterPlot(ss, testScatterOpt); err != nil {
			t.Errorf("%s: %v", name, err)
		} else {
			checkXML(t, svg)
		}
	}
	_, svg, _ := ScatterPlot([]ScatterSeries{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{2, 2, 2}}}, testScatterOpt)
	if !strings.Contains(string(svg), "r undefined") {
		t.Error("constant y does not give an undefined r")
	}
}

func TestScatterPlotErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	cases := map[string]struct {
		ss  []ScatterSeries
		opt ScatterOptions
	}{
		"none":               {nil, ScatterOptions{}},
		"x/y lengths":        {[]ScatterSeries{{Name: "a", X: x, Y: x[:2]}}, ScatterOptions{}},
		"YLo without YHi":    {[]ScatterSeries{{Name: "a", X: x, Y: x, YLo: x}}, ScatterOptions{}},
		"YHi without YLo":    {[]ScatterSeries{{Name: "a", X: x, Y: x, YHi: x}}, ScatterOptions{}},
		"error-bar length":   {[]ScatterSeries{{Name: "a", X: x, Y: x, YLo: x[:1], YHi: x[:1]}}, ScatterOptions{}},
		"lower above upper":  {[]ScatterSeries{{Name: "a", X: x, Y: x, YLo: []float64{1, 3, 3}, YHi: []float64{1, 2, 3}}}, ScatterOptions{}},
		"NaN reference line": {[]ScatterSeries{{Name: "a", X: x, Y: x}}, ScatterOptions{HLines: []float64{math.NaN()}}},
		"Inf reference line": {[]ScatterSeries{{Name: "a", X: x, Y: x}}, ScatterOptions{VLines: []float64{math.Inf(1)}}},
	}
	for name, tc := range cases {
		if _, _, err := ScatterPlot(tc.ss, tc.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLeastSquares(t *testing.T) {
	slope, icept, r, ok := leastSquares([]float64{0, 1, 2, 3}, []float64{1, 3, 5, 7})
	if !ok || math.Abs(slope-2) > 1e-12 || math.Abs(icept-1) > 1e-12 || math.Abs(r-1) > 1e-12 {
		t.Errorf("exact line: slope %g, intercept %g, r %g, ok %v; want 2, 1, 1, true", slope, icept, r, ok)
	}
	// x = 0..4, y = 2, 0, 2, 0, 2 has slope 0 and r = 0; y = −x has r = −1.
	if _, _, r, _ := leastSquares([]float64{0, 1, 2, 3, 4}, []float64{2, 0, 2, 0, 2}); math.Abs(r) > 1e-12 {
		t.Errorf("uncorrelated: r = %g, want 0", r)
	}
	if _, _, r, _ := leastSquares([]float64{0, 1, 2}, []float64{0, -1, -2}); math.Abs(r+1) > 1e-12 {
		t.Errorf("anticorrelated: r = %g, want −1", r)
	}
	if rText(-0.5) != "r = −0.50" {
		t.Errorf("rText(−0.5) = %q", rText(-0.5))
	}
}
