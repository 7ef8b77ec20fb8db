package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

func init() {
	Register(hardwareProtocol{faceTaskProtocol{named{"hardware", "Device comparison on the Afraz et al. (2006) face-detection task: how much " +
		"behavioural control a stimulation device buys (microstim's hardware-planning protocol)."}}})
}

// hardwareProtocol compares stimulation devices on the face-detection task
// of Afraz et al. (2006), in resumable sweeps.
type hardwareProtocol struct{ faceTaskProtocol }

func (hardwareProtocol) Defaults() Config { return hardwareDefaults() }

func (hardwareProtocol) Validate(c *Config) error { return validateHardware(c) }

// Work: the face task for every placement and seed, with two fits each.
func (hardwareProtocol) Work(c *Config, sites int) Work {
	w := faceTaskWork(c, sites)
	w.Repeats = float64(c.Placement.NPlacements * c.Placement.NSeeds)
	w.Fits = w.Repeats * 2
	return w
}

// Tables: the device, its placement and safety limits, and the sweep.
func (hardwareProtocol) Tables() []string { return []string{"device", "placement", "safety", "sweep"} }

// PatchCentreSites: one placement of the device at a time; its contacts
// act together.
func (hardwareProtocol) PatchCentreSites(int) int { return 1 }

func (hardwareProtocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunSweep(c, m, pool, SweepOptions{Progress: progress})
}

// IsSweep reports whether c is a device sweep, written in place and
// resumable (microstim sweep).
func (c *Config) IsSweep() bool { return c.reads("sweep") }

// hardwareDefaults: the Afraz 2006 task and microstimulation parameters, a
// single electrode aimed at the centre of the strongest face patch with
// 0.5 mm targeting error, 8 placements × 2 seeds, the Shannon limit
// (k = 1.85) on a 2,000 µm² contact.
func hardwareDefaults() Config {
	c := Config{Protocol: "hardware", Seed: 1, Stimuli: StimuliConfig{Set: "embedded"}, Task: faceDetectionTask(), Perturbation: afrazMicrostim()}
	c.Task.BootstrapReps = 1000
	c.Sites = SitesConfig{Rule: "face_patch_centre", DPrimeThreshold: 1, Radius_mm: 0.5, Grid_mm: 0.5, Hemisphere: "both"}
	c.Device = &DeviceConfig{Type: "single", NElectrodes: 1, Pitch_um: sim.UtahPitch_um, ContactArea_um2: sim.DefaultContactArea_um2}
	c.Placement = &PlacementConfig{Target: "face_patch_centre", Hemisphere: "R", X_mm: 5, Y_mm: 5, TargetingError_mm: 0.5, NPlacements: 8, NSeeds: 2}
	c.Safety = &SafetyConfig{ShannonK: sim.ShannonK}
	return c
}

var deviceTypes = []string{"single", "utah", "grid", "explicit", "fibre", "led_array"}

func validateHardware(c *Config) error {
	if err := validateAfraz2006Task(c); err != nil {
		return err
	}
	d, p, s := c.Device, c.Placement, c.Safety
	if err := oneOf("device.type", d.Type, deviceTypes...); err != nil {
		return err
	}
	if d.Type == "grid" || d.Type == "led_array" {
		if err := checkRange("device.n_electrodes", float64(d.NElectrodes), 1, 1024, " contacts"); err != nil {
			return err
		}
		if err := checkRange("device.pitch_um", d.Pitch_um, 10, 5000, " µm"); err != nil {
			return err
		}
	}
	if d.Type == "explicit" {
		if len(d.Contacts) == 0 {
			return field("device.contact", "none", "type \"explicit\" needs at least one [[device.contact]] with dx_mm, dy_mm")
		}
		for i, ct := range d.Contacts {
			key := fmt.Sprintf("device.contact[%d]", i+1)
			if err := checkRange(key+".dx_mm", ct.DX_mm, -10, 10, " mm"); err != nil {
				return err
			}
			if err := checkRange(key+".dy_mm", ct.DY_mm, -10, 10, " mm"); err != nil {
				return err
			}
			if err := checkRange(key+".current_uA", ct.Current_uA, 0, 5000, " µA (0: perturbation.current_uA)"); err != nil {
				return err
			}
		}
	}
	optical := d.Type == "fibre" || d.Type == "led_array"
	switch k := c.Perturbation.Kind; {
	case k == "optogenetic" && !optical:
		return field("device.type", fmt.Sprintf("%q", d.Type), "optogenetics needs a light source: \"fibre\" or \"led_array\"")
	case k != "optogenetic" && optical:
		return field("device.type", fmt.Sprintf("%q", d.Type), fmt.Sprintf("a light source needs perturbation.kind = \"optogenetic\" (got %q)", k))
	}
	if err := checkRange("device.total_current_uA", d.TotalCurrent_uA, 0, 100000, " µA (0: perturbation.current_uA per contact)"); err != nil {
		return err
	}
	if err := checkRange("device.contact_area_um2", d.ContactArea_um2, 1, 1e6, " µm²"); err != nil {
		return err
	}
	if err := oneOf("placement.target", p.Target, "face_patch_centre", "explicit"); err != nil {
		return err
	}
	if err := oneOf("placement.hemisphere", p.Hemisphere, "L", "R"); err != nil {
		return err
	}
	if err := checkRange("placement.x_mm", p.X_mm, 0, 10, " mm (IT sheet)"); err != nil {
		return err
	}
	if err := checkRange("placement.y_mm", p.Y_mm, 0, 10, " mm (IT sheet)"); err != nil {
		return err
	}
	if err := checkRange("placement.targeting_error_mm", p.TargetingError_mm, 0, 5, " mm"); err != nil {
		return err
	}
	if err := checkRange("placement.n_placements", float64(p.NPlacements), 1, 10000, ""); err != nil {
		return err
	}
	if err := checkRange("placement.n_seeds", float64(p.NSeeds), 1, 1000, ""); err != nil {
		return err
	}
	if err := checkRange("safety.shannon_k", s.ShannonK, 0.5, 3, " (Shannon 1992: 1.5–2.0, default 1.85)"); err != nil {
		return err
	}
	if err := checkRange("safety.max_charge_density_uC_cm2", s.MaxChargeDensity_uC_cm2, 0, 1e6, " µC/cm² (0: none)"); err != nil {
		return err
	}
	return checkRange("safety.max_total_current_uA", s.MaxTotalCurrent_uA, 0, 1e6, " µA (0: none)")
}

