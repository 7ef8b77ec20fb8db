package experiments

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/vision"
)

// Config is a TOML experiment file. Every quantity carries its unit in its
// key. Zero values are filled from the protocol's defaults (Resolve).
type Config struct {
	Protocol     string             `toml:"protocol"`    // registered protocol, e.g. "afraz2006"
	Seed         uint64             `toml:"seed"`        // master seed
	SitesSeed    uint64             `toml:"sites_seed"`  // the site sample (0: seed)
	TrialsSeed   uint64             `toml:"trials_seed"` // trial noise and its bootstrap (0: seed)
	Model        ModelConfig        `toml:"model"`
	Stimuli      StimuliConfig      `toml:"stimuli"`
	Task         TaskConfig         `toml:"task"`
	Perturbation PerturbationConfig `toml:"perturbation"`
	Sites        SitesConfig        `toml:"sites"`
	Compare      CompareConfig      `toml:"compare"`
	Device       *DeviceConfig      `toml:"device,omitempty"`    // hardware: the array or light source
	Placement    *PlacementConfig   `toml:"placement,omitempty"` // hardware: where it goes
	Safety       *SafetyConfig      `toml:"safety,omitempty"`    // hardware: charge limits
	Sweep        map[string]any     `toml:"sweep,omitempty"`     // hardware: parameter grid (microstim sweep)
	Conditions   []ConditionConfig  `toml:"condition,omitempty"` // generic: conditions run side by side

	modelITUnits int // IT units of model.weights, read by ParseConfig (0: the embedded model's)
}

// DeviceConfig is the stimulation device of a hardware experiment.
type DeviceConfig struct {
	Type            string        `toml:"type"`             // single, utah, grid, explicit, fibre, led_array
	NElectrodes     int           `toml:"n_electrodes"`     // grid, led_array: number of contacts
	Pitch_um        float64       `toml:"pitch_um"`         // grid, led_array: spacing
	TotalCurrent_uA float64       `toml:"total_current_uA"` // > 0: split equally over the contacts (equal total charge)
	ContactArea_um2 float64       `toml:"contact_area_um2"` // electrode area for the charge density
	Contacts        []ContactSpec `toml:"contact"`          // explicit contacts
}

// ContactSpec is one explicit contact, relative to the device centre.
type ContactSpec struct {
	DX_mm      float64 `toml:"dx_mm"`
	DY_mm      float64 `toml:"dy_mm"`
	Current_uA float64 `toml:"current_uA"` // 0: perturbation.current_uA
}

// PlacementConfig says where the device is aimed and how well.
type PlacementConfig struct {
	Target            string  `toml:"target"` // "face_patch_centre" or "explicit"
	Hemisphere        string  `toml:"hemisphere"`
	X_mm              float64 `toml:"x_mm"`
	Y_mm              float64 `toml:"y_mm"`
	TargetingError_mm float64 `toml:"targeting_error_mm"` // RMS radial error of the centre
	NPlacements       int     `toml:"n_placements"`       // placements per seed
	NSeeds            int     `toml:"n_seeds"`            // seeds (choice sampling and placement draws)
}

// SafetyConfig holds the charge limits checked for every configuration.
type SafetyConfig struct {
	ShannonK                float64 `toml:"shannon_k"`
	MaxChargeDensity_uC_cm2 float64 `toml:"max_charge_density_uC_cm2"` // 0: none
	MaxTotalCurrent_uA      float64 `toml:"max_total_current_uA"`      // 0: none
	Fatal                   bool    `toml:"fatal"`                     // refuse to run a violating configuration
}

// ModelConfig selects the network.
type ModelConfig struct {
	Weights string `toml:"weights"`        // weight file; "" = the embedded default model
	Name    string `toml:"name,omitempty"` // a shipped model (vision.ShippedModels), instead of weights; resolved into weights
}

// StimuliConfig selects the stimulus set.
type StimuliConfig struct {
	Set    string `toml:"set"`    // "embedded" (the shipped held-out pool) or "folder"
	Folder string `toml:"folder"` // with set = "folder": a folder of category folders (faces in "face*" folders)
}

