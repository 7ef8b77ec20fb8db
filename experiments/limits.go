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

// Workload is a run's estimated size. Time adds the network's forward
// passes, the logistic readout fits, the readouts of perturbed responses,
// the simulated choices and the psychometric fits; memory adds to a base
// (model, stimulus pool, forward graph) what the run keeps per site — for
// Afraz 2006 the readout probabilities of every site, image and decoder —
// and one perturbed response set per core. The costs (Costs) were measured
// on 2 cores; estimates are good to about a factor of two (checked for the
// shipped Afraz 2006 config by TestWorkloadOfShippedConfig).
type Workload struct {
	Sites         int     // perturbed sites (per sweep point: per replicate)
	ImagesPerSite int     // test images whose perturbed responses are read out per site
	ITUnits       int     // units of the model's IT
	ForwardImages int     // images run through the network
	ReadoutFits   int     // logistic readouts fitted
	Readouts      float64 // readouts of a perturbed response (site × image × decoder)
	Trials        float64 // simulated choices
	Fits          float64 // psychometric fits, bootstraps included
	Memory_GB     float64 // estimated peak resident memory
	Setup_s       float64 // the network's passes and the readout fits, once per run
	Point_s       float64 // the perturbed readouts, choices and fits of one sweep point
	Time_s        float64 // estimated time on 2 cores: Setup_s + SweepPoints × Point_s
	SweepPoints   int     // 1 unless the config sweeps
}

// Costs are the per-operation costs behind Workload (wall time on 2 cores),
// from a CPU profile of configs/afraz2006.toml on the default model
// (2026-11-29: 14 s, 0.81 GB) and checked against the other shipped
// benchmarks' run times (1.3–2 s each).
var Costs = struct {
	Forward_s     float64 // per image through the network
	ReadoutFit_s  float64 // per logistic readout fit on 500 images of 4,096 IT units
	ReadoutUnit_s float64 // per IT unit of one perturbed readout
	Trial_s       float64 // per simulated choice
	Fit_s         float64 // per psychometric fit
	Base_GB       float64 // model, stimulus pool and forward graph
}{Forward_s: 1.0 / 350, ReadoutFit_s: 1.3, ReadoutUnit_s: 1.4e-9, Trial_s: 20e-9, Fit_s: 5e-6, Base_GB: 0.8}

// Workload estimates the run of c on a model with itUnits IT units.
func (c *Config) Workload(itUnits int) Workload {
	w := Workload{ITUnits: itUnits, SweepPoints: 1, Sites: c.siteCount()}
	k := c.protocol().Work(c, w.Sites)
	w.ImagesPerSite, w.ReadoutFits, w.Fits, w.Trials = k.ImagesPerSite, k.ReadoutFits, k.Fits, k.Trials
	decoders, kept, fitImages := k.Decoders, k.KeptBytes, k.FitImages
	// The face-selectivity set (452 images), the readout's images, the test images.
	w.ForwardImages = 452 + int(fitImages) + w.ImagesPerSite
	w.Readouts = float64(w.Sites) * float64(w.ImagesPerSite) * decoders * k.Repeats
	if w.Trials == 0 {
		w.Trials = 2 * float64(w.Sites) * float64(w.ImagesPerSite) * float64(max(c.Task.TrialsPerImage, 1))
	}
	w.Trials *= k.Repeats
	perCore := float64(w.ImagesPerSite) * float64(itUnits) * 4 // one perturbed response set
	// The costs were measured on the 64-px model (4,096 IT units); a larger
	// network's activations and passes scale with its IT.
	size := float64(itUnits) / 4096
	w.Memory_GB = Costs.Base_GB*size + (float64(w.Sites)*float64(w.ImagesPerSite)*kept+2*perCore)/1e9
	w.Setup_s = float64(w.ForwardImages)*Costs.Forward_s*size + float64(w.ReadoutFits)*Costs.ReadoutFit_s*size*fitImages/500
	w.Point_s = w.Readouts*float64(itUnits)*Costs.ReadoutUnit_s + w.Trials*Costs.Trial_s + w.Fits*Costs.Fit_s
	w.Time_s = w.Setup_s + w.Point_s
	return w
}

// genericImages is the most test images of a generic experiment's
// conditions: each class's images at every level, in each hemifield when
// placed.
func (c *Config) genericImages() int {
	n := 0
	for _, t := range append([]TaskConfig{c.Task}, conditionTasks(c)...) {
		k := max(2, len(t.Categories)) * t.TestImages * max(1, len(t.SignalLevels_pct))
		if t.ImageScale > 0 {
			k *= 2
		}
		n = max(n, k)
	}
	return n
}

func conditionTasks(c *Config) []TaskConfig {
	var out []TaskConfig
	for _, k := range c.Conditions {
		out = append(out, k.Task)
	}
	return out
}

// siteCount returns the number of sites the site rule picks (at most);
// for a generic experiment with conditions, the sum over them.
func (c *Config) siteCount() int {
	if len(c.Conditions) > 0 {
		n := 0
		for i := range c.Conditions {
			n += c.conditionConfig(i).siteCount()
		}
		return n
	}
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
	case "random", "inside_patches":
		return hemis * s.NPerHemisphere
	case "grid":
		it := topography.Sheets["IT"]
		if !(s.Grid_mm > 0) {
			return 0
		}
		nx := math.Floor(it.Width_mm/s.Grid_mm) + 1
		ny := math.Floor(it.Height_mm/s.Grid_mm) + 1
		return hemis * int(math.Min(nx*ny, 1e9))
	case "face_patch_centre", "outside_patches":
		if s.Rule == "outside_patches" && s.NPerHemisphere > 1 {
			return hemis * s.NPerHemisphere
		}
		if p, ok := c.protocol().(PatchCentreSiter); ok {
			return p.PatchCentreSites(hemis)
		}
		return hemis
	}
	return 0
}

// String describes the estimate, e.g. "about 0.8 GB and 14 s on 2 cores"
// (for a sweep, the time of all its points).
func (w Workload) String() string {
	pts := ""
	if w.SweepPoints > 1 {
		pts = fmt.Sprintf(" (%d sweep points)", w.SweepPoints)
	}
	return fmt.Sprintf("about %.1f GB and %s on 2 cores%s", w.Memory_GB, w.TimeRange(), pts)
}

// coldFactor: cold runs took up to 3× Time_s in the measurements of issue
// 24 (shared 2-core VM, empty cache).
const coldFactor = 3

// TimeRange is the run time to expect, from a warm cache (the network's
// passes and readout fits cached: the sweep points alone) to a cold one
// (coldFactor × Time_s).
func (w Workload) TimeRange() string {
	warm := float64(max(1, w.SweepPoints)) * w.Point_s
	return fmt.Sprintf("%s (warm cache) to %s (cold)", duration(warm), duration(coldFactor*w.Time_s))
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
		key := map[string]string{"explicit": "sites.site", "grid": "sites.grid_mm", "random": "sites.n_per_hemisphere", "inside_patches": "sites.n_per_hemisphere"}[c.Sites.Rule]
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
	w.Time_s = w.Setup_s + float64(w.SweepPoints)*w.Point_s
	return w
}
