package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/microstim/microstim/topography"
)

// Contact is one electrode contact or light source of a device, at an
// offset from the device's centre on the cortical sheet.
type Contact struct {
	DX_mm, DY_mm float64
	Current_uA   float64 // electrodes: this contact's current (0: the experiment's)
	Power_mW     float64 // light sources: this source's power (0: the experiment's)
}

// Device is an electrode array or a set of light sources placed on a
// cortical sheet.
type Device struct {
	Name     string
	Optical  bool      // light sources (optogenetics) rather than electrodes
	Contacts []Contact // offsets from the centre
	Source   string    // where the geometry comes from
}

// UtahPitch_um is the Utah array's electrode spacing: 10 × 10 electrodes
// 400 µm apart (Maynard, Nordhausen & Normann 1997, Electroencephalogr Clin
// Neurophysiol 102:228–239; the Cortivis implant of pulse2percept uses the
// same geometry).
const UtahPitch_um = 400

// SingleElectrode is one microelectrode, as in Afraz et al. 2006 and
// Moeller et al. 2017.
func SingleElectrode() Device {
	return Device{Name: "single electrode", Contacts: []Contact{{}}, Source: "one microelectrode (Afraz et al. 2006; Moeller et al. 2017)"}
}

// UtahArray is the 10 × 10, 400 µm Utah array.
func UtahArray() Device {
	d := GridArray(100, UtahPitch_um)
	d.Name = "Utah array 10×10, 400 µm"
	d.Source = "Maynard, Nordhausen & Normann 1997, Electroencephalogr Clin Neurophysiol 102:228–239"
	return d
}

// GridArray is n contacts on a square grid with the given pitch, centred on
// the placement point, filled row by row (a custom array: ⌈√n⌉ columns).
func GridArray(n int, pitch_um float64) Device {
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	p := pitch_um / 1000
	d := Device{Name: fmt.Sprintf("%d-contact grid, %g µm", n, pitch_um), Source: "custom square grid"}
	for k := 0; k < n; k++ {
		r, c := k/cols, k%cols
		d.Contacts = append(d.Contacts, Contact{DX_mm: (float64(c) - float64(cols-1)/2) * p, DY_mm: (float64(r) - float64(rows-1)/2) * p})
	}
	return d
}

// OpticalFibre is one fibre tip (Afraz et al. 2015: ~12 mW total output).
func OpticalFibre() Device {
	return Device{Name: "optical fibre", Optical: true, Contacts: []Contact{{}}, Source: "one fibre (Afraz, Boyden & DiCarlo 2015)"}
}

// LEDArray is n light sources on a square grid with the given pitch
// (implantable LED arrays for primate optogenetics: Rajalingham et al.
// 2021, Nat Methods 18:1112–1116; Azadi et al. 2023).
func LEDArray(n int, pitch_um float64) Device {
	d := GridArray(n, pitch_um)
	d.Name, d.Optical = fmt.Sprintf("%d-LED array, %g µm", n, pitch_um), true
	d.Source = "LED array (Rajalingham et al. 2021, Nat Methods 18:1112–1116)"
	return d
}

// Placement is where a device goes: its intended centre on one
// hemisphere's sheet and the targeting error.
type Placement struct {
	Hemi              topography.Hemisphere
	X_mm, Y_mm        float64
	TargetingError_mm float64 // RMS radial displacement of the actual centre (isotropic Gaussian)
}

// Place returns the device's contacts as perturbation sites: the centre is
// displaced by an isotropic Gaussian offset of RMS radius
// TargetingError_mm (σ = error/√2 per axis, drawn from r), and contacts
// that land off the sheet are dropped (their number is returned).
func (d Device) Place(l *topography.Layout, p Placement, r *rand.Rand) (sites []Site, dropped int) {
	cx, cy := p.X_mm, p.Y_mm
	if p.TargetingError_mm > 0 {
		s := p.TargetingError_mm / math.Sqrt2
		cx += s * r.NormFloat64()
		cy += s * r.NormFloat64()
	}
	for _, c := range d.Contacts {
		x, y := cx+c.DX_mm, cy+c.DY_mm
		if x < 0 || y < 0 || x > l.Sheet.Width_mm || y > l.Sheet.Height_mm {
			dropped++
			continue
		}
		sites = append(sites, Site{Hemi: p.Hemi, X_mm: x, Y_mm: y, Current_uA: c.Current_uA, Power_mW: c.Power_mW})
	}
	return sites, dropped
}
