package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
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

// MetricResult is one behavioural measure of a sweep point: the mean over
// placements and seeds with a percentile-bootstrap 95 % CI.
type MetricResult struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	CILo float64 `json:"ci95_lo"`
	CIHi float64 `json:"ci95_hi"`
	N    int     `json:"n"` // replicates with a value
}

// PointResult is the outcome of one sweep point.
type PointResult struct {
	PlanSHA256  string         `json:"plan_sha256"`
	Point       int            `json:"point"` // 0-based index in the plan
	Values      []any          `json:"values"`
	Device      string         `json:"device"`
	Contacts    int            `json:"contacts"`
	OffSheet    float64        `json:"contacts_off_sheet_mean"`
	TotalCharge float64        `json:"total_charge_per_phase_nC"` // electrodes: Σ current × pulse width
	Safety      *sim.Safety    `json:"safety"`                    // electrodes only
	Aim         PointAim       `json:"aim"`
	Metrics     []MetricResult `json:"metrics"`
	// SHA256 is the checksum of the point's own JSON (with this field
	// empty), which carries its plan's hash: an edited point file is
	// recomputed, never reused.
	SHA256 string `json:"sha256,omitempty"`
}

// pointJSON is the stored form of p, its checksum set.
func pointJSON(p PointResult) ([]byte, error) {
	p.SHA256 = ""
	body, err := marshalJSON(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	p.SHA256 = hex.EncodeToString(sum[:])
	js, err := marshalJSON(p)
	return append(js, '\n'), err
}

// PointAim is where a sweep point's device is aimed, before its targeting
// error, and the pooled face d′ of the IT units within the sites'
// neighbourhood radius of that point.
type PointAim struct {
	Hemisphere string  `json:"hemisphere"`
	X_mm       float64 `json:"x_mm"`
	Y_mm       float64 `json:"y_mm"`
	DPrime     float64 `json:"dprime"` // NaN (null in JSON) where undefined
}

// UnmarshalJSON reads an aim whose d′ was written as null as NaN.
func (a *PointAim) UnmarshalJSON(b []byte) error {
	aux := struct {
		Hemisphere string   `json:"hemisphere"`
		X_mm       float64  `json:"x_mm"`
		Y_mm       float64  `json:"y_mm"`
		DPrime     *float64 `json:"dprime"`
	}{}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*a = PointAim{Hemisphere: aux.Hemisphere, X_mm: aux.X_mm, Y_mm: aux.Y_mm, DPrime: math.NaN()}
	if aux.DPrime != nil {
		a.DPrime = *aux.DPrime
	}
	return nil
}

// same reports whether a and b are one aim (NaN d′ equal to NaN).
func (a PointAim) same(b PointAim) bool {
	return a.Hemisphere == b.Hemisphere && a.X_mm == b.X_mm && a.Y_mm == b.Y_mm &&
		(a.DPrime == b.DPrime || math.IsNaN(a.DPrime) && math.IsNaN(b.DPrime))
}

func (a PointAim) String() string {
	return fmt.Sprintf("%s (%.2f, %.2f) mm, site d′ %.2f", a.Hemisphere, a.X_mm, a.Y_mm, a.DPrime)
}

// Metric returns the named metric.
func (p PointResult) Metric(name string) MetricResult {
	for _, m := range p.Metrics {
		if m.Name == name {
			return m
		}
	}
	return MetricResult{Name: name, Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
}

// SweepOptions control a sweep run.
type SweepOptions struct {
	Dir        string   // results folder: finished points are stored in Dir/points and skipped on a rerun ("" keeps them in memory)
	Shard      [2]int   // {i, n}: run points with index mod n == i−1 (zero value: all)
	Progress   Progress // optional
	Lines      map[string]int
	StopAfter  int       // stop after this many new points (0: no limit; for tests of interruption)
	OnComputed func(int) // called with each newly computed point index
	// ModelSHA256 and Version identify the plan (SweepPlan.Identify): a
	// folder holding another plan's points is refused unless Force.
	ModelSHA256, Version string
	Force                bool // clear a folder of another plan (or another result) and start again
}

// SweepResult is a finished (or partial, for a shard) sweep.
type SweepResult struct {
	Plan     SweepPlan
	Points   []PointResult // sorted by point
	Computed int           // points computed in this run (the rest were loaded)
	// Discarded lists stored point files that could not be used (unreadable,
	// incomplete, or written for another point or plan) and were computed
	// again.
	Discarded []string
}

// PlanMismatchError refuses a sweep folder that holds another plan's
// results.
type PlanMismatchError struct {
	Dir         string
	Differences []string // what differs, e.g. "perturbation.current_uA: 50 → 400"
}

func (e *PlanMismatchError) Error() string {
	return fmt.Sprintf("%s holds the results of another sweep plan (%s); write to a new --out folder, or rerun with --force to clear %s and start again",
		e.Dir, strings.Join(e.Differences, "; "), e.Dir)
}

// IncompleteMarker is the file a sweep folder holds until its results are
// complete.
const IncompleteMarker = resultdir.Incomplete

// ErrStopped is returned when SweepOptions.StopAfter ends a run early.
var ErrStopped = errors.New("sweep stopped early")

func pointFile(dir string, k int) string {
	return filepath.Join(dir, "points", fmt.Sprintf("%06d.json", k))
}

// RunSweep runs (or resumes) the sweep of a hardware config.
func RunSweep(c *Config, m *vision.Model, pool []vision.Stimulus, opt SweepOptions) (_ *SweepResult, retErr error) {
	if opt.Progress == nil {
		opt.Progress = func(int, int, string) {}
	}
	plan, err := NewSweepPlan(c, opt.Lines)
	if err != nil {
		return nil, err
	}
	mine := func(k int) bool { return opt.Shard[1] == 0 || k%opt.Shard[1] == opt.Shard[0]-1 }
	// Safety first: a fatal violation stops the sweep before any work.
	if c.Safety != nil && c.Safety.Fatal {
		var bad []string
		for k := 0; k < plan.Points; k++ {
			pc, _ := plan.PointConfig(c, k)
			if s, ok, err := pc.CheckSafety(); err == nil && ok && !s.Safe() {
				bad = append(bad, fmt.Sprintf("point %d (%v): %s", k+1, plan.Values(k), strings.Join(s.Violations, "; ")))
			}
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("safety.fatal = true and %d configuration(s) violate the limits:\n  %s", len(bad), strings.Join(bad, "\n  "))
		}
	}
	plan.Identify(opt.ModelSHA256, opt.Version)
	if opt.Dir != "" {
		release, undo, err := prepareSweepDir(opt.Dir, c, plan, opt.Force)
		if err != nil {
			return nil, err
		}
		defer func() {
			if retErr != nil {
				undo()
			} else {
				release()
			}
		}()
	}
	res := &SweepResult{Plan: plan}
	var todo []int
	done := map[int]PointResult{}
	for k := 0; k < plan.Points; k++ {
		if !mine(k) {
			continue
		}
		if opt.Dir != "" {
			p, err := readPoint(pointFile(opt.Dir, k), plan, k)
			switch {
			case err == nil:
				done[k] = p
				continue
			case !errors.Is(err, fs.ErrNotExist):
				res.Discarded = append(res.Discarded, err.Error())
			}
		}
		todo = append(todo, k)
	}
	opt.Progress(0, len(todo), "preparing the task")
	task, err := newHardwareTask(c, m, pool)
	if err != nil {
		return nil, err
	}
	var finished, started atomic.Int64
	results := make([]PointResult, len(todo))
	err = sim.ParallelFor(len(todo), func(i int) error {
		if opt.StopAfter > 0 && started.Add(1) > int64(opt.StopAfter) {
			return ErrStopped
		}
		k := todo[i]
		p, err := runPoint(c, plan, task, k)
		if err != nil {
			return fmt.Errorf("sweep point %d: %w", k+1, err)
		}
		if opt.Dir != "" {
			js, err := pointJSON(p)
			if err != nil {
				return err
			}
			if err := resultdir.WriteFile(pointFile(opt.Dir, k), js); err != nil {
				return err
			}
		}
		results[i] = p
		if opt.OnComputed != nil {
			opt.OnComputed(k)
		}
		opt.Progress(int(finished.Add(1)), len(todo), "sweep points")
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Computed = len(todo)
	for i, k := range todo {
		done[k] = results[i]
	}
	for _, p := range done {
		res.Points = append(res.Points, p)
	}
	sort.Slice(res.Points, func(i, j int) bool { return res.Points[i].Point < res.Points[j].Point })
	return res, nil
}

// readPoint reads the stored point k of plan and checks it: it must carry
// the plan's hash, point k's values and every metric.
func readPoint(path string, plan SweepPlan, k int) (PointResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PointResult{}, err
	}
	var p PointResult
	if err := json.Unmarshal(b, &p); err != nil {
		return PointResult{}, fmt.Errorf("%s: %w", path, err)
	}
	bad := func(why string, a ...any) (PointResult, error) {
		return PointResult{}, fmt.Errorf("%s: %s", path, fmt.Sprintf(why, a...))
	}
	if want, err := pointJSON(p); err != nil || !bytes.Equal(want, b) {
		return bad("its content does not match its checksum (edited or damaged)")
	}
	p.SHA256 = ""
	switch {
	case p.PlanSHA256 != plan.PlanSHA256:
		return bad("written for plan %.12s…, not this plan %.12s…", p.PlanSHA256+" ", plan.PlanSHA256)
	case p.Point != k:
		return bad("holds point %d, not %d", p.Point, k)
	case !reflect.DeepEqual(p.Values, plan.Values(k)):
		return bad("holds values %v, point %d has %v", p.Values, k, plan.Values(k))
	case p.Device == "" || p.Contacts < 1 || p.Aim.Hemisphere == "" || len(p.Metrics) != len(Metrics):
		return bad("incomplete point (device %q, %d contacts, aim %q, %d of %d metrics)", p.Device, p.Contacts, p.Aim.Hemisphere, len(p.Metrics), len(Metrics))
	}
	for i, mt := range Metrics {
		if p.Metrics[i].Name != mt.Name || p.Metrics[i].N < 0 {
			return bad("metric %d is %q, want %q", i, p.Metrics[i].Name, mt.Name)
		}
	}
	return p, nil
}

// prepareSweepDir makes dir a folder of plan before any work: it marks a
// new folder as microstim's, locks it against other writers, resumes a
// folder of the same plan, refuses one of another plan or holding other
// files (force clears a microstim folder), writes plan.json and marks the
// folder incomplete. release unlocks it; undo also removes what it made,
// for a sweep that fails before storing a point.
func prepareSweepDir(dir string, c *Config, plan SweepPlan, force bool) (release, undo func(), err error) {
	created, err := resultdir.MakeDirs(dir)
	if err != nil {
		return nil, nil, &resultdir.Error{Dest: dir, Reason: "cannot create it", Err: err}
	}
	lock, err := lockSweepDir(dir)
	if err != nil {
		resultdir.RemoveEmpty(created)
		return nil, nil, err
	}
	release = func() { lock.Close() }
	fail := func(err error) (func(), func(), error) {
		lock.Close()
		if len(created) > 0 {
			os.Remove(filepath.Join(dir, resultdir.Marker))
		}
		resultdir.RemoveEmpty(created)
		return nil, nil, err
	}
	if err := checkSweepDir(dir, c, plan, force); err != nil {
		return fail(err)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "points", ".*.tmp-*")) // a kill during a write leaves a temp file, never a partial point
	for _, f := range stale {
		os.Remove(f)
	}
	cfg, err := c.ResolvedTOML()
	if err != nil {
		return fail(err)
	}
	js, err := json.MarshalIndent(planFile{plan, string(cfg)}, "", "  ")
	if err != nil {
		return fail(err)
	}
	marker := fmt.Sprintf("This sweep folder is incomplete: a sweep is running here or was interrupted.\n"+
		"Run the same \"microstim sweep\" command again to finish it; the %d point(s) of plan %.12s already in points/ are kept.\n", plan.Points, plan.PlanSHA256)
	undo = func() {
		defer lock.Close()
		if pts, _ := filepath.Glob(filepath.Join(dir, "points", "*.json")); len(pts) > 0 {
			return // stored points are kept for the next run
		}
		os.Remove(filepath.Join(dir, "points"))
		os.Remove(filepath.Join(dir, "plan.json"))
		os.Remove(filepath.Join(dir, IncompleteMarker))
		if len(created) > 0 {
			os.Remove(filepath.Join(dir, resultdir.Marker))
		}
		resultdir.RemoveEmpty(created)
	}
	for _, w := range []func() error{
		func() error { return resultdir.WriteFile(filepath.Join(dir, IncompleteMarker), []byte(marker)) },
		func() error { return resultdir.WriteFile(filepath.Join(dir, "plan.json"), append(js, '\n')) },
		func() error { return os.MkdirAll(filepath.Join(dir, "points"), 0o755) },
	} {
		if err := w(); err != nil {
			undo()
			return nil, nil, &resultdir.Error{Dest: dir, Reason: "not writable", Err: err}
		}
	}
	return release, undo, nil
}

// lockSweepDir marks an empty folder as a sweep folder and locks it; a
// folder of other files is refused untouched.
func lockSweepDir(dir string) (*os.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &resultdir.Error{Dest: dir, Reason: "cannot read it", Err: err}
	}
	if len(entries) == 0 {
		if err := resultdir.WriteMarker(dir, "a sweep, written in place (resumable)"); err != nil {
			return nil, &resultdir.Error{Dest: dir, Reason: "not writable", Err: err}
		}
	}
	if !resultdir.IsResult(dir) {
		return nil, &resultdir.Error{Dest: dir, Reason: "holds files that microstim did not write; choose a new folder (nothing there is replaced)"}
	}
	return resultdir.Lock(dir)
}

// planFile is plan.json: the plan and the resolved config it came from.
type planFile struct {
	SweepPlan
	Config string `json:"config_resolved_toml"`
}

// ReadPlan reads the plan.json of a sweep folder.
func ReadPlan(dir string) (SweepPlan, string, error) {
	var pf planFile
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err == nil {
		err = json.Unmarshal(b, &pf)
	}
	return pf.SweepPlan, pf.Config, err
}

// checkSweepDir accepts a new sweep folder (its marker alone, or a sweep
// killed before it wrote its plan) or one of the same plan; with force it
// clears a microstim folder of another plan or result, keeping its marker.
func checkSweepDir(dir string, c *Config, plan SweepPlan, force bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &resultdir.Error{Dest: dir, Reason: "cannot read it", Err: err}
	}
	old, oldCfg, err := ReadPlan(dir)
	if err == nil && old.PlanSHA256 == plan.PlanSHA256 {
		return nil
	}
	fresh := true
	for _, e := range entries {
		fresh = fresh && (e.Name() == resultdir.Marker || e.Name() == IncompleteMarker)
	}
	if fresh {
		return nil
	}
	if force {
		for _, e := range entries {
			if e.Name() == resultdir.Marker {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return &resultdir.Error{Dest: dir, Reason: "cannot clear it (--force)", Err: err}
			}
		}
		return nil
	}
	if err != nil {
		return &PlanMismatchError{Dir: dir, Differences: []string{"it holds another result, not a sweep"}}
	}
	cfg, _ := c.ResolvedTOML()
	return &PlanMismatchError{Dir: dir, Differences: PlanDifferences(old, oldCfg, plan, string(cfg))}
}