// TaskConfig holds the behavioural task and readout.
type TaskConfig struct {
	SignalLevels_pct []float64 `toml:"signal_levels_pct"` // visual signal, + faces, − non-faces
	TestImages       int       `toml:"test_images_per_class"`
	TrialsPerImage   int       `toml:"trials_per_image"`
	DecoderC         float64   `toml:"decoder_C"` // inverse L2 strength of the logistic readout
	// Readout is "fixed" (decoder_C as given) or "calibrated": C is set so
	// the readout's unperturbed cross-validated expected accuracy matches
	// control_accuracy_pct, the monkeys' control performance.
	Readout             string  `toml:"readout"`
	ControlAccuracy_pct float64 `toml:"control_accuracy_pct"`
	Lapse               float64 `toml:"lapse_rate"`
	BootstrapReps       int     `toml:"bootstrap_reps"`
	// PairedTrials (generic detection and discrimination): a site's control
	// and perturbed trials share their noise (common random numbers);
	// false simulates them as separate sessions, as the paper protocols do.
	PairedTrials   bool     `toml:"paired_trials"`
	ImageScale     float64  `toml:"image_scale"`          // image side as a fraction of the frame, shown in one hemifield
	TrialsPerCond  int      `toml:"trials_per_condition"` // same/different: trials per condition (same or different × stimulation)
	StimulatedCue  string   `toml:"stimulated_cue"`       // same/different: "second" or "both"
	DistanceMetric string   `toml:"distance_metric"`      // same/different: "l1" or "correlation"
	Categories     []string `toml:"categories"`           // object discrimination: categories, every pair a task; generic discrimination: two selectors
	Kind           string   `toml:"kind"`                 // generic: "detection" or "discrimination"
	Target         string   `toml:"target"`               // generic detection: stimulus selector of the targets
	Distractors    string   `toml:"distractors"`          // generic detection: selector of the paradigm.Distractors ("": the face-selectivity set's other images)
	Pairs          string   `toml:"pairs"`                // generic same/different: "identity" or "category"
}

// PerturbationConfig describes the intervention.
type PerturbationConfig struct {
	Kind          string  `toml:"kind"`  // microstim, optogenetic, muscimol, lesion
	Stage         string  `toml:"stage"` // V1, V2, V4, IT
	SpreadLaw     string  `toml:"spread_law"`
	K_uA_per_mm2  float64 `toml:"k_uA_per_mm2"`
	Sigma_mm      float64 `toml:"sigma_mm"`
	Radius_mm     float64 `toml:"radius_mm"`
	Current_uA    float64 `toml:"current_uA"`
	Frequency_Hz  float64 `toml:"frequency_Hz"`
	PulseWidth_us float64 `toml:"pulse_width_us"`
	Train_ms      float64 `toml:"train_ms"`
	GainMode      string  `toml:"gain_mode"`
	GainCap       float64 `toml:"gain_cap"`
	Power_mW      float64 `toml:"power_mW"`
	Expression    float64 `toml:"expression_fraction"`
	OptoMode      string  `toml:"opto_mode"`
	Volume_uL     float64 `toml:"volume_uL"`
}

// SitesConfig chooses where to perturb.
type SitesConfig struct {
	Rule            string     `toml:"rule"` // "explicit", "dprime_split", "face_patch_centre", "outside_patches", "inside_patches", "grid", "random"
	Explicit        []SiteSpec `toml:"site"`
	NSelective      int        `toml:"n_selective"`
	NOther          int        `toml:"n_other"`
	DPrimeThreshold float64    `toml:"dprime_threshold"`
	Radius_mm       float64    `toml:"neighbourhood_radius_mm"`
	Grid_mm         float64    `toml:"grid_mm"`
	Hemisphere      string     `toml:"hemisphere"`         // "L", "R" or "both"
	NPerHemisphere  int        `toml:"n_per_hemisphere"`   // rules "random", "inside_patches" and "outside_patches" (0: one): sites per hemisphere
	OutsideDPrime   float64    `toml:"outside_dprime_max"` // control site: every grid site within outside_radius_mm below this d′
	Outside_mm      float64    `toml:"outside_radius_mm"`
}

// SiteSpec is one explicit site.
type SiteSpec struct {
	Hemisphere string  `toml:"hemisphere"`
	X_mm       float64 `toml:"x_mm"`
	Y_mm       float64 `toml:"y_mm"`
}

// CompareConfig names the reported data to compare with.
type CompareConfig struct {
	Data string `toml:"data"` // e.g. "afraz2006"; "" for none
}

