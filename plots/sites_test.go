package plots

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/microstim/microstim/topography"
	"gonum.org/v1/plot/palette/moreland"
)

// sitePanels returns plantedPanels(n) with three sites on the left panel
// (values −3, 0 and 3, one on the face patch) and one on the right.
func sitePanels(n int) []SheetPanel {
	ps := plantedPanels(n)
	w := float64(n) * 0.25
	ps[0].Sites = []SiteMark{
		{X_mm: 0.3 * w, Y_mm: 0.65 * w, Value: 3, Label: "S1"},
		{X_mm: 0.75 * w, Y_mm: 0.25 * w, Value: -3, Label: "S2"},
		{X_mm: 0.5 * w, Y_mm: 0.9 * w, Value: 0, Label: "S3"},
	}
	ps[1].Sites = []SiteMark{{X_mm: 0.5 * w, Y_mm: 0.5 * w, Value: math.NaN(), Label: "S4"}}
	return ps
}

var siteOpt = SheetMapOptions{Title: "Stimulation sites", ValueLabel: "face d′", SiteLabel: "shift toward face (% signal)"}

func TestSheetMapSites(t *testing.T) {
	panels := sitePanels(40)
	pngData, svg, err := SheetMap(panels, siteOpt)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, pngData)

	// Sites at ±3 get the two ends of the purple–orange palette, both on
	// the markers and on the second colour bar.
	cm := moreland.SmoothPurpleOrange()
	cm.SetMin(-3)
	cm.SetMax(3)
	pal := cm.Palette(paletteColors).Colors()
	for _, c := range []struct {
		name string
		k    int
	}{{"purple", 0}, {"orange", len(pal) - 1}} {
		if n := colourCount(img, pal[c.k], 6); n < 60 {
			t.Errorf("PNG has %d %s site-palette pixels, want ≥ 60", n, c.name)
		}
	}

	// Under sites the map is grey: the blue-red palette is gone and most
	// of the data area is neutral grey.
	grey := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r == g && g == bl && r>>8 >= greyDark && r>>8 <= greyLight {
				grey++
			}
		}
	}
	if grey < 100000 {
		t.Errorf("PNG has %d grey pixels, want ≥ 100000 (grey map under sites)", grey)
	}
	blueRed := moreland.SmoothBlueRed()
	blueRed.SetMin(-1)
	blueRed.SetMax(1)
	brPal := blueRed.Palette(paletteColors).Colors()
	if n := colourCount(img, brPal[0], 6) + colourCount(img, brPal[len(brPal)-1], 6); n > 0 {
		t.Errorf("PNG has %d pixels of the blue-red palette ends despite sites", n)
	}

	// Filled markers add site-palette pixels: compare with the same sites
	// without values, which are drawn as open circles.
	nanSites := sitePanels(40)
	for i := range nanSites {
		nanSites[i].Sites = slices.Clone(nanSites[i].Sites)
		for j := range nanSites[i].Sites {
			nanSites[i].Sites[j].Value = math.NaN()
		}
	}
	nanOpt := siteOpt
	nanOpt.SiteMin, nanOpt.SiteMax = -3, 3
	pngNaN, _, err := SheetMap(nanSites, nanOpt)
	if err != nil {
		t.Fatal(err)
	}
	imgNaN := decodePNG(t, pngNaN)
	// Only the colour bar shows the palette ends now (about 8×0.5 pt each).
	if with, without := colourCount(img, pal[0], 6), colourCount(imgNaN, pal[0], 6); with-without < 20 {
		t.Errorf("filled markers add %d purple pixels (%d with, %d without), want ≥ 20", with-without, with, without)
	}

	checkXML(t, svg)
	s := string(svg)
	for _, want := range []string{siteOpt.SiteLabel, "face d′", "S1", "S2", "S3", "S4", "3 sites", "1 site"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}

	// Without sites the figure is exactly the one of the plain panels.
	plain, _, _ := SheetMap(plantedPanels(40), siteOpt)
	noSites, _, _ := SheetMap(plantedPanels(40), SheetMapOptions{Title: siteOpt.Title, ValueLabel: siteOpt.ValueLabel})
	if string(plain) != string(noSites) {
		t.Error("site options change a figure without sites")
	}
}