// PlanDifferences lists what differs between two plans (each with its
// resolved config): config keys, model and program version.
func PlanDifferences(old SweepPlan, oldCfg string, now SweepPlan, cfg string) []string {
	var out []string
	if old.PlanSHA256 == "" {
		out = append(out, "it was written by an earlier microstim without plan hashes")
	}
	out = append(out, configDifferences(oldCfg, cfg)...)
	if old.ModelSHA256 != now.ModelSHA256 {
		out = append(out, fmt.Sprintf("model %.12s… → %.12s…", old.ModelSHA256+" ", now.ModelSHA256+" "))
	}
	if old.Version != now.Version {
		out = append(out, fmt.Sprintf("microstim version %s → %s", old.Version, now.Version))
	}
	if len(out) == 0 {
		out = append(out, "plan "+old.PlanSHA256[:min(12, len(old.PlanSHA256))]+"…")
	}
	return out
}

// UnmarshalJSON reads a metric whose missing values were written as null
// (marshalJSON writes NaN so) back as NaN.
func (m *MetricResult) UnmarshalJSON(b []byte) error {
	aux := struct {
		Name string   `json:"name"`
		Mean *float64 `json:"mean"`
		CILo *float64 `json:"ci95_lo"`
		CIHi *float64 `json:"ci95_hi"`
		N    int      `json:"n"`
	}{}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*m = MetricResult{Name: aux.Name, Mean: val(aux.Mean), CILo: val(aux.CILo), CIHi: val(aux.CIHi), N: aux.N}
	return nil
}