// ConfigError is a problem with one key of a config file.
type ConfigError struct {
	File    string
	Line    int // 0 when unknown
	Key     string
	Value   string
	Allowed string
}

func (e *ConfigError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Value == "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Allowed)
	}
	return fmt.Sprintf("%s: %s = %s: %s", loc, e.Key, e.Value, e.Allowed)
}

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes a config over its protocol's defaults and validates
// it; name labels errors. A file beyond MaxConfigBytes or nested deeper
// than MaxConfigDepth is refused before the TOML parser sees it.
func ParseConfig(name string, data []byte) (*Config, error) {
	if err := checkConfigBounds(name, data); err != nil {
		return nil, err
	}
	var head struct {
		Protocol string `toml:"protocol"`
		Seed     any    `toml:"seed"`
	}
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ConfigError{File: name, Line: pe.Position.Line, Key: orDash(pe.LastKey), Allowed: pe.Message}
		}
		return nil, decodeError(name, data, err)
	}
	proto, ok := Lookup(head.Protocol)
	if !ok {
		return nil, &ConfigError{File: name, Line: keyLines(data)["protocol"], Key: "protocol", Value: fmt.Sprintf("%q", head.Protocol),
			Allowed: "want one of " + strings.Join(quoteAll(ProtocolNames()), ", ")}
	}
	c := proto.Defaults()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ConfigError{File: name, Line: pe.Position.Line, Key: orDash(pe.LastKey), Allowed: pe.Message}
		}
		return nil, decodeError(name, data, err)
	}
	lines := keyLines(data)
	for _, u := range md.Undecoded() {
		k := u.String()
		if strings.HasPrefix(k, "sweep.") { // the [sweep] table is checked by SweepAxes
			continue
		}
		line := lines[k]
		if rest, ok := strings.CutPrefix(k, "condition."); ok {
			var i int
			if i, line = conditionKeyLine(data, rest); i > 0 {
				k = fmt.Sprintf("condition[%d].%s", i, rest)
			}
		}
		return nil, &ConfigError{File: name, Line: line, Key: k, Allowed: "unknown key (see configs/README.md for the schema)"}
	}
	if len(c.Conditions) > 0 {
		if err := c.resolveConditions(data, lines); err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				ce = &ConfigError{Key: "condition", Allowed: err.Error()}
			}
			ce.File = name
			return nil, ce
		}
	}
	if err := checkApplicable(&c, md, lines); err != nil {
		var ce *ConfigError
		errors.As(err, &ce)
		ce.File = name
		return nil, ce
	}
	if n, ok := head.Seed.(int64); ok && n < 0 { // the decoder wraps a negative seed into uint64
		return nil, &ConfigError{File: name, Line: lines["seed"], Key: "seed", Value: fmt.Sprint(n), Allowed: fmt.Sprintf("allowed range [0, %d]", math.MaxInt64)}
	}
	for _, sd := range []struct {
		key string
		v   *uint64
	}{{"seed", &c.Seed}, {"sites_seed", &c.SitesSeed}, {"trials_seed", &c.TrialsSeed}} {
		if *sd.v > math.MaxInt64 {
			return nil, &ConfigError{File: name, Line: lines[sd.key], Key: sd.key, Value: fmt.Sprint(*sd.v), Allowed: fmt.Sprintf("allowed range [0, %d]", math.MaxInt64)}
		}
		if *sd.v == 0 {
			*sd.v = c.Seed // sites_seed and trials_seed default to the master seed
		}
	}
	if err := c.resolveModelName(lines); err != nil {
		err.File = name
		return nil, err
	}
	c.resolvePaths(filepath.Dir(name))
	c.resolveZeroDefaults()
	err = c.checkFiles()
	if err == nil {
		err = c.Validate()
	}
	if err == nil && c.Sweep != nil {
		_, err = NewSweepPlan(&c, lines)
	}
	if err != nil {
		return nil, inFile(err, name, lines)
	}
	return &c, nil
}

// inFile places a validation error in the config file: a ConfigError gets
// the file and, when it has none, the line of its key; another error is
// prefixed with the file's name.
func inFile(err error, name string, lines map[string]int) error {
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", name, err)
	}
	ce.File = name
	if ce.Line == 0 {
		ce.Line = lineOf(lines, ce.Key)
	}
	return ce
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var lineRe = regexp.MustCompile(`line (\d+)`)
var lastKeyRe = regexp.MustCompile(`last key "([^"]+)"`)

