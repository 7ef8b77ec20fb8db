package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/topography"
)

var update = flag.Bool("update", false, "rewrite golden files")

// plantedMap returns an n×n map of step 0.25 mm with a positive bump
// (a patch above 1) in the upper left, a negative bump in the lower right
// and NaN cells in the lower-left corner.
func plantedMap(h topography.Hemisphere, n int) *topography.Map {
	m := &topography.Map{Hemi: h, Step_mm: 0.25, NX: n, NY: n, V: make([]float64, n*n)}
	f := float64(n)
	for iy := range n {
		for ix := range n {
			x, y := float64(ix)+0.5, float64(iy)+0.5
			pos := 2 * math.Exp(-(sq(x-0.3*f)+sq(y-0.65*f))/(2*sq(0.1*f)))
			neg := -1.5 * math.Exp(-(sq(x-0.75*f)+sq(y-0.25*f))/(2*sq(0.12*f)))
			v := pos + neg
			if ix+iy < n/8 {
				v = math.NaN()
			}
			m.V[iy*n+ix] = v
		}
	}
	return m
}

func sq(x float64) float64 { return x * x }

func plantedPanels(n int) []SheetPanel {
	var ps []SheetPanel
	for _, h := range []topography.Hemisphere{topography.Left, topography.Right} {
		m := plantedMap(h, n)
		ps = append(ps, SheetPanel{Map: m, Patches: topography.FindPatches(m, 1), Threshold: 1, Title: h.String() + " hemisphere IT"})
	}
	return ps
}

var plantedOpt = SheetMapOptions{Title: "Face selectivity of model test01", ValueLabel: "face d′"}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	return img
}

// pixelCounts counts dark, red-ish and blue-ish pixels.
func pixelCounts(img image.Image) (dark, red, blue int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case r < 60 && g < 60 && bl < 60:
				dark++
			case r > 150 && r > bl+60 && r > g+40:
				red++
			case bl > 150 && bl > r+60:
				blue++
			}
		}
	}
	return
}

func checkXML(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
}

