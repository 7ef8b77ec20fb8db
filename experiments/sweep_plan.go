package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// SweepAxis is one swept parameter with its values (float64 or string).
type SweepAxis struct {
	Key    string `json:"key"` // dotted config key, e.g. "perturbation.current_uA"
	Values []any  `json:"values"`
}

// sweepable maps the parameters a sweep may vary to their config keys.
// Bare names are accepted for keys that are unique.
var sweepable = map[string]string{
	"current_uA": "perturbation.current_uA", "frequency_Hz": "perturbation.frequency_Hz",
	"pulse_width_us": "perturbation.pulse_width_us", "train_ms": "perturbation.train_ms", "gain_cap": "perturbation.gain_cap",
	"power_mW": "perturbation.power_mW", "expression_fraction": "perturbation.expression_fraction", "volume_uL": "perturbation.volume_uL",
	"spread_law": "perturbation.spread_law", "k_uA_per_mm2": "perturbation.k_uA_per_mm2", "sigma_mm": "perturbation.sigma_mm",
	"gain_mode": "perturbation.gain_mode", "kind": "perturbation.kind",
	"type": "device.type", "n_electrodes": "device.n_electrodes", "pitch_um": "device.pitch_um",
	"total_current_uA": "device.total_current_uA", "contact_area_um2": "device.contact_area_um2",
	"targeting_error_mm": "placement.targeting_error_mm", "x_mm": "placement.x_mm", "y_mm": "placement.y_mm",
	"hemisphere": "placement.hemisphere",
}