// decodeError turns a toml type error into a ConfigError.
func decodeError(name string, data []byte, err error) error {
	msg := err.Error()
	ce := &ConfigError{File: name, Key: "-", Allowed: strings.TrimPrefix(msg, "toml: ")}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &ce.Line)
	}
	if m := lastKeyRe.FindStringSubmatch(msg); m != nil {
		ce.Key = m[1]
		if ce.Line == 0 {
			ce.Line = keyLines(data)[m[1]]
		}
	}
	if i := strings.Index(ce.Allowed, "): "); i >= 0 {
		ce.Allowed = ce.Allowed[i+3:]
	}
	return ce
}

var tableRe = regexp.MustCompile(`^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]?\]\s*(#.*)?$`)
var keyRe = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)\s*=`)

// keyLines maps dotted keys ("perturbation.current_uA") to their line.
// Keys of the n-th table of an array (1-based) are also mapped with their
// index, as "sites.site[2].x_mm".
// conditionKeyLine finds the [[condition]] (1-based) and line where the
// key path (e.g. "task.targte") is written, inline or as a sub-table.
func conditionKeyLine(data []byte, path string) (cond, line int) {
	last := path[strings.LastIndex(path, ".")+1:]
	re := regexp.MustCompile(`(^|[\s{,])` + regexp.QuoteMeta(last) + `\s*=`)
	inCond := false
	for n, l := range strings.Split(string(data), "\n") {
		if m := tableRe.FindStringSubmatch(l); m != nil {
			inCond = m[1] == "condition" || strings.HasPrefix(m[1], "condition.")
			if strings.HasPrefix(strings.TrimSpace(l), "[[condition]]") {
				cond++
			}
			continue
		}
		if inCond && re.MatchString(l) {
			return cond, n + 1
		}
	}
	return 0, 0
}

func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	first := func(k string, n int) {
		if _, ok := out[k]; !ok {
			out[k] = n
		}
	}
	table, indexed := "", ""
	count := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := tableRe.FindStringSubmatch(line); m != nil {
			table, indexed = m[1], ""
			first(table, n)
			if strings.HasPrefix(strings.TrimSpace(line), "[[") {
				count[table]++
				indexed = fmt.Sprintf("%s[%d]", table, count[table])
				first(indexed, n)
			}
			continue
		}
		if m := keyRe.FindStringSubmatch(line); m != nil {
			k := m[1]
			if indexed != "" {
				first(indexed+"."+k, n)
			}
			if table != "" {
				k = table + "." + k
			}
			first(k, n)
		}
	}
	return out
}

// lineOf returns the line of key, or of its closest enclosing table that
// has one (0 if none).
func lineOf(lines map[string]int, key string) int {
	for k := key; k != ""; {
		if n := lines[k]; n > 0 {
			return n
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// field reports a bad value of key.
func field(key string, v any, allowed string) *ConfigError {
	return &ConfigError{Key: key, Value: fmt.Sprint(v), Allowed: allowed}
}

func checkRange(key string, v, lo, hi float64, unit string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		return field(key, v, fmt.Sprintf("allowed range [%g, %g]%s", lo, hi, unit))
	}
	return nil
}

func oneOf(key, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return field(key, fmt.Sprintf("%q", v), "want one of "+strings.Join(quoteAll(allowed), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	sort.Strings(out)
	return out
}

// KeyLines maps the dotted keys of a TOML document to their line numbers.
func KeyLines(data []byte) map[string]int { return keyLines(data) }

// configDifferences lists the keys whose values differ between two
// resolved configs, as "key: old → new".
func configDifferences(a, b string) []string {
	fa, fb := flatTOML(a), flatTOML(b)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		va, oka := fa[k]
		vb, okb := fb[k]
		switch {
		case !oka:
			va = "(unset)"
		case !okb:
			vb = "(unset)"
		}
		if va != vb {
			out = append(out, fmt.Sprintf("%s: %s → %s", k, va, vb))
		}
	}
	sort.Strings(out)
	return out
}

// flatTOML maps the dotted keys of a TOML document to their values as text.
func flatTOML(doc string) map[string]string {
	var m map[string]any
	toml.Decode(doc, &m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if t, ok := v.(map[string]any); ok {
			for k, e := range t {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
			return
		}
		out[prefix] = fmt.Sprint(v)
	}
	walk("", m)
	return out
}

// resolveZeroDefaults writes out the defaults that a zero stands for, so
// that resolved configs show the values used: the spread laws' constants
// (sim.DefaultTehovnikK, sim.DefaultGaussianSigma_mm), in every condition.
func (c *Config) resolveZeroDefaults() {
	fill := func(p *PerturbationConfig) {
		if p.SpreadLaw == "sqrt_tehovnik" && p.K_uA_per_mm2 == 0 {
			p.K_uA_per_mm2 = sim.DefaultTehovnikK
		}
		if p.SpreadLaw == "gaussian" && p.Sigma_mm == 0 {
			p.Sigma_mm = sim.DefaultGaussianSigma_mm
		}
	}
	fill(&c.Perturbation)
	for i := range c.Conditions {
		fill(&c.Conditions[i].Perturbation)
	}
}

// Bounds on a config file, checked before parsing: the TOML parser's memory
// grows fast with nesting (8,000 nested inline tables, 48 KB, took 3.4 GB).
const (
	MaxConfigBytes = 1 << 20 // 1 MiB; the shipped configs are under 5 KB
	MaxConfigDepth = 16      // nested arrays and inline tables; the schema needs 3
)

// checkConfigBounds refuses a file larger than MaxConfigBytes or whose
// arrays and inline tables nest deeper than MaxConfigDepth. It scans
// brackets outside strings and comments.
func checkConfigBounds(name string, data []byte) error {
	if len(data) > MaxConfigBytes {
		return &ConfigError{File: name, Key: "file size", Value: fmt.Sprintf("%d bytes", len(data)), Allowed: fmt.Sprintf("a config file is at most %d bytes", MaxConfigBytes)}
	}
	depth, line := 0, 1
	for i := 0; i < len(data); i++ {
		switch ch := data[i]; ch {
		case '\n':
			line++
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			i, line = skipString(data, i, line)
		case '[', '{':
			if depth++; depth > MaxConfigDepth {
				return &ConfigError{File: name, Line: line, Key: "nesting", Value: fmt.Sprintf("%d levels", depth),
					Allowed: fmt.Sprintf("arrays and inline tables nest at most %d levels deep", MaxConfigDepth)}
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// skipString returns the index of the closing quote of the TOML string
// opening at data[i] (basic or literal, single- or multi-line) and the
// line it ends on; an unterminated string runs to the end.
func skipString(data []byte, i, line int) (int, int) {
	q := data[i]
	delim := []byte{q}
	if bytes.HasPrefix(data[i:], []byte{q, q, q}) {
		delim = []byte{q, q, q}
	}
	for j := i + len(delim); j < len(data); j++ {
		switch {
		case data[j] == '\n':
			line++
		case q == '"' && data[j] == '\\':
			j++
			if j < len(data) && data[j] == '\n' {
				line++
			}
		case bytes.HasPrefix(data[j:], delim):
			return j + len(delim) - 1, line
		}
	}
	return len(data), line
}

// sitesSeed is sites_seed, or the master seed where it is 0 (a config
// built in code rather than parsed).
func (c *Config) sitesSeed() uint64 { return cmp.Or(c.SitesSeed, c.Seed) }

// trialsSeed is trials_seed, or the master seed where it is 0.
func (c *Config) trialsSeed() uint64 { return cmp.Or(c.TrialsSeed, c.Seed) }

// resolveModelName turns [model] name into the shipped model's weight file.
func (c *Config) resolveModelName(lines map[string]int) *ConfigError {
	if c.Model.Name == "" {
		return nil
	}
	if c.Model.Weights != "" {
		return &ConfigError{Line: lines["model.name"], Key: "model.name", Value: fmt.Sprintf("%q", c.Model.Name), Allowed: "give model.name or model.weights, not both"}
	}
	p, err := vision.FindShipped(c.Model.Name)
	if err != nil {
		return &ConfigError{Line: lines["model.name"], Key: "model.name", Value: fmt.Sprintf("%q", c.Model.Name), Allowed: err.Error()}
	}
	c.Model.Weights, c.Model.Name = p, ""
	return nil
}
