package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/vision"
)

func init() {
	Register(genericProtocol{named{"generic", "An experiment written in its TOML file alone: stimuli × task × site rule × " +
		"perturbation, with conditions side by side (configs/README.md, docs/generic_protocol.md)."}})
}

// genericProtocol is an experiment written in its config alone, with
// conditions side by side.
type genericProtocol struct{ named }

func (genericProtocol) Defaults() Config { return genericDefaults() }

// TaskKeys are those of the task's kind (nil for an unknown kind, which
// Validate refuses).
func (genericProtocol) TaskKeys(c *Config) ([]string, string) {
	return genericTaskKeys[c.Task.Kind], fmt.Sprintf("task kind = %q", c.Task.Kind)
}

func (genericProtocol) Validate(c *Config) error {
	if err := validateGenericTask(c); err != nil {
		return err
	}
	return c.validateConditions()
}

func (genericProtocol) CheckStimuli(c *Config, pool []vision.Stimulus) error {
	return checkTask(c.Task, pool, c.Seed)
}

// Work: the largest condition's test images, one readout per condition,
// four psychometric fits per site and level.
func (genericProtocol) Work(c *Config, sites int) Work {
	w := BaseWork()
	w.ImagesPerSite, w.ReadoutFits = c.genericImages(), max(1, len(c.Conditions))
	w.Fits = 4 * float64(sites) * float64(len(c.Task.SignalLevels_pct))
	return w
}

// Tables: [[condition]].
func (genericProtocol) Tables() []string { return []string{"condition"} }

func (genericProtocol) CheckSites(c *Config, m *vision.Model, pool []vision.Stimulus) error {
	return checkGenericSites(c, m, pool)
}

func (genericProtocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunGeneric(c, m, pool, progress)
}

// ConditionConfig is one condition of a generic experiment: the file's
// [task], [sites] and [perturbation] with what the condition's own tables
// change (a condition states only its differences).
type ConditionConfig struct {
	Name         string             `toml:"name"`
	Task         TaskConfig         `toml:"task"`
	Sites        SitesConfig        `toml:"sites"`
	Perturbation PerturbationConfig `toml:"perturbation"`
}

// genericDefaults: detection of faces among the face-selectivity set's
// other images, intact, with Brain-Score's fixed readout (C = 1e-3); Afraz
// et al. (2006)'s microstimulation (50 µA, 200 Hz) at 10 sites with
// neighbourhood d′ > 1 and 10 others; outside-patch sites as Moeller et al.
// (2017) chose them (docs/references.md#afraz2006, #moeller2017).
func genericDefaults() Config {
	return Config{
		Protocol: "generic", Seed: 1,
		Stimuli: StimuliConfig{Set: "embedded"},
		Task: TaskConfig{Kind: "detection", Target: "face", TestImages: 16, TrialsPerImage: 10, DecoderC: 1e-3,
			Readout: ReadoutFixed, BootstrapReps: 2000, PairedTrials: true, Pairs: "identity", TrialsPerCond: 500, DistanceMetric: "l1", StimulatedCue: "second"},
		Perturbation: afrazMicrostim(),
		Sites: SitesConfig{Rule: "dprime_split", NSelective: 10, NOther: 10, DPrimeThreshold: 1, Radius_mm: 0.5,
			Grid_mm: 0.5, Hemisphere: "both", OutsideDPrime: 0.85, Outside_mm: 2},
	}
}

// genericTaskKeys are the [task] keys each generic task kind reads.
var genericTaskKeys = map[string][]string{
	"detection": {"kind", "target", "distractors", "signal_levels_pct", "image_scale", "test_images_per_class", "trials_per_image",
		"decoder_C", "readout", "control_accuracy_pct", "lapse_rate", "bootstrap_reps", "paired_trials"},
	"discrimination": {"kind", "categories", "image_scale", "test_images_per_class", "trials_per_image",
		"decoder_C", "readout", "control_accuracy_pct", "lapse_rate", "bootstrap_reps", "paired_trials"},
	"same_different": {"kind", "pairs", "categories", "trials_per_condition", "distance_metric", "stimulated_cue", "lapse_rate", "bootstrap_reps"},
}