func sweepKeyNames() []string {
	var out []string
	for _, v := range sweepable {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// SweepAxes parses the [sweep] table: each key a list of values or a range
// {from, to, step}; axes come in the order of the keys in the file (lines)
// or, without line information, sorted by key.
func (c *Config) SweepAxes(lines map[string]int) ([]SweepAxis, error) {
	var keys []string
	for k := range c.Sweep {
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		li, lj := lines["sweep."+keys[i]], lines["sweep."+keys[j]]
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	var axes []SweepAxis
	seen := map[string]bool{}
	for _, k := range keys {
		full := k
		if f, ok := sweepable[k]; ok {
			full = f
		}
		ok := false
		for _, v := range sweepable {
			ok = ok || v == full
		}
		if !ok {
			return nil, field("sweep."+k, "", "not a sweepable parameter; want one of "+strings.Join(sweepKeyNames(), ", "))
		}
		if seen[full] {
			return nil, field("sweep."+k, "", full+" swept twice")
		}
		seen[full] = true
		vals, err := sweepValues(c.Sweep[k])
		if err != nil {
			return nil, field("sweep."+k, fmt.Sprint(c.Sweep[k]), err.Error())
		}
		axes = append(axes, SweepAxis{Key: full, Values: vals})
	}
	return axes, nil
}

func sweepValues(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil, errors.New("an empty list")
		}
		var out []any
		for _, e := range x {
			switch n := e.(type) {
			case int64:
				out = append(out, float64(n))
			case float64, string:
				out = append(out, n)
			default:
				return nil, fmt.Errorf("value %v: want numbers or strings", e)
			}
		}
		return out, nil
	case map[string]any:
		num := func(k string) (float64, error) {
			switch n := x[k].(type) {
			case int64:
				return float64(n), nil
			case float64:
				return n, nil
			}
			return 0, fmt.Errorf("a range needs numeric from, to and step (missing or bad %q)", k)
		}
		from, err1 := num("from")
		to, err2 := num("to")
		step, err3 := num("step")
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		if len(x) != 3 {
			return nil, errors.New("a range has exactly the keys from, to and step")
		}
		if !(step > 0) || to < from || (to-from)/step > 10000 {
			return nil, errors.New("a range needs step > 0, to ≥ from and at most 10000 values")
		}
		var out []any
		n := int(math.Floor((to-from)/step + 1e-9))
		for i := 0; i <= n; i++ {
			out = append(out, math.Round((from+float64(i)*step)*1e9)/1e9)
		}
		return out, nil
	}
	return nil, errors.New("want a list of values or a range {from = …, to = …, step = …}")
}

// SweepPlan is the grid a sweep runs: its axes and points. Point k takes
// value index (k / stride_a) mod len(values_a) on axis a, the first axis
// varying slowest. The plan is content-addressed: PlanSHA256 covers the
// whole resolved config, [sweep] included, the model's SHA-256 and the
// program version, and every stored point carries it.
type SweepPlan struct {
	PlanSHA256   string      `json:"plan_sha256"`
	ConfigSHA256 string      `json:"config_sha256"` // of the resolved config, [sweep] included
	ModelSHA256  string      `json:"model_sha256"`
	Version      string      `json:"version"` // microstim version
	Axes         []SweepAxis `json:"axes"`
	Points       int         `json:"points"`
}

// Identify sets the plan's model and program version and computes
// PlanSHA256.
func (p *SweepPlan) Identify(modelSHA256, version string) {
	p.ModelSHA256, p.Version = modelSHA256, version
	h := sha256.Sum256([]byte("config " + p.ConfigSHA256 + "\nmodel " + modelSHA256 + "\nversion " + version + "\n"))
	p.PlanSHA256 = hex.EncodeToString(h[:])
}

// Values returns point k's value on each axis.
func (p SweepPlan) Values(k int) []any {
	out := make([]any, len(p.Axes))
	for a := len(p.Axes) - 1; a >= 0; a-- {
		n := len(p.Axes[a].Values)
		out[a] = p.Axes[a].Values[k%n]
		k /= n
	}
	return out
}

// PointConfig returns the base config with point k's values set.
func (p SweepPlan) PointConfig(base *Config, k int) (*Config, error) {
	c := base.clone()
	for a, v := range p.Values(k) {
		if err := c.set(p.Axes[a].Key, v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Config) clone() *Config {
	d := *c
	if c.Device != nil {
		dv := *c.Device
		dv.Contacts = append([]ContactSpec(nil), c.Device.Contacts...)
		d.Device = &dv
	}
	if c.Placement != nil {
		p := *c.Placement
		d.Placement = &p
	}
	if c.Safety != nil {
		s := *c.Safety
		d.Safety = &s
	}
	d.Task.SignalLevels_pct = append([]float64(nil), c.Task.SignalLevels_pct...)
	return &d
}

// set assigns a dotted key by its toml tag.
func (c *Config) set(key string, v any) error {
	parts := strings.Split(key, ".")
	rv := reflect.ValueOf(c).Elem()
	for _, p := range parts {
		if rv.Kind() == reflect.Pointer {
			rv = rv.Elem()
		}
		found := false
		for i := 0; i < rv.NumField(); i++ {
			tag := strings.Split(rv.Type().Field(i).Tag.Get("toml"), ",")[0]
			if tag == p {
				rv = rv.Field(i)
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("sweep: no config key %s", key)
		}
	}
	switch rv.Kind() {
	case reflect.Float64:
		f, ok := v.(float64)
		if !ok {
			return field("sweep."+key, fmt.Sprint(v), "want a number")
		}
		rv.SetFloat(f)
	case reflect.Int:
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return field("sweep."+key, fmt.Sprint(v), "want an integer")
		}
		rv.SetInt(int64(f))
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return field("sweep."+key, fmt.Sprint(v), "want a string")
		}
		rv.SetString(s)
	default:
		return fmt.Errorf("sweep: %s cannot be swept", key)
	}
	return nil
}

// NewSweepPlan expands the config's [sweep] table (no table: one point) and
// validates every point; an invalid value is reported against its sweep key.
func NewSweepPlan(c *Config, lines map[string]int) (SweepPlan, error) {
	axes, err := c.SweepAxes(lines)
	if err != nil {
		return SweepPlan{}, err
	}
	if err := c.checkAimAxes(axes, lines); err != nil {
		return SweepPlan{}, err
	}
	plan := SweepPlan{ConfigSHA256: c.ConfigHash(), Axes: axes, Points: 1}
	for _, a := range axes {
		if plan.Points *= len(a.Values); plan.Points > MaxSweepPoints {
			return SweepPlan{}, field("sweep", "", fmt.Sprintf("more than %d points (the product of the axes' lengths)", MaxSweepPoints))
		}
	}
	plan.Identify("", "")
	for k := 0; k < plan.Points; k++ {
		pc, err := plan.PointConfig(c, k)
		if err == nil {
			err = pc.Validate()
		}
		if err != nil {
			return SweepPlan{}, plan.pointError(c, lines, k, err)
		}
	}
	return plan, nil
}

// checkAimAxes refuses a sweep of the aim point (placement.hemisphere,
// x_mm or y_mm) when placement.target ignores it.
func (c *Config) checkAimAxes(axes []SweepAxis, lines map[string]int) error {
	if c.Placement == nil || c.Placement.Target == "explicit" {
		return nil
	}
	for _, a := range axes {
		switch a.Key {
		case "placement.hemisphere", "placement.x_mm", "placement.y_mm":
			vals := make([]string, len(a.Values))
			for i, v := range a.Values {
				vals[i] = fmt.Sprintf("%#v", v)
			}
			e := field("sweep."+shortKey(c, a.Key), "["+strings.Join(vals, ", ")+"]",
				fmt.Sprintf("placement.target = %q aims every point at the same place and ignores %s; set placement.target = \"explicit\" to sweep the aim point",
					c.Placement.Target, a.Key))
			e.Line = lineOf(lines, e.Key)
			return e
		}
	}
	return nil
}

// pointError reports an invalid point against the [sweep] key that made it,
// as written in the file and with its line.
func (p SweepPlan) pointError(c *Config, lines map[string]int, k int, err error) error {
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	if full, ok := strings.CutPrefix(ce.Key, "sweep."); ok { // a value of the wrong type
		ce.Key = "sweep." + shortKey(c, full)
		ce.Line = lineOf(lines, ce.Key)
		return ce
	}
	var desc []string
	for a, v := range p.Values(k) {
		desc = append(desc, fmt.Sprintf("%s = %v", p.Axes[a].Key, v))
	}
	ce.Allowed += fmt.Sprintf(" (sweep point %d: %s)", k+1, strings.Join(desc, ", "))
	for _, a := range p.Axes {
		if a.Key == ce.Key {
			ce.Key = "sweep." + shortKey(c, a.Key)
			ce.Line = lineOf(lines, ce.Key)
		}
	}
	return ce
}

// shortKey returns the key as written in the config's [sweep] table.
func shortKey(c *Config, full string) string {
	for k := range c.Sweep {
		if k == full || sweepable[k] == full {
			return k
		}
	}
	return full
}