// runPoint evaluates one point: every placement and seed, then the mean and
// bootstrap CI of each metric.
func runPoint(base *Config, plan SweepPlan, task *hardwareTask, k int) (PointResult, error) {
	c, err := plan.PointConfig(base, k)
	if err != nil {
		return PointResult{}, err
	}
	pert, err := c.BuildPerturbation()
	if err != nil {
		return PointResult{}, err
	}
	dev := c.BuildDevice()
	site, aim, err := task.aim(c)
	if err != nil {
		return PointResult{}, err
	}
	p := PointResult{PlanSHA256: plan.PlanSHA256, Point: k, Values: plan.Values(k), Device: dev.Name, Contacts: len(dev.Contacts), Aim: aim}
	if s, ok, err := c.CheckSafety(); err != nil {
		return PointResult{}, err
	} else if ok {
		p.Safety = &s
		for _, cur := range c.contactCurrents(dev) {
			p.TotalCharge += cur * c.Perturbation.PulseWidth_us / 1000
		}
	}
	reps := c.Placement.NPlacements * c.Placement.NSeeds
	vals := map[string][]float64{}
	var off float64
	for r := 0; r < reps; r++ {
		m, dropped, err := task.replicate(c, site, pert, dev, r)
		if err != nil {
			return PointResult{}, err
		}
		off += float64(dropped) / float64(reps)
		for name, v := range m {
			if !math.IsNaN(v) {
				vals[name] = append(vals[name], v)
			}
		}
	}
	p.OffSheet = off
	for mi, mt := range Metrics {
		v := vals[mt.Name]
		mean, lo, hi := stats.BootstrapMean(v, c.Task.BootstrapReps, c.Seed+uint64(mi))
		p.Metrics = append(p.Metrics, MetricResult{Name: mt.Name, Mean: mean, CILo: lo, CIHi: hi, N: len(v)})
	}
	return p, nil
}