// checkSelector refuses a selector of no known kind.
func checkSelector(key, sel string) error {
	if err := paradigm.CheckSelector(sel); err != nil {
		return field(key, fmt.Sprintf("%q", sel), "want a stimulus selector: face, nonface, gender:male, gender:female, identity:NAME, category:NAME or a category name")
	}
	return nil
}

// validateGenericTask checks a generic task: its kind, the stimulus
// selectors, the signal levels and the placement.
func validateGenericTask(c *Config) error {
	t := c.Task
	if err := oneOf("task.kind", t.Kind, "detection", "discrimination", "same_different"); err != nil {
		return err
	}
	if t.BootstrapReps < 100 {
		return field("task.bootstrap_reps", t.BootstrapReps, "allowed range [100, 100000] (resamples of sites for the confidence intervals)")
	}
	switch t.Kind {
	case "same_different":
		return validateSameDifferent(t)
	case "detection":
		if err := checkSelector("task.target", t.Target); err != nil {
			return err
		}
		if t.Distractors != "" {
			if err := checkSelector("task.distractors", t.Distractors); err != nil {
				return err
			}
		}
		if err := checkLevels(t.SignalLevels_pct); err != nil {
			return err
		}
	case "discrimination":
		if len(t.Categories) < 2 || len(t.Categories) != len(slices.Compact(slices.Sorted(slices.Values(t.Categories)))) {
			return field("task.categories", fmt.Sprintf("%q", t.Categories), "want two or more different stimulus selectors, e.g. [\"gender:male\", \"gender:female\"] (three or more: every pair is a task, with one readout over all)")
		}
		for _, s := range t.Categories {
			if err := checkSelector("task.categories", s); err != nil {
				return err
			}
		}
	}
	if t.ImageScale != 0 {
		if err := checkRange("task.image_scale", t.ImageScale, 0.1, 0.5, " (0: the full frame; else the fraction of the frame side, ≤ 0.5 keeps the image in one hemifield)"); err != nil {
			return err
		}
	}
	return validateTrials(t)
}

// validateSameDifferent checks a same/different task: identity pairs, or
// category pairs of at least two selected categories.
func validateSameDifferent(t TaskConfig) error {
	if err := oneOf("task.pairs", t.Pairs, "identity", "category"); err != nil {
		return err
	}
	if t.Pairs == "identity" && len(t.Categories) > 0 {
		return field("task.categories", fmt.Sprintf("%q", t.Categories), "identity pairs use every labelled photo; categories are for pairs = \"category\"")
	}
	if t.Pairs == "category" {
		if len(t.Categories) < 2 {
			return field("task.categories", fmt.Sprintf("%q", t.Categories), "pairs = \"category\" wants at least two stimulus selectors")
		}
		for _, s := range t.Categories {
			if err := checkSelector("task.categories", s); err != nil {
				return err
			}
		}
	}
	if err := checkRange("task.trials_per_condition", float64(t.TrialsPerCond), 10, 1e6, " trials"); err != nil {
		return err
	}
	if err := oneOf("task.distance_metric", t.DistanceMetric, "l1", "correlation"); err != nil {
		return err
	}
	if err := oneOf("task.stimulated_cue", t.StimulatedCue, "second", "both"); err != nil {
		return err
	}
	return checkRange("task.lapse_rate", t.Lapse, 0, 0.5, "")
}

