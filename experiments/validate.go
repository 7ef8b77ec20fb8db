package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// resolvePaths makes the config's relative paths absolute, relative to
// dir, the config file's folder, so that a config works from any working
// directory and its resolved form from any folder.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if a, err := filepath.Abs(filepath.Join(dir, p)); err == nil {
			return a
		}
		return p
	}
	c.Model.Weights = abs(c.Model.Weights)
	c.Stimuli.Folder = abs(c.Stimuli.Folder)
}

// checkFiles checks the files the config names: the weight file is read
// whole (header, sizes and checksum) and its IT size kept for Workload; the
// stimulus folder must be a folder.
func (c *Config) checkFiles() error {
	if c.Model.Weights != "" {
		m, _, _, err := vision.Load(c.Model.Weights)
		if err != nil {
			why := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				why = "file not found"
			}
			return field("model.weights", fmt.Sprintf("%q", c.Model.Weights), why+" (\"\" selects the embedded default model; relative paths are relative to the config's folder)")
		}
		c.modelITUnits = m.Arch.ITUnits()
	}
	if c.Stimuli.Set == "folder" {
		if st, err := os.Stat(c.Stimuli.Folder); err != nil || !st.IsDir() {
			return field("stimuli.folder", fmt.Sprintf("%q", c.Stimuli.Folder), "folder not found (a folder of category folders; relative paths are relative to the config's folder)")
		}
	}
	return nil
}

// Validate checks every value against its allowed range or set, and the
// run's size against the limits (checkWorkload). Files are checked once,
// by ParseConfig.
func (c *Config) Validate() error {
	if err := oneOf("stimuli.set", c.Stimuli.Set, "embedded", "folder"); err != nil {
		return err
	}
	if err := c.checkTables(); err != nil {
		return err
	}
	if err := c.protocol().Validate(c); err != nil {
		return err
	}
	if err := c.validatePerturbation(); err != nil {
		return err
	}
	if err := c.validateSites(); err != nil {
		return err
	}
	return c.checkWorkload()
}

// checkTables refuses an optional table that c's protocol does not read.
func (c *Config) checkTables() error {
	for _, t := range []struct {
		name string
		set  bool
	}{{"device", c.Device != nil}, {"placement", c.Placement != nil}, {"safety", c.Safety != nil}, {"sweep", c.Sweep != nil}, {"condition", len(c.Conditions) > 0}} {
		if t.set && !c.reads(t.name) {
			return field(t.name, "", "only for protocol = "+strings.Join(quoteAll(readersOf(t.name)), " or ")+" (see configs/README.md)")
		}
	}
	return nil
}

// validateAfraz2006Task checks the noisy face-detection task keys.
func validateAfraz2006Task(c *Config) error {
	t := c.Task
	if t.Readout == ReadoutCalibrated {
		return field("task.readout", t.Readout, "afraz2006 reports a psychometric curve, not a control accuracy to calibrate to: use readout = \"fixed\"")
	}
	if len(t.SignalLevels_pct) < 2 {
		return field("task.signal_levels_pct", t.SignalLevels_pct, "want at least 2 levels in [-100, 100] %")
	}
	for _, v := range t.SignalLevels_pct {
		if err := checkRange("task.signal_levels_pct", v, -100, 100, " %"); err != nil {
			return err
		}
	}
	return validateTrials(t)
}

// validateTrials checks the keys every image task shares: test images,
// trials, the readout, lapses and bootstrap resamples.
func validateTrials(t TaskConfig) error {
	if err := checkRange("task.test_images_per_class", float64(t.TestImages), 2, 1000, " images"); err != nil {
		return err
	}
	if err := checkRange("task.trials_per_image", float64(t.TrialsPerImage), 1, 10000, " trials"); err != nil {
		return err
	}
	if err := checkRange("task.decoder_C", t.DecoderC, 1e-8, 1e6, ""); err != nil {
		return err
	}
	if err := checkRange("task.lapse_rate", t.Lapse, 0, 0.5, ""); err != nil {
		return err
	}
	if err := validateReadout(t); err != nil {
		return err
	}
	return checkRange("task.bootstrap_reps", float64(t.BootstrapReps), 0, 100000, "")
}

// validateReadout checks the readout mode and, for a calibrated readout,
// the control performance it is calibrated to.
func validateReadout(t TaskConfig) error {
	if err := oneOf("task.readout", t.Readout, ReadoutFixed, ReadoutCalibrated); err != nil {
		return err
	}
	if t.Readout == ReadoutCalibrated {
		return checkRange("task.control_accuracy_pct", t.ControlAccuracy_pct, 50.5, 100,
			" % (the monkeys' % correct on unperturbed trials, above chance; needed by readout = \"calibrated\")")
	}
	return nil
}