// Criteria: a sweep decides no benchmark criterion.
func (r *SweepResult) Criteria() []Criterion { return nil }

// Aim describes where the sweep's devices were aimed: the one aim point
// that every point shares, or "per point" when a swept placement moves it.
func (r *SweepResult) Aim() string {
	for _, p := range r.Points {
		if !p.Aim.same(r.Points[0].Aim) {
			return "per point (placement swept; each point's aim in summary.json, its d′ in sweep.csv)"
		}
	}
	if len(r.Points) == 0 {
		return "no point"
	}
	return r.Points[0].Aim.String()
}

// Print writes one line per point.
func (r *SweepResult) Print(w io.Writer) {
	aim := r.Aim()
	fmt.Fprintf(w, "Sweep: %d points; aim: %s\n", len(r.Points), aim)
	for _, p := range r.Points {
		var desc []string
		for a, v := range p.Values {
			desc = append(desc, fmt.Sprintf("%s=%v", r.Plan.Axes[a].Key[strings.LastIndex(r.Plan.Axes[a].Key, ".")+1:], v))
		}
		if aim != r.Points[0].Aim.String() {
			desc = append(desc, fmt.Sprintf("(d′ %.2f)", p.Aim.DPrime))
		}
		sh := p.Metric(MetricShift)
		ct := p.Metric(MetricControl)
		ci := fmt.Sprintf("[%+.2f, %+.2f]", sh.CILo, sh.CIHi)
		if sh.N < 2 {
			ci = fmt.Sprintf("(n = %d, no CI)", sh.N)
		}
		safe := ""
		if p.Safety != nil && !p.Safety.Safe() {
			safe = "  UNSAFE"
		}
		fmt.Fprintf(w, "  %3d %-40s shift %+6.2f %s %%, control %+6.2f pp%s\n", p.Point+1, strings.Join(desc, " "),
			sh.Mean, ci, ct.Mean, safe)
	}
}