// checkLevels checks optional signal levels: none (intact images), or at
// least one positive and one negative level in [-100, 100] %.
func checkLevels(levels []float64) error {
	if len(levels) == 0 {
		return nil
	}
	var pos, neg bool
	for _, v := range levels {
		if err := checkRange("task.signal_levels_pct", v, -100, 100, " %"); err != nil {
			return err
		}
		pos, neg = pos || v > 0, neg || v < 0
	}
	if !pos || !neg {
		return field("task.signal_levels_pct", levels, "want at least one positive (target) and one negative (distractor) level, or none for intact images")
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(levels)))
	if len(sorted) < MinPsychometricLevels {
		return field("task.signal_levels_pct", levels, fmt.Sprintf("a psychometric shift needs at least %d distinct levels (two fix a curve through them exactly: the shift would be an artefact)", MinPsychometricLevels))
	}
	for i := 1; i < len(sorted); i++ {
		if sorted[i]-sorted[i-1] < MinLevelSpacing_pct {
			return field("task.signal_levels_pct", levels, fmt.Sprintf("levels %g and %g are closer than %g %%: the curve's fit would be degenerate", sorted[i-1], sorted[i], MinLevelSpacing_pct))
		}
	}
	return nil
}

// A psychometric shift is fitted only from MinPsychometricLevels distinct
// signal levels at least MinLevelSpacing_pct apart.
const (
	MinPsychometricLevels = 3
	MinLevelSpacing_pct   = 1.0
)

// conditionConfig returns c with condition i's task, sites and
// perturbation.
func (c *Config) conditionConfig(i int) *Config {
	cc := *c
	cc.Conditions = nil
	k := c.Conditions[i]
	cc.Task, cc.Sites, cc.Perturbation = k.Task, k.Sites, k.Perturbation
	return &cc
}

// resolveConditions decodes each [[condition]]'s tables over a copy of
// the file's [task], [sites] and [perturbation], and refuses keys that do
// not apply to the condition's task or perturbation kind.
func (c *Config) resolveConditions(data []byte, lines map[string]int) error {
	var raw struct {
		Condition []map[string]any `toml:"condition"`
	}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return err
	}
	for i, m := range raw.Condition {
		k := ConditionConfig{Name: c.Conditions[i].Name, Task: c.Task, Sites: c.Sites, Perturbation: c.Perturbation}
		k.Task.SignalLevels_pct, k.Task.Categories = slices.Clone(k.Task.SignalLevels_pct), slices.Clone(k.Task.Categories)
		k.Sites.Explicit = slices.Clone(k.Sites.Explicit)
		for table, dst := range map[string]any{"task": &k.Task, "sites": &k.Sites, "perturbation": &k.Perturbation} {
			sub, ok := m[table].(map[string]any)
			if !ok {
				continue
			}
			var b bytes.Buffer
			if err := toml.NewEncoder(&b).Encode(sub); err != nil {
				return err
			}
			if _, err := toml.Decode(b.String(), dst); err != nil {
				return err
			}
		}
		c.Conditions[i] = k
		cc := c.conditionConfig(i)
		for _, table := range []string{"task", "perturbation"} {
			sub, _ := m[table].(map[string]any)
			for _, key := range slices.Sorted(maps.Keys(sub)) {
				if !applies(cc, table, key) {
					name := fmt.Sprintf("condition[%d].%s.%s", i+1, table, key)
					return &ConfigError{Line: lineOf(lines, name), Key: name, Allowed: "does not apply to this condition's task kind or perturbation kind"}
				}
			}
		}
	}
	return nil
}

// validateConditions checks every condition as a config of its own, with
// its keys named condition[i].table.key; names must be unique.
func (c *Config) validateConditions() error {
	seen := map[string]bool{}
	for i, k := range c.Conditions {
		prefix := fmt.Sprintf("condition[%d].", i+1)
		if k.Name == "" || seen[k.Name] {
			return field(prefix+"name", fmt.Sprintf("%q", k.Name), "want a name, different for every condition")
		}
		seen[k.Name] = true
		cc := c.conditionConfig(i)
		err := validateGenericTask(cc)
		if err == nil {
			err = cc.validatePerturbation()
		}
		if err == nil {
			err = cc.validateSites()
		}
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Key = prefix + ce.Key
			return ce
		}
		if err != nil {
			return err
		}
	}
	return nil
}