// validatePerturbation builds the sim model, mapping its parameter errors to
// config keys.
func (c *Config) validatePerturbation() error {
	p := c.Perturbation
	if err := oneOf("perturbation.kind", p.Kind, "microstim", "optogenetic", "muscimol", "lesion"); err != nil {
		return err
	}
	if err := oneOf("perturbation.stage", p.Stage, "V1", "V2", "V4", "IT"); err != nil {
		return err
	}
	if p.Kind == "microstim" {
		if err := oneOf("perturbation.spread_law", p.SpreadLaw, sim.SpreadLaws()...); err != nil {
			return err
		}
	}
	if _, err := c.BuildPerturbation(); err != nil {
		var pe *sim.ParamError
		if errors.As(err, &pe) {
			return field("perturbation."+pe.Param, pe.Value, pe.Allowed)
		}
		return field("perturbation", p.Kind, err.Error())
	}
	return nil
}

// BuildPerturbation returns the sim model the config describes.
func (c *Config) BuildPerturbation() (sim.Perturbation, error) {
	p := c.Perturbation
	var out sim.Perturbation
	switch p.Kind {
	case "microstim":
		param := 0.0
		switch p.SpreadLaw {
		case "sqrt_tehovnik":
			param = p.K_uA_per_mm2
		case "gaussian":
			param = p.Sigma_mm
		case "disk":
			param = p.Radius_mm
		}
		law, err := sim.NewSpreadLaw(p.SpreadLaw, param)
		if err != nil {
			return nil, err
		}
		out = sim.Microstim{Law: law, Current_uA: p.Current_uA, Frequency_Hz: p.Frequency_Hz, PulseWidth_us: p.PulseWidth_us,
			Train_ms: p.Train_ms, Mode: sim.GainMode(p.GainMode), Cap: p.GainCap}
	case "optogenetic":
		out = sim.Optogenetic{Power_mW: p.Power_mW, Expression: p.Expression, Mode: sim.OptoMode(p.OptoMode)}
	case "muscimol":
		out = sim.Muscimol{Volume_uL: p.Volume_uL}
	case "lesion":
		out = sim.Lesion{Radius_mm: p.Radius_mm}
	default:
		return nil, fmt.Errorf("kind = %s: want microstim, optogenetic, muscimol or lesion", p.Kind)
	}
	return out, out.Validate()
}

func (c *Config) validateSites() error {
	s := c.Sites
	if err := oneOf("sites.rule", s.Rule, "explicit", "dprime_split", "face_patch_centre", "outside_patches", "inside_patches", "grid", "random"); err != nil {
		return err
	}
	if err := oneOf("sites.hemisphere", s.Hemisphere, "L", "R", "both"); err != nil {
		return err
	}
	switch s.Rule {
	case "explicit":
		if len(s.Explicit) == 0 {
			return field("sites.site", "none", "rule \"explicit\" needs at least one [[sites.site]] with hemisphere, x_mm, y_mm")
		}
		for i, e := range s.Explicit {
			key := fmt.Sprintf("sites.site[%d]", i+1)
			if err := oneOf(key+".hemisphere", e.Hemisphere, "L", "R"); err != nil {
				return err
			}
			sheet := topography.Sheets[c.Perturbation.Stage] // the perturbed stage's sheet
			unit := fmt.Sprintf(" mm (%s sheet)", sheet.Area)
			if err := checkRange(key+".x_mm", e.X_mm, 0, sheet.Width_mm, unit); err != nil {
				return err
			}
			if err := checkRange(key+".y_mm", e.Y_mm, 0, sheet.Height_mm, unit); err != nil {
				return err
			}
		}
	case "dprime_split":
		if err := checkRange("sites.n_selective", float64(s.NSelective), 0, 1000, " sites"); err != nil {
			return err
		}
		if err := checkRange("sites.n_other", float64(s.NOther), 0, 1000, " sites"); err != nil {
			return err
		}
		if s.NSelective+s.NOther == 0 {
			return field("sites.n_selective", 0, "n_selective + n_other must be at least 1")
		}
		if err := checkRange("sites.dprime_threshold", s.DPrimeThreshold, -10, 10, ""); err != nil {
			return err
		}
	case "outside_patches":
		if err := checkRange("sites.outside_dprime_max", s.OutsideDPrime, -5, 5, ""); err != nil {
			return err
		}
		if err := checkRange("sites.outside_radius_mm", s.Outside_mm, 0, 10, " mm"); err != nil {
			return err
		}
		if s.NPerHemisphere != 0 {
			if err := checkRange("sites.n_per_hemisphere", float64(s.NPerHemisphere), 1, 400, " sites (0: one per hemisphere)"); err != nil {
				return err
			}
		}
	case "random", "inside_patches":
		if err := checkRange("sites.n_per_hemisphere", float64(s.NPerHemisphere), 1, 400, " sites"); err != nil {
			return err
		}
	}
	if err := checkRange("sites.grid_mm", s.Grid_mm, 0.1, 10, " mm"); err != nil {
		return err
	}
	return checkRange("sites.neighbourhood_radius_mm", s.Radius_mm, 0.05, 5, " mm")
}

// validateHemifield checks the keys of tasks shown in one hemifield.
func validateHemifield(c *Config) error {
	t := c.Task
	if err := validateTrials(t); err != nil {
		return err
	}
	return checkRange("task.image_scale", t.ImageScale, 0.1, 0.5, " (fraction of the frame side; ≤ 0.5 keeps the image in one hemifield)")
}
