package plots

import (
	"fmt"
	"image/color"

	"github.com/microstim/microstim/topography"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// patchOverlay draws the outlines of patches and labels their centroids
// with their areas.
type patchOverlay struct {
	m           *topography.Map
	patches     []topography.Patch
	outlineOnly bool // no centroid markers or area labels (site markers carry the labels)
}

func (o *patchOverlay) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	s := o.m.Step_mm
	c.SetLineStyle(outlineStyle)
	for _, pt := range o.patches {
		for _, loop := range patchBoundary(o.m.NX, o.m.NY, pt.Cells) {
			var path vg.Path
			for i, v := range loop {
				q := vg.Point{X: trX(float64(v[0]) * s), Y: trY(float64(v[1]) * s)}
				if i == 0 {
					path.Move(q)
				} else {
					path.Line(q)
				}
			}
			path.Close()
			c.Stroke(path)
		}
	}
	if o.outlineOnly {
		return
	}

	// Centroid markers and area labels, largest patches first, skipping
	// labels that would overlap another label or leave the data area.
	sty := textStyle(sizeSmall, false)
	marker := draw.GlyphStyle{Color: color.Black, Radius: vg.Points(2.2), Shape: draw.CrossGlyph{}}
	ringSty := draw.GlyphStyle{Color: color.White, Radius: vg.Points(2.8), Shape: draw.CircleGlyph{}}
	var placed []vg.Rectangle
	for i, pt := range o.patches {
		q := vg.Point{X: trX(pt.X_mm), Y: trY(pt.Y_mm)}
		c.DrawGlyph(ringSty, q)
		c.DrawGlyph(marker, q)
		if i >= maxPatchLabels {
			continue
		}
		txt := areaText(pt.Area_mm2)
		r := sty.Rectangle(txt)
		w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
		pad, d := vg.Points(1.5), vg.Points(4)
		for _, off := range []vg.Point{{X: d, Y: d}, {X: -d - w, Y: d}, {X: d, Y: -d - h}, {X: -d - w, Y: -d - h}} {
			box := vg.Rectangle{
				Min: vg.Point{X: q.X + off.X - pad, Y: q.Y + off.Y - pad},
				Max: vg.Point{X: q.X + off.X + w + pad, Y: q.Y + off.Y + h + pad},
			}
			if !inside(box, c.Rectangle) || overlapsAny(box, placed) {
				continue
			}
			placed = append(placed, box)
			c.FillPolygon(labelBox, []vg.Point{box.Min, {X: box.Max.X, Y: box.Min.Y}, box.Max, {X: box.Min.X, Y: box.Max.Y}})
			c.FillText(sty, vg.Point{X: q.X + off.X - r.Min.X, Y: q.Y + off.Y - r.Min.Y}, txt)
			break
		}
	}
}

// areaText formats an area in mm².
func areaText(a float64) string {
	if a >= 1 {
		return fmt.Sprintf("%.1f mm²", a)
	}
	return fmt.Sprintf("%.2f mm²", a)
}

func inside(r, outer vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Min.Y >= outer.Min.Y && r.Max.X <= outer.Max.X && r.Max.Y <= outer.Max.Y
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, q := range rs {
		if r.Min.X < q.Max.X && q.Min.X < r.Max.X && r.Min.Y < q.Max.Y && q.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// patchBoundary returns the boundary of a set of cells of an nx×ny grid as
// closed loops of grid vertices (vertex (i, j) is the corner at
// (i·step, j·step)); the last vertex of a loop connects to the first.
// Boundary edges separate a cell of the set from a cell outside it or from
// the outside of the grid. Loops run counter-clockwise around the set
// (clockwise around holes), and collinear vertices are dropped.
func patchBoundary(nx, ny int, cells []int) [][][2]int {
	in := make(map[int]bool, len(cells))
	for _, c := range cells {
		in[c] = true
	}
	has := func(ix, iy int) bool { return ix >= 0 && iy >= 0 && ix < nx && iy < ny && in[iy*nx+ix] }

	// Directed edges with the set on their left.
	type edge struct{ from, to [2]int }
	var edges []edge
	out := map[[2]int][]int{}
	add := func(a, b [2]int) {
		out[a] = append(out[a], len(edges))
		edges = append(edges, edge{a, b})
	}
	for _, c := range cells {
		ix, iy := c%nx, c/nx
		if !has(ix, iy-1) {
			add([2]int{ix, iy}, [2]int{ix + 1, iy})
		}
		if !has(ix+1, iy) {
			add([2]int{ix + 1, iy}, [2]int{ix + 1, iy + 1})
		}
		if !has(ix, iy+1) {
			add([2]int{ix + 1, iy + 1}, [2]int{ix, iy + 1})
		}
		if !has(ix-1, iy) {
			add([2]int{ix, iy + 1}, [2]int{ix, iy})
		}
	}

	used := make([]bool, len(edges))
	var loops [][][2]int
	for start := range edges {
		if used[start] {
			continue
		}
		var loop [][2]int
		e := start
		for {
			used[e] = true
			loop = append(loop, edges[e].from)
			d := [2]int{edges[e].to[0] - edges[e].from[0], edges[e].to[1] - edges[e].from[1]}
			// At a vertex shared by two diagonal cells of the set, turn
			// left so that the loop hugs the current cell.
			next, rank := -1, 4
			for _, n := range out[edges[e].to] {
				if used[n] {
					continue
				}
				nd := [2]int{edges[n].to[0] - edges[n].from[0], edges[n].to[1] - edges[n].from[1]}
				r := 1 // straight
				switch cross := d[0]*nd[1] - d[1]*nd[0]; {
				case cross > 0:
					r = 0 // left
				case cross < 0:
					r = 2 // right
				}
				if r < rank {
					next, rank = n, r
				}
			}
			if next < 0 {
				break
			}
			e = next
		}
		loops = append(loops, dropCollinear(loop))
	}
	return loops
}

// dropCollinear removes the vertices of a closed polygon that lie on a
// straight line between their neighbours.
func dropCollinear(loop [][2]int) [][2]int {
	n := len(loop)
	var out [][2]int
	for i, v := range loop {
		a, b := loop[(i+n-1)%n], loop[(i+1)%n]
		if (v[0]-a[0])*(b[1]-v[1])-(v[1]-a[1])*(b[0]-v[0]) != 0 {
			out = append(out, v)
		}
	}
	return out
}
