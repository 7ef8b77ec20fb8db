package plots

import (
	"bytes"
	"math"
	"testing"
)

// HeatMap renders a grid with a missing cell, refuses ragged rows, and is
// deterministic.
func TestHeatMap(t *testing.T) {
	g := Grid{X: []float64{200, 400, 800}, Y: []float64{10, 50}, Z: [][]float64{{1, 2, math.NaN()}, {-3, 4, 5}},
		XLabel: "pitch (µm)", YLabel: "current (µA)", ZLabel: "shift (% signal)"}
	png1, svg1, err := HeatMap("test", g)
	if err != nil {
		t.Fatal(err)
	}
	png2, svg2, _ := HeatMap("test", g)
	if !bytes.Equal(png1, png2) || !bytes.Equal(svg1, svg2) {
		t.Error("HeatMap is not deterministic")
	}
	if !bytes.HasPrefix(png1, []byte("\x89PNG")) || !bytes.Contains(svg1, []byte("pitch (µm)")) || !bytes.Contains(svg1, []byte("−3.00")) {
		t.Error("HeatMap output lacks the PNG header, the axis label or a cell label")
	}
	g.Z[1] = []float64{1}
	if _, _, err := HeatMap("ragged", g); err == nil {
		t.Error("ragged grid accepted")
	}
}
