package experiments

import (
	"fmt"
	"math"
	"sync"

	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// Size limits of a config. Each refusal names the limit and the run's
// estimated memory and time (Workload), so that a typo such as 100,000
// sites is caught by validate rather than by the machine running out of
// memory.
const (
	MaxSites        = 2000   // perturbation sites in one run
	MaxSignalLevels = 41     // task.signal_levels_pct entries
	MaxReplicates   = 100000 // placement.n_placements × placement.n_seeds per sweep point
	MaxSweepPoints  = 100000 // points of a [sweep] grid
	MaxMemory_GB    = 16     // estimated peak memory of one run
)

// Workload is a run's estimated size. The memory is dominated by the
// perturbed IT responses held per site (two perturbation variants for the
// Afraz 2006 gain-cap sensitivity); the time adds the network's forward
// passes, the simulated choices and the psychometric fits. The costs are
// measured on 2 cores of the development machine (see Costs); estimates are
// good to about a factor of two.
type Workload struct {
	Sites          int     // perturbed sites (per sweep point: sites × replicates)
	ImagesPerSite  int     // images whose perturbed IT responses are held per site
	ITUnits        int     // units of the perturbed stage's model
	Trials         float64 // simulated choices
	Fits           float64 // psychometric fits, bootstraps included
	ForwardImages  int     // images run through the network
	Memory_GB      float64 // estimated peak resident memory
	Time_s         float64 // estimated time on 2 cores
	SweepPoints    int     // 1 unless the config sweeps
	MemoryIsPerRun bool    // hardware sweeps hold one point per core at a time
}

// Costs are the per-operation costs behind Workload, measured on 2 cores
// (go test -bench on the development machine, 2026-11-29).
var Costs = struct {
	Forward_s, Trial_s, Fit_s, Base_GB float64
}{Forward_s: 1.0 / 130, Trial_s: 20e-9, Fit_s: 3e-4, Base_GB: 0.5}

// Workload estimates the run of c on a model with itUnits IT units.
func (c *Config) Workload(itUnits int) Workload {
	w := Workload{ITUnits: itUnits, SweepPoints: 1, Sites: c.siteCount()}
	t := c.Task
	variants := 1.0
	switch c.Protocol {
	case "afraz2006", "hardware":
		w.ImagesPerSite = 2 * t.TestImages * len(t.SignalLevels_pct)
		w.Fits = float64(w.Sites) * (2 + 2*float64(t.BootstrapReps) + 20) // + 10 sensitivity rows × 2 fits
		variants = 2
	case "afraz2015":
		w.ImagesPerSite = 2 * 2 * t.TestImages // faces × gender, both hemifields
	case "rajalingham2019":
		w.ImagesPerSite = 2 * len(t.Categories) * t.TestImages
	case "moeller2017":
		w.ImagesPerSite = 200 // the face photos of the pool
	}
	w.ForwardImages = 1000 + w.ImagesPerSite // selectivity and decoder sets, then the test images
	w.Trials = 2 * float64(w.Sites) * float64(w.ImagesPerSite) * float64(max(t.TrialsPerImage, 1))
	if c.Protocol == "moeller2017" {
		w.Trials = 4 * float64(w.Sites) * float64(t.TrialsPerCond)
	}
	held := float64(w.Sites) * float64(w.ImagesPerSite) * float64(itUnits) * 4 * variants
	if c.Protocol == "hardware" {
		reps := float64(c.Placement.NPlacements * c.Placement.NSeeds)
		w.Trials *= reps
		w.Fits = reps * float64(w.Sites) * 2
		w.MemoryIsPerRun = true
		held = 2 * float64(w.ImagesPerSite) * float64(itUnits) * 4 // one replicate per core
	}
	w.Memory_GB = Costs.Base_GB + held/1e9
	w.Time_s = float64(w.ForwardImages)*Costs.Forward_s + w.Trials*Costs.Trial_s + w.Fits*Costs.Fit_s +
		float64(w.Sites)*float64(w.ImagesPerSite)*float64(itUnits)*1e-9 // perturbing the held responses
	return w
}

// siteCount returns the number of sites the site rule picks (at most).
func (c *Config) siteCount() int {
	s := c.Sites
	hemis := 2
	if s.Hemisphere != "both" {
		hemis = 1
	}
	switch s.Rule {
	case "explicit":
		return len(s.Explicit)
	case "dprime_split":
		return s.NSelective + s.NOther
	case "random":
		return hemis * s.NPerHemisphere
	case "grid":
		it := topography.Sheets["IT"]
		if !(s.Grid_mm > 0) {
			return 0
		}
		nx := math.Floor(it.Width_mm/s.Grid_mm) + 1
		ny := math.Floor(it.Height_mm/s.Grid_mm) + 1
		return hemis * int(math.Min(nx*ny, 1e9))
	case "face_patch_centre":
		if c.Protocol == "moeller2017" {
			return 2 * hemis // the patch centre and a control site outside
		}
		if c.Protocol == "hardware" && c.Device != nil {
			return max(1, c.Device.NElectrodes, len(c.Device.Contacts))
		}
		return hemis
	}
	return 0
}

// String describes the estimate, e.g. "about 1.5 GB and 40 s on 2 cores".
func (w Workload) String() string {
	per := ""
	if w.SweepPoints > 1 {
		per = fmt.Sprintf(" per sweep point, %d points", w.SweepPoints)
	}
	return fmt.Sprintf("about %.1f GB and %s on 2 cores%s", w.Memory_GB, duration(w.Time_s*float64(w.SweepPoints)), per)
}

func duration(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", math.Max(s, 1))
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	case s < 3*86400:
		return fmt.Sprintf("%.1f h", s/3600)
	}
	return fmt.Sprintf("%.0f days", s/86400)
}