func TestSheetMap(t *testing.T) {
	panels := plantedPanels(40)
	if len(panels[0].Patches) != 1 {
		t.Fatalf("planted map has %d patches, want 1", len(panels[0].Patches))
	}
	pngData, svg, err := SheetMap(panels, plantedOpt)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, pngData)
	if got := img.Bounds().Size(); got != (image.Point{X: 1500, Y: 675}) {
		t.Errorf("PNG is %v pixels, want 1500×675", got)
	}
	dark, red, blue := pixelCounts(img)
	if red < 2000 || blue < 2000 {
		t.Errorf("PNG has %d red-ish and %d blue-ish pixels, want ≥ 2000 of each", red, blue)
	}

	// The patch outlines must add dark pixels: render without patches and
	// compare. The planted patch has a perimeter of roughly 2π·3 mm, i.e.
	// several hundred pixels of outline per panel at this scale.
	bare := slices.Clone(panels)
	for i := range bare {
		bare[i].Patches = nil
	}
	pngBare, _, err := SheetMap(bare, plantedOpt)
	if err != nil {
		t.Fatal(err)
	}
	darkBare, _, _ := pixelCounts(decodePNG(t, pngBare))
	if dark-darkBare < 1000 {
		t.Errorf("patch outlines add %d dark pixels (%d with, %d without), want ≥ 1000", dark-darkBare, dark, darkBare)
	}

	checkXML(t, svg)
	s := string(svg)
	for _, want := range []string{plantedOpt.Title, "x (mm)", "y (mm)", "face d′", "L hemisphere IT", "R hemisphere IT", "mm²", "face d′ &gt; 1: 1 patch"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// TestSheetMapColourRange checks that the automatic range is symmetric
// and that an explicit range is honoured.
func TestSheetMapColourRange(t *testing.T) {
	panels := plantedPanels(16)
	lo, hi, err := colourRange(panels, SheetMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	absMax := 0.0
	for _, p := range panels {
		for _, v := range p.Map.V {
			if !math.IsNaN(v) {
				absMax = math.Max(absMax, math.Abs(v))
			}
		}
	}
	if lo != -absMax || hi != absMax {
		t.Errorf("automatic range [%g, %g], want ±%g", lo, hi, absMax)
	}
	if lo, hi, _ := colourRange(panels, SheetMapOptions{Min: -1, Max: 3}); lo != -1 || hi != 3 {
		t.Errorf("explicit range [%g, %g], want [-1, 3]", lo, hi)
	}
	f := &sheetFigure{lo: -1, hi: 3}
	f.initPalette()
	if mid := f.colourIndex(0); mid != paletteColors/2 {
		t.Errorf("0 maps to colour %d, want the neutral %d", mid, paletteColors/2)
	}
	if f.colourIndex(-5) != f.colourIndex(-1) || f.colourIndex(9) != f.colourIndex(3) || f.colourIndex(math.NaN()) != -1 {
		t.Error("out-of-range values are not clamped or NaN is not -1")
	}
}

func TestSheetMapErrors(t *testing.T) {
	good := plantedPanels(8)
	mod := func(fn func(p []SheetPanel)) []SheetPanel {
		p := slices.Clone(good)
		m := *p[0].Map
		p[0].Map = &m
		fn(p)
		return p
	}
	cases := []struct {
		name   string
		panels []SheetPanel
		opt    SheetMapOptions
	}{
		{"no panels", nil, SheetMapOptions{}},
		{"nil map", mod(func(p []SheetPanel) { p[0].Map = nil }), SheetMapOptions{}},
		{"short V", mod(func(p []SheetPanel) { p[0].Map.V = p[0].Map.V[1:] }), SheetMapOptions{}},
		{"zero step", mod(func(p []SheetPanel) { p[0].Map.Step_mm = 0 }), SheetMapOptions{}},
		{"bad cell", mod(func(p []SheetPanel) {
			p[0].Patches = []topography.Patch{{Hemi: p[0].Map.Hemi, Cells: []int{64}}}
		}), SheetMapOptions{}},
		{"wrong hemisphere", mod(func(p []SheetPanel) { p[0].Patches = slices.Clone(p[1].Patches) }), SheetMapOptions{}},
		{"min > max", good, SheetMapOptions{Min: 1, Max: -1}},
		{"NaN range", good, SheetMapOptions{Min: math.NaN(), Max: 1}},
	}
	for _, tc := range cases {
		if _, _, err := SheetMap(tc.panels, tc.opt); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	// All-NaN maps and empty patch lists are fine.
	m := &topography.Map{Step_mm: 1, NX: 3, NY: 3, V: slices.Repeat([]float64{math.NaN()}, 9)}
	if _, _, err := SheetMap([]SheetPanel{{Map: m, Threshold: math.NaN()}}, SheetMapOptions{}); err != nil {
		t.Errorf("all-NaN map: %v", err)
	}
}

func TestWriteSheetMap(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSheetMap(filepath.Join(dir, "face_dprime"), plantedPanels(40), plantedOpt); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"face_dprime.png", "face_dprime.svg"}) {
		t.Fatalf("directory holds %q, want exactly the PNG and the SVG", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, "face_dprime.png"))
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, data)
	svg, err := os.ReadFile(filepath.Join(dir, "face_dprime.svg"))
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, svg)

	if err := WriteSheetMap(filepath.Join(dir, "missing", "x"), plantedPanels(8), plantedOpt); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}

func testSeries() []Series {
	d := []float64{0.25, 0.5, 1, 2, 4, 8}
	a := []float64{0.62, 0.48, 0.31, 0.15, 0.04, -0.01}
	b := []float64{0.35, 0.30, 0.22, 0.12, math.NaN(), 0.02}
	lo, hi := make([]float64, len(d)), make([]float64, len(d))
	for i := range d {
		lo[i], hi[i] = a[i]-0.05, a[i]+0.05
	}
	return []Series{
		{Name: "topographic (α = 0.5)", X: d, Y: a, Lo: lo, Hi: hi},
		{Name: "baseline (α = 0)", X: d, Y: b},
	}
}

