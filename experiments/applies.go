package experiments

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// taskKeys are the [task] keys each protocol reads; a file that sets
// another is refused rather than silently ignored.
var taskKeys = map[string][]string{
	"afraz2006":       {"signal_levels_pct", "test_images_per_class", "trials_per_image", "decoder_C", "readout", "lapse_rate", "bootstrap_reps"},
	"hardware":        {"signal_levels_pct", "test_images_per_class", "trials_per_image", "decoder_C", "readout", "lapse_rate", "bootstrap_reps"},
	"afraz2015":       {"test_images_per_class", "trials_per_image", "decoder_C", "readout", "control_accuracy_pct", "lapse_rate", "image_scale"},
	"rajalingham2019": {"test_images_per_class", "trials_per_image", "decoder_C", "readout", "control_accuracy_pct", "lapse_rate", "image_scale", "categories"},
	"moeller2017":     {"trials_per_condition", "lapse_rate", "stimulated_cue", "distance_metric"},
}

// perturbationKeys are the [perturbation] keys each kind reads, besides
// kind and stage.
var perturbationKeys = map[string][]string{
	"microstim":   {"spread_law", "k_uA_per_mm2", "sigma_mm", "radius_mm", "current_uA", "frequency_Hz", "pulse_width_us", "train_ms", "gain_mode", "gain_cap"},
	"optogenetic": {"power_mW", "expression_fraction", "opto_mode"},
	"muscimol":    {"volume_uL"},
	"lesion":      {"radius_mm"},
}

// checkApplicable refuses [task] keys the protocol does not read and
// [perturbation] keys the kind does not read, among the keys the file
// sets.
func checkApplicable(c *Config, md toml.MetaData, lines map[string]int) error {
	for _, k := range md.Keys() {
		if len(k) != 2 {
			continue
		}
		table, key := k[0], k[1]
		if applies(c, table, key) {
			continue
		}
		allowed, what := taskKeys[c.Protocol], fmt.Sprintf("protocol %q", c.Protocol)
		if c.Protocol == "generic" {
			allowed, what = genericTaskKeys[c.Task.Kind], fmt.Sprintf("task kind = %q", c.Task.Kind)
		}
		if table == "perturbation" {
			allowed, what = perturbationKeys[c.Perturbation.Kind], fmt.Sprintf("kind = %q", c.Perturbation.Kind)
		}
		name := table + "." + key
		return &ConfigError{Line: lines[name], Key: name,
			Allowed: fmt.Sprintf("does not apply to %s, which reads %s", what, strings.Join(allowed, ", "))}
	}
	return nil
}