// checkWorkload refuses a config beyond the size limits, giving the limit
// and the estimate.
func (c *Config) checkWorkload() error {
	w := c.Workload(c.itUnits())
	over := func(key string, v any, limit string) error {
		return field(key, v, fmt.Sprintf("%s (this config: %s)", limit, w))
	}
	if n := c.siteCount(); n > MaxSites {
		key := map[string]string{"explicit": "sites.site", "grid": "sites.grid_mm", "random": "sites.n_per_hemisphere"}[c.Sites.Rule]
		if key == "" {
			key = "sites.rule"
		}
		return over(key, fmt.Sprintf("%d sites", n), fmt.Sprintf("at most %d sites per run", MaxSites))
	}
	if n := len(c.Task.SignalLevels_pct); n > MaxSignalLevels {
		return over("task.signal_levels_pct", fmt.Sprintf("%d levels", n), fmt.Sprintf("at most %d levels", MaxSignalLevels))
	}
	if p := c.Placement; p != nil && p.NPlacements*p.NSeeds > MaxReplicates {
		return over("placement.n_placements", fmt.Sprintf("%d × %d replicates", p.NPlacements, p.NSeeds), fmt.Sprintf("n_placements × n_seeds at most %d", MaxReplicates))
	}
	if w.Memory_GB > MaxMemory_GB {
		return over("sites", fmt.Sprintf("%d sites × %d images", w.Sites, w.ImagesPerSite), fmt.Sprintf("at most %d GB of estimated memory: fewer sites, images or levels", MaxMemory_GB))
	}
	return nil
}

// itUnits returns the IT units of the config's model: read from the weight
// file's header by ParseConfig, or the embedded default model's.
func (c *Config) itUnits() int {
	if c.modelITUnits > 0 {
		return c.modelITUnits
	}
	return defaultITUnits()
}

var defaultITUnits = sync.OnceValue(func() int {
	m, _, _, err := vision.Default()
	if err != nil {
		return 4096
	}
	return m.Arch.ITUnits()
})

// Estimate is the Workload of c on its own model, with the number of sweep
// points for a hardware sweep.
func (c *Config) Estimate() Workload {
	w := c.Workload(c.itUnits())
	if axes, err := c.SweepAxes(nil); err == nil {
		for _, a := range axes {
			w.SweepPoints *= len(a.Values)
		}
	}
	return w
}