// BuildDevice returns the device the config describes, with per-contact
// currents when total_current_uA splits a total over the contacts.
func (c *Config) BuildDevice() sim.Device {
	d := c.Device
	var dev sim.Device
	switch d.Type {
	case "single":
		dev = sim.SingleElectrode()
	case "utah":
		dev = sim.UtahArray()
	case "grid":
		dev = sim.GridArray(d.NElectrodes, d.Pitch_um)
	case "fibre":
		dev = sim.OpticalFibre()
	case "led_array":
		dev = sim.LEDArray(d.NElectrodes, d.Pitch_um)
	case "explicit":
		dev = sim.Device{Name: fmt.Sprintf("%d explicit contacts", len(d.Contacts)), Source: "config"}
		for _, ct := range d.Contacts {
			dev.Contacts = append(dev.Contacts, sim.Contact{DX_mm: ct.DX_mm, DY_mm: ct.DY_mm, Current_uA: ct.Current_uA})
		}
	}
	if d.TotalCurrent_uA > 0 && !dev.Optical {
		for i := range dev.Contacts {
			dev.Contacts[i].Current_uA = d.TotalCurrent_uA / float64(len(dev.Contacts))
		}
	}
	return dev
}

// contactCurrents returns each contact's current (µA) for the safety check.
func (c *Config) contactCurrents(dev sim.Device) []float64 {
	out := make([]float64, len(dev.Contacts))
	for i, ct := range dev.Contacts {
		out[i] = c.Perturbation.Current_uA
		if ct.Current_uA > 0 {
			out[i] = ct.Current_uA
		}
	}
	return out
}

// CheckSafety assesses the config's device and pulse (electrical only).
func (c *Config) CheckSafety() (sim.Safety, bool, error) {
	if c.Perturbation.Kind != "microstim" {
		return sim.Safety{}, false, nil
	}
	dev := c.BuildDevice()
	s, err := sim.CheckSafety(c.contactCurrents(dev), c.Perturbation.PulseWidth_us, c.Device.ContactArea_um2,
		sim.SafetyLimits{ShannonK: c.Safety.ShannonK, MaxChargeDensity_uC_cm2: c.Safety.MaxChargeDensity_uC_cm2, MaxTotalCurrent_uA: c.Safety.MaxTotalCurrent_uA})
	return s, true, err
}

// hardwareTask is what every point of a sweep shares: the face-detection
// test items, the frozen readout, the cached network, the IT face
// selectivity and, for target "face_patch_centre", the patch centre.
type hardwareTask struct {
	*condRun
	items    []paradigm.Item
	levels   []float64
	it       *topography.Layout
	fs       *faceSelectivity
	radius   float64   // neighbourhood of the aim's d′, mm
	patchAim *sim.Site // centre of the largest face patch; nil for explicit aims
}

