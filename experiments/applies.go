package experiments

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

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
		allowed, what := c.protocol().TaskKeys(c)
		if table == "perturbation" {
			allowed, what = perturbationKeys[c.Perturbation.Kind], fmt.Sprintf("kind = %q", c.Perturbation.Kind)
		}
		name := table + "." + key
		return &ConfigError{Line: lines[name], Key: name,
			Allowed: fmt.Sprintf("does not apply to %s, which reads %s", what, strings.Join(allowed, ", "))}
	}
	return nil
}
