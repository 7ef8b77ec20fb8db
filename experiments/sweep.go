package experiments

import (
	"bytes"
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