func TestLinePlot(t *testing.T) {
	series := testSeries()
	pngData, svg, err := LinePlot("Response correlation vs distance", "cortical distance (mm)", "response correlation r", series)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, pngData)
	if got := img.Bounds().Size(); got != (image.Point{X: 1050, Y: 675}) {
		t.Errorf("PNG is %v pixels, want 1050×675", got)
	}
	_, red, blue := pixelCounts(img)
	if red < 100 || blue < 100 {
		t.Errorf("PNG has %d vermilion and %d blue pixels, want ≥ 100 of each", red, blue)
	}
	checkXML(t, svg)
	s := string(svg)
	for _, want := range []string{"Response correlation vs distance", "cortical distance (mm)", "response correlation r"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	for _, se := range series {
		if !strings.Contains(s, se.Name) {
			t.Errorf("SVG lacks series name %q", se.Name)
		}
	}

	dir := t.TempDir()
	if err := WriteLinePlot(filepath.Join(dir, "corr"), "t", "x (mm)", "y", series); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".png", ".svg"} {
		if _, err := os.Stat(filepath.Join(dir, "corr"+ext)); err != nil {
			t.Error(err)
		}
	}
}

func TestLinePlotErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	for name, ss := range map[string][]Series{
		"none":        nil,
		"x/y lengths": {{Name: "a", X: x, Y: x[:2]}},
		"one side":    {{Name: "a", X: x, Y: x, Lo: x}},
		"band length": {{Name: "a", X: x, Y: x, Lo: x[:1], Hi: x[:1]}},
	} {
		if _, _, err := LinePlot("t", "x", "y", ss); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFiniteRuns(t *testing.T) {
	nan := math.NaN()
	got := finiteRuns(6, []float64{1, nan, 2, 3, 4, 5}, []float64{1, 1, 1, math.Inf(1), 1, 1})
	if want := [][2]int{{0, 1}, {2, 3}, {4, 6}}; !slices.Equal(got, want) {
		t.Errorf("finiteRuns = %v, want %v", got, want)
	}
}

func TestPatchBoundary(t *testing.T) {
	cases := []struct {
		name      string
		nx, ny    int
		cells     []int
		wantLoops [][][2]int
	}{
		{"single cell", 3, 3, []int{4}, [][][2]int{{{1, 1}, {2, 1}, {2, 2}, {1, 2}}}},
		{"2×1 block at the edge", 3, 3, []int{0, 1}, [][][2]int{{{0, 0}, {2, 0}, {2, 1}, {0, 1}}}},
		{"L shape", 3, 3, []int{0, 1, 3}, [][][2]int{{{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}}}},
		// A 3×3 ring: outer loop counter-clockwise, hole clockwise.
		{"ring", 3, 3, []int{0, 1, 2, 3, 5, 6, 7, 8}, [][][2]int{
			{{0, 0}, {3, 0}, {3, 3}, {0, 3}},
			{{2, 1}, {1, 1}, {1, 2}, {2, 2}},
		}},
		// Two cells touching at a corner form two separate squares.
		{"diagonal", 2, 2, []int{0, 3}, [][][2]int{
			{{0, 0}, {1, 0}, {1, 1}, {0, 1}},
			{{1, 1}, {2, 1}, {2, 2}, {1, 2}},
		}},
	}
	for _, tc := range cases {
		got := patchBoundary(tc.nx, tc.ny, tc.cells)
		if fmt.Sprint(got) != fmt.Sprint(tc.wantLoops) {
			t.Errorf("%s: loops %v, want %v", tc.name, got, tc.wantLoops)
		}
	}
}

// goldenPanels is a small fixed figure for the golden-file test.
func goldenPanels() []SheetPanel {
	m := &topography.Map{Hemi: topography.Left, Step_mm: 0.5, NX: 6, NY: 6, V: make([]float64, 36)}
	for i := range m.V {
		m.V[i] = float64(i%6) - float64(i/6)
	}
	m.V[0] = math.NaN()
	return []SheetPanel{{Map: m, Patches: topography.FindPatches(m, 2.5), Threshold: 2.5, Title: "Left hemisphere"}}
}

// svgNumber matches numbers with at least 4 digits after the point.
var svgNumber = regexp.MustCompile(`-?\d+\.\d{4,}`)

// normaliseSVG rounds long decimals to 2 places so that the golden file
// does not depend on the last bits of floating-point arithmetic, which may
// differ between architectures (e.g. fused multiply-add on arm64).
func normaliseSVG(svg []byte) []byte {
	return svgNumber.ReplaceAllFunc(svg, func(b []byte) []byte {
		var v float64
		fmt.Sscan(string(b), &v)
		return []byte(fmt.Sprintf("%.2f", v))
	})
}

func TestSheetMapGolden(t *testing.T) {
	opt := SheetMapOptions{Title: "Golden", ValueLabel: "value (a.u.)", Min: -4, Max: 4}
	_, svg1, err := SheetMap(goldenPanels(), opt)
	if err != nil {
		t.Fatal(err)
	}
	png1, svg2, err := SheetMap(goldenPanels(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(svg1, svg2) {
		t.Fatal("two renders of the same figure give different SVGs")
	}
	png2, _, _ := SheetMap(goldenPanels(), opt)
	if !bytes.Equal(png1, png2) {
		t.Fatal("two renders of the same figure give different PNGs")
	}

	got := normaliseSVG(svg1)
	path := filepath.Join("testdata", "sheetmap_golden.svg")
	if *update {
		if err := resultdir.WriteFile(path, got); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plots/ -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("SVG differs from %s at line %d:\n got: %s\nwant: %s\n(rerun with -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("SVG differs from %s: %d lines, want %d", path, len(gl), len(wl))
	}
}

// TestWriteSamples writes sample figures into $PLOTS_SAMPLE_DIR for
// viewing; it is skipped when the variable is unset.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLOTS_SAMPLE_DIR")
	if dir == "" {
		t.Skip("PLOTS_SAMPLE_DIR not set")
	}
	opt := SheetMapOptions{Title: "Face d′ (σ = 0.5 mm), model abc123", ValueLabel: "face d′"}
	if err := WriteSheetMap(filepath.Join(dir, "sheetmap"), plantedPanels(40), opt); err != nil {
		t.Fatal(err)
	}
	if err := WriteSheetMap(filepath.Join(dir, "golden"), goldenPanels(), SheetMapOptions{Title: "Golden", ValueLabel: "value (a.u.)", Min: -4, Max: 4}); err != nil {
		t.Fatal(err)
	}
	// Many patches, NaN border, asymmetric explicit range.
	var noisy []SheetPanel
	for k, h := range []topography.Hemisphere{topography.Left, topography.Right} {
		m := &topography.Map{Hemi: h, Step_mm: 0.2, NX: 80, NY: 80, V: make([]float64, 6400)}
		for i := range m.V {
			x, y := float64(i%80), float64(i/80)
			m.V[i] = 1.2*math.Sin(x/4+float64(k))*math.Cos(y/5) + 0.8*math.Sin((x+y)/7)
			if x < 3 || y > 76 {
				m.V[i] = math.NaN()
			}
		}
		noisy = append(noisy, SheetPanel{Map: m, Patches: topography.FindPatches(m, 1.2), Threshold: 1.2, Title: h.String() + " hemisphere"})
	}
	if err := WriteSheetMap(filepath.Join(dir, "noisy"), noisy, SheetMapOptions{Title: "Many patches", ValueLabel: "face d′", Min: -1, Max: 2}); err != nil {
		t.Fatal(err)
	}
	if err := WriteLinePlot(filepath.Join(dir, "lines"), "Response correlation vs cortical distance", "cortical distance (mm)", "response correlation r", testSeries()); err != nil {
		t.Fatal(err)
	}
}

func ExampleSheetMap() {
	m := &topography.Map{Hemi: topography.Left, Step_mm: 0.5, NX: 20, NY: 20, V: make([]float64, 400)}
	for i := range m.V {
		m.V[i] = math.Sin(float64(i%20)/3) * math.Cos(float64(i/20)/4)
	}
	panels := []SheetPanel{{Map: m, Patches: topography.FindPatches(m, 0.5), Threshold: 0.5, Title: "Left hemisphere IT"}}
	pngData, _, err := SheetMap(panels, SheetMapOptions{Title: "Example", ValueLabel: "face d′"})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	fmt.Println(cfg.Width, cfg.Height, err)
	// Output: 1500 675 <nil>
}

func TestNiceTicks(t *testing.T) {
	labels := func(lo, hi float64) string {
		var s []string
		for _, tk := range (niceTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				s = append(s, tk.Label)
			}
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 10, "0 2 4 6 8 10"},
		{0.25, 8, "2 4 6 8"},
		{-0.06, 0.67, "0.0 0.2 0.4 0.6"},
		{-1.99, 1.99, "−1.5 −1.0 −0.5 0.0 0.5 1.0 1.5"},
		{-4, 4, "−4 −2 0 2 4"},
		{0, 3, "0 1 2 3"},
	} {
		if got := labels(tc.lo, tc.hi); got != tc.want {
			t.Errorf("ticks on [%g, %g]: %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// IntervalPlot refuses a series whose points do not match the categories
// and draws a valid one, skipping non-finite intervals.
func TestIntervalPlot(t *testing.T) {
	cats := []string{"patch", "outside"}
	if _, _, err := IntervalPlot("t", "Δ", cats, []IntervalSeries{{Name: "a", Points: []Interval{iv(1, 0, 2)}}}); err == nil {
		t.Error("1 point for 2 categories accepted")
	}
	png, svg, err := IntervalPlot("t", "Δ d′", cats, []IntervalSeries{
		{Name: "contra", Points: []Interval{iv(-0.4, -0.6, -0.2), iv(0.1, -0.1, 0.3)}},
		{Name: "ipsi", Points: []Interval{iv(0, -0.1, 0.1), iv(math.NaN(), 0, 0)}},
	})
	if err != nil || len(png) < 1000 || !bytes.Contains(svg, []byte("outside")) {
		t.Fatalf("err %v, png %d bytes, svg names the category: %v", err, len(png), bytes.Contains(svg, []byte("outside")))
	}
	// An estimate without a CI is still drawn, with its values as dots (a
	// second category with a CI fixes the axes).
	paths := func(first Interval) int {
		_, svg, err := IntervalPlot("t", "Δ", cats, []IntervalSeries{{Name: "a", Points: []Interval{first, iv(0, -1, 1)}}})
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(svg, []byte("<path"))
	}
	none, marker := paths(iv(math.NaN(), 0, 0)), paths(Interval{Value: 0.5, Lo: math.NaN(), Hi: math.NaN()})
	dots := paths(Interval{Value: 0.5, Lo: math.NaN(), Hi: math.NaN(), Values: []float64{0.2, 0.8}})
	if marker != none+1 || dots != marker+2 {
		t.Errorf("paths: %d without the estimate, %d with its marker, %d with 2 dots; want +1, then +2", none, marker, dots)
	}
}

func iv(v, lo, hi float64) Interval { return Interval{Value: v, Lo: lo, Hi: hi} }

// HemispherePanels gives each hemisphere its own patches, threshold, sites
// and title, left first.
func TestHemispherePanels(t *testing.T) {
	patches := []topography.Patch{{Hemi: topography.Right, Area_mm2: 1}, {Hemi: topography.Left, Area_mm2: 2}, {Hemi: topography.Right, Area_mm2: 3}}
	sites := [2][]SiteMark{{{Label: "a"}}, nil}
	p := HemispherePanels([2]*topography.Map{}, patches, [2]float64{0.5, 0.7}, sites, [2]string{"L", "R"})
	if len(p) != 2 || p[0].Title != "L" || p[1].Title != "R" || p[0].Threshold != 0.5 || p[1].Threshold != 0.7 {
		t.Fatalf("panels %+v", p)
	}
	if len(p[0].Patches) != 1 || p[0].Patches[0].Area_mm2 != 2 || len(p[1].Patches) != 2 || p[1].Patches[1].Area_mm2 != 3 {
		t.Errorf("patches left %+v, right %+v; want the 2 mm² one left, 1 and 3 mm² right", p[0].Patches, p[1].Patches)
	}
	if len(p[0].Sites) != 1 || p[1].Sites != nil {
		t.Errorf("sites left %v, right %v", p[0].Sites, p[1].Sites)
	}
}