func TestSiteScale(t *testing.T) {
	panels := sitePanels(16)
	s, err := siteScale(panels, SheetMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.lo != -3 || s.hi != 3 {
		t.Errorf("automatic site range [%g, %g], want ±3", s.lo, s.hi)
	}
	if s, _ := siteScale(panels, SheetMapOptions{SiteMin: 0, SiteMax: 10}); s.lo != 0 || s.hi != 10 || s.index(0) != paletteColors/2 {
		t.Errorf("explicit site range [%g, %g] with 0 at %d, want [0, 10] with 0 at %d", s.lo, s.hi, s.index(0), paletteColors/2)
	}
	if s, _ := siteScale(plantedPanels(16), SheetMapOptions{}); s != nil {
		t.Error("no sites but a site scale")
	}
}

func TestSheetMapSiteErrors(t *testing.T) {
	mod := func(fn func(p []SheetPanel)) []SheetPanel {
		p := sitePanels(16)
		fn(p)
		return p
	}
	cases := []struct {
		name   string
		panels []SheetPanel
		opt    SheetMapOptions
	}{
		{"site right of map", mod(func(p []SheetPanel) { p[0].Sites[0].X_mm = 4.01 }), SheetMapOptions{}},
		{"site below map", mod(func(p []SheetPanel) { p[1].Sites[0].Y_mm = -0.1 }), SheetMapOptions{}},
		{"NaN position", mod(func(p []SheetPanel) { p[0].Sites[1].X_mm = math.NaN() }), SheetMapOptions{}},
		{"Inf value", mod(func(p []SheetPanel) { p[0].Sites[2].Value = math.Inf(-1) }), SheetMapOptions{}},
		{"site min > max", sitePanels(16), SheetMapOptions{SiteMin: 2, SiteMax: 1}},
		{"NaN site range", sitePanels(16), SheetMapOptions{SiteMin: math.NaN(), SiteMax: 1}},
	}
	for _, tc := range cases {
		if _, _, err := SheetMap(tc.panels, tc.opt); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	// Sites on the map's edge are fine.
	edge := mod(func(p []SheetPanel) { p[0].Sites[0].X_mm, p[0].Sites[0].Y_mm = 4, 0 })
	if _, _, err := SheetMap(edge, SheetMapOptions{}); err != nil {
		t.Errorf("site on the edge: %v", err)
	}
}

// TestWriteSamplesNew writes sample scatter plots and site maps into
// $PLOTS_SAMPLE_DIR for viewing; it is skipped when the variable is unset.
func TestWriteSamplesNew(t *testing.T) {
	dir := os.Getenv("PLOTS_SAMPLE_DIR")
	if dir == "" {
		t.Skip("PLOTS_SAMPLE_DIR not set")
	}
	if err := WriteScatterPlot(filepath.Join(dir, "scatter"), testScatter(), testScatterOpt); err != nil {
		t.Fatal(err)
	}
	// Many points, three series, no fit.
	var many []ScatterSeries
	for k := range 3 {
		s := ScatterSeries{Name: []string{"topographic (α = 0.5)", "baseline (α = 0)", "monkey M1"}[k], Hollow: k == 2}
		for i := range 60 {
			x := math.Sin(float64(i*7+k)) * 2
			s.X = append(s.X, x)
			s.Y = append(s.Y, float64(k+1)*x+3*math.Cos(float64(i*13+k)))
		}
		many = append(many, s)
	}
	if err := WriteScatterPlot(filepath.Join(dir, "scatter_many"), many, ScatterOptions{Title: "Dense", XLabel: "face d′", YLabel: "shift (% signal)", HLines: []float64{0}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSheetMap(filepath.Join(dir, "sheetmap_sites"), sitePanels(40), siteOpt); err != nil {
		t.Fatal(err)
	}
	// A realistic grid of 30 stimulation sites on the noisy map.
	var noisy []SheetPanel
	for k, p := range plantedPanels(80) {
		m := *p.Map
		m.Step_mm = 0.2
		for iy := 0; iy < 6; iy++ {
			for ix := 0; ix < 5; ix++ {
				x, y := 1.5+float64(ix)*3.1, 1.2+float64(iy)*2.6
				v := 25*math.Exp(-(sq(x-4.8)+sq(y-10.4))/8) - 8*math.Exp(-(sq(x-12)+sq(y-4))/10) + float64(k)
				p.Sites = append(p.Sites, SiteMark{X_mm: x, Y_mm: y, Value: v})
			}
		}
		p.Sites[0].Label = "S1"
		p.Sites[7].Label = "S8"
		p.Map = &m
		p.Patches = topography.FindPatches(&m, 1)
		noisy = append(noisy, p)
	}
	if err := WriteSheetMap(filepath.Join(dir, "sheetmap_sites_grid"), noisy, SheetMapOptions{Title: "Stimulation effects over face d′", ValueLabel: "face d′", SiteLabel: "shift toward face (% signal)", SiteMin: -10, SiteMax: 30}); err != nil {
		t.Fatal(err)
	}
}
