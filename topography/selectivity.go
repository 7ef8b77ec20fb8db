package topography

import (
	"math"

	"gonum.org/v1/gonum/stat"
)

// DPrime returns the sensitivity index of on against off,
//
//	d′ = (mean(on) − mean(off)) / sqrt((s²(on) + s²(off)) / 2),
//
// where s² is the unbiased sample variance. DPrime returns 0 when the pooled
// variance is 0 and NaN when either sample has fewer than two values.
func DPrime(on, off []float64) float64 {
	if len(on) < 2 || len(off) < 2 {
		return math.NaN()
	}
	mOn, vOn := stat.MeanVariance(on, nil)
	mOff, vOff := stat.MeanVariance(off, nil)
	pooled := (vOn + vOff) / 2
	if pooled == 0 {
		return 0
	}
	return (mOn - mOff) / math.Sqrt(pooled)
}

// WelchT returns Welch's t statistic of on against off,
//
//	t = (mean(on) − mean(off)) / sqrt(s²(on)/n(on) + s²(off)/n(off)),
//
// where s² is the unbiased sample variance. WelchT returns 0 when the
// denominator is 0 and NaN when either sample has fewer than two values.
func WelchT(on, off []float64) float64 {
	if len(on) < 2 || len(off) < 2 {
		return math.NaN()
	}
	mOn, vOn := stat.MeanVariance(on, nil)
	mOff, vOff := stat.MeanVariance(off, nil)
	den := math.Sqrt(vOn/float64(len(on)) + vOff/float64(len(off)))
	if den == 0 {
		return 0
	}
	return (mOn - mOff) / den
}

// UnitDPrimes returns the d′ of every unit for the images with isOn true
// against those with isOn false. resp is indexed [image][unit] and must be
// rectangular with one row per entry of isOn; otherwise UnitDPrimes returns
// nil.
func UnitDPrimes(resp [][]float64, isOn []bool) []float64 {
	units, ok := respUnits(resp)
	if !ok || len(resp) != len(isOn) {
		return nil
	}
	var on, off []float64
	out := make([]float64, units)
	for u := range out {
		on, off = on[:0], off[:0]
		for img, row := range resp {
			if isOn[img] {
				on = append(on, row[u])
			} else {
				off = append(off, row[u])
			}
		}
		out[u] = DPrime(on, off)
	}
	return out
}

// Site is a simulated multi-unit recording site on a hemisphere's sheet.
type Site struct {
	Hemi   Hemisphere `json:"hemisphere"` // sheet of the site
	X_mm   float64    `json:"x_mm"`       // site position on the sheet
	Y_mm   float64    `json:"y_mm"`       // site position on the sheet
	DPrime float64    `json:"dprime"`     // d′ of the pooled (summed) response
	Units  int        `json:"units"`      // number of units pooled
}

// SiteDPrimes simulates multi-unit recordings in the manner of Afraz et al.
// (2015): on each hemisphere it places sites on a square grid of spacing
// grid_mm (at grid_mm/2, 3·grid_mm/2, … inside the sheet), sums, per image,
// the responses of all units of that hemisphere within radius_mm of the site
// and returns the d′ of the summed response, on-images against off-images.
//
// resp is indexed [image][unit] and must have one row per entry of isOn and
// l.Units() columns. Sites with no unit in range are omitted. Sites are
// ordered by hemisphere (Left first), then by row, then by column.
// SiteDPrimes returns nil for inconsistent input or non-positive grid_mm or
// radius_mm.
func SiteDPrimes(l *Layout, resp [][]float64, isOn []bool, grid_mm, radius_mm float64) []Site {
	if layoutErr(l) != nil || !(grid_mm > 0) || !(radius_mm > 0) {
		return nil
	}
	units, ok := respUnits(resp)
	if !ok || units != l.Units() || len(resp) != len(isOn) {
		return nil
	}
	nx := int(math.Floor(l.Sheet.Width_mm/grid_mm + 0.5 + 1e-9))
	ny := int(math.Floor(l.Sheet.Height_mm/grid_mm + 0.5 + 1e-9))
	r2 := radius_mm * radius_mm
	var sites []Site
	var near []int
	for _, h := range [2]Hemisphere{Left, Right} {
		members := l.UnitsOf(h)
		for iy := 0; iy < ny; iy++ {
			y := (float64(iy) + 0.5) * grid_mm
			for ix := 0; ix < nx; ix++ {
				x := (float64(ix) + 0.5) * grid_mm
				near = near[:0]
				for _, u := range members {
					dx, dy := l.X_mm[u]-x, l.Y_mm[u]-y
					if dx*dx+dy*dy <= r2 {
						near = append(near, u)
					}
				}
				if len(near) == 0 {
					continue
				}
				sites = append(sites, Site{Hemi: h, X_mm: x, Y_mm: y, DPrime: PooledDPrime(resp, near, isOn), Units: len(near)})
			}
		}
	}
	return sites
}

// respUnits returns the number of columns of a non-empty rectangular
// response matrix.
func respUnits(resp [][]float64) (units int, ok bool) {
	if len(resp) == 0 {
		return 0, false
	}
	units = len(resp[0])
	for _, row := range resp {
		if len(row) != units {
			return 0, false
		}
	}
	return units, true
}

// PooledDPrime is the d′ of the summed responses of units (a multi-unit
// signal), images with isOn true against the rest.
func PooledDPrime(resp [][]float64, units []int, isOn []bool) float64 {
	var on, off []float64
	for img, row := range resp {
		s := 0.0
		for _, u := range units {
			s += row[u]
		}
		if isOn[img] {
			on = append(on, s)
		} else {
			off = append(off, s)
		}
	}
	return DPrime(on, off)
}

// PointDPrime is Afraz's multi-unit d′ at one point: the units of
// hemisphere h within radius_mm of (x_mm, y_mm) pooled per image. It also
// returns the number of units pooled.
func PointDPrime(l *Layout, resp [][]float64, isOn []bool, h Hemisphere, x_mm, y_mm, radius_mm float64) (float64, int) {
	var units []int
	for i := range l.Hemi {
		dx, dy := l.X_mm[i]-x_mm, l.Y_mm[i]-y_mm
		if l.Hemi[i] == h && dx*dx+dy*dy <= radius_mm*radius_mm { // as SiteDPrimes
			units = append(units, i)
		}
	}
	return PooledDPrime(resp, units, isOn), len(units)
}