// newHardwareTask prepares the task of config c: the generic pipeline's
// detection of faces at the configured signal levels (Afraz et al. 2006).
func newHardwareTask(c *Config, m *vision.Model, pool []vision.Stimulus) (*hardwareTask, error) {
	g := *c
	g.Task.Kind, g.Task.Target = "detection", "face"
	run, err := newCondRun(&g, m, pool)
	if err != nil {
		return nil, err
	}
	fs, err := measureFaceSelectivity(c, m, pool)
	if err != nil {
		return nil, err
	}
	t := &hardwareTask{condRun: run, items: run.task.Items, levels: c.Task.SignalLevels_pct, it: m.IT(), fs: fs, radius: c.Sites.Radius_mm}
	if c.Placement.Target == "face_patch_centre" {
		patches, _ := topography.FacePatches(m.IT(), fs.UnitDPrime, topography.MapSigma_mm, topography.MapStep_mm, topography.NullPermutations, c.Seed)
		if len(patches) == 0 {
			return nil, fmt.Errorf("placement.target = \"face_patch_centre\": %w", ErrNoFacePatch)
		}
		sort.SliceStable(patches, func(i, j int) bool { return patches[i].Area_mm2 > patches[j].Area_mm2 })
		t.patchAim = &sim.Site{Hemi: patches[0].Hemi, X_mm: patches[0].X_mm, Y_mm: patches[0].Y_mm}
	}
	return t, nil
}

// aim returns the aim point of a sweep point's config, the largest face
// patch's centre or placement's own point, and its description with the
// pooled face d′ of the IT units within the sites' neighbourhood radius.
func (t *hardwareTask) aim(c *Config) (sim.Site, PointAim, error) {
	a := t.patchAim
	if a == nil {
		h, err := topography.ParseHemisphere(c.Placement.Hemisphere)
		if err != nil {
			return sim.Site{}, PointAim{}, err
		}
		a = &sim.Site{Hemi: h, X_mm: c.Placement.X_mm, Y_mm: c.Placement.Y_mm}
	}
	d, _ := topography.PointDPrime(t.it, t.fs.Resp, t.fs.IsFace, a.Hemi, a.X_mm, a.Y_mm, t.radius)
	return *a, PointAim{Hemisphere: a.Hemi.String(), X_mm: a.X_mm, Y_mm: a.Y_mm, DPrime: d}, nil
}

// Replicate metrics of one placement and seed.
const (
	MetricShift   = "shift_pct"          // psychometric shift toward "face", % signal
	MetricDeltaAc = "delta_accuracy_pct" // change in % correct (signal ≠ 0)
	MetricControl = "control_pct"        // change in % "face" choices on non-face images: pushing choices toward the target category
)

// Metrics lists the behavioural measures of a sweep point, with units.
var Metrics = []struct{ Name, Label, Short string }{
	{MetricShift, "psychometric shift toward \"face\" (% signal)", "Shift toward \"face\""},
	{MetricDeltaAc, "Δ% correct (percentage points)", "Δ% correct"},
	{MetricControl, "Δ% \"face\" choices on non-face images (percentage points)", "Control: \"face\" on non-faces"},
}

// replicate runs one placement with one seed and returns the metrics and
// the number of contacts off the sheet.
func (t *hardwareTask) replicate(c *Config, aim sim.Site, pert sim.Perturbation, dev sim.Device, rep int) (map[string]float64, int, error) {
	seed := c.Seed*1_000_003 + uint64(rep)
	r := rand.New(rand.NewPCG(seed, 0x706c6163))
	sites, dropped := dev.Place(t.eng.Layout(), sim.Placement{Hemi: aim.Hemi, X_mm: aim.X_mm, Y_mm: aim.Y_mm,
		TargetingError_mm: c.Placement.TargetingError_mm}, r)
	out := map[string]float64{MetricShift: math.NaN(), MetricDeltaAc: math.NaN(), MetricControl: math.NaN()}
	if len(sites) == 0 {
		return out, dropped, nil
	}
	stimP, err := perturbedProbs(t.eng, t.readout, pert, sites)
	if err != nil {
		return nil, dropped, err
	}
	kc := sim.SimulateChoices(t.ctrlP, c.Task.TrialsPerImage, c.Task.Lapse, seed*2)
	ks := sim.SimulateChoices(stimP, c.Task.TrialsPerImage, c.Task.Lapse, seed*2+1)
	var correct, faceOnNon [2]float64
	var nCorrect, nNon float64
	for i, item := range t.items {
		if item.Level == 0 {
			continue
		}
		y := b2i(item.Target)
		correct[0] += float64(kc[i][y])
		correct[1] += float64(ks[i][y])
		nCorrect += float64(c.Task.TrialsPerImage)
		if !item.Target {
			faceOnNon[0] += float64(kc[i][1])
			faceOnNon[1] += float64(ks[i][1])
			nNon += float64(c.Task.TrialsPerImage)
		}
	}
	out[MetricDeltaAc] = 100 * (correct[1] - correct[0]) / nCorrect
	out[MetricControl] = 100 * (faceOnNon[1] - faceOnNon[0]) / nNon
	out[MetricShift] = psychometricShift(t.levels, t.items, kc, ks, c.Task.TrialsPerImage, func(paradigm.Item) bool { return true })
	return out, dropped, nil
}
