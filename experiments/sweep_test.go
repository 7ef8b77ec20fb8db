package experiments

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

const smallSweep = `protocol = "hardware"
seed = 3
[task]
signal_levels_pct = [-60, 0, 60]
test_images_per_class = 4
trials_per_image = 2
bootstrap_reps = 20
[device]
type = "grid"
n_electrodes = 4
pitch_um = 400
[placement]
target = "explicit"
hemisphere = "L"
x_mm = 5.0
y_mm = 5.0
targeting_error_mm = 0.5
n_placements = 2
n_seeds = 1
[sweep]
pitch_um = [200, 800]
current_uA = { from = 20, to = 40, step = 20 }
`

func TestSweepPlan(t *testing.T) {
	c, err := ParseConfig("small.toml", []byte(smallSweep))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewSweepPlan(c, KeyLines([]byte(smallSweep)))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Axes) != 2 || plan.Axes[0].Key != "device.pitch_um" || plan.Axes[1].Key != "perturbation.current_uA" || plan.Points != 4 {
		t.Fatalf("plan %+v: want pitch (file order first) × current, 4 points", plan)
	}
	want := [][2]float64{{200, 20}, {200, 40}, {800, 20}, {800, 40}}
	for k, w := range want {
		v := plan.Values(k)
		pc, err := plan.PointConfig(c, k)
		if err != nil {
			t.Fatal(err)
		}
		if v[0].(float64) != w[0] || v[1].(float64) != w[1] || pc.Device.Pitch_um != w[0] || pc.Perturbation.Current_uA != w[1] {
			t.Errorf("point %d: values %v, config pitch %g current %g; want %v", k, v, pc.Device.Pitch_um, pc.Perturbation.Current_uA, w)
		}
	}
	if c.Device.Pitch_um != 400 {
		t.Error("PointConfig changed the base config")
	}
	for _, tc := range []struct{ doc, want string }{
		{`protocol = "hardware"` + "\n[sweep]\nwidth_um = [1]\n", "small.toml:3: sweep.width_um: not a sweepable parameter"},
		{`protocol = "hardware"` + "\n[sweep]\ncurrent_uA = [50, 9000]\n", "small.toml:3: sweep.current_uA = 9000: allowed range [0, 5000] µA"},
		{`protocol = "hardware"` + "\n[sweep]\ncurrent_uA = { from = 50, to = 10 }\n", "sweep.current_uA"},
		{`protocol = "hardware"` + "\n[sweep]\ntype = [\"single\", \"helmet\"]\n", "sweep.type = \"helmet\""},
		{`protocol = "afraz2006"` + "\n[sweep]\ncurrent_uA = [50]\n", "sweep: only for protocol = \"hardware\""},
		{`protocol = "hardware"` + "\n[placement]\ntarget = \"face_patch_centre\"\n[sweep]\ny_mm = [1, 2]\n",
			"small.toml:5: sweep.y_mm = [1, 2]: placement.target = \"face_patch_centre\" aims every point at the same place and ignores placement.y_mm"},
		{`protocol = "hardware"` + "\n[sweep]\nhemisphere = [\"L\", \"R\"]\n", "sweep.hemisphere"}, // the default target is the patch centre
	} {
		_, err := ParseConfig("small.toml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.doc, err, tc.want)
		}
	}
}

// Sweeping the aim point moves the device: each point of a sweep over
// placement.x_mm gives what a config with that x_mm alone gives.
func TestSweepAimPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	doc := strings.Replace(smallSweep, "pitch_um = [200, 800]\ncurrent_uA = { from = 20, to = 40, step = 20 }", "x_mm = [2.0, 5.0, 8.0]", 1)
	c, err := ParseConfig("aim.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	m, err := vision.NewModel(vision.DefaultArch([]string{"a", "Faces_easy"}), 7)
	if err != nil {
		t.Fatal(err)
	}
	pool := vision.AtSide(mustStimuli(t), m.Arch.Input)
	res, err := RunSweep(c, m, pool, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Aim(); !strings.HasPrefix(got, "per point") {
		t.Errorf("Aim() = %q, want per point", got)
	}
	for k, x := range []float64{2, 5, 8} {
		one := c.clone()
		one.Sweep, one.Placement.X_mm = nil, x
		alone, err := RunSweep(one, m, pool, SweepOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, want := res.Points[k], alone.Points[0]
		if !got.Aim.same(want.Aim) || got.Aim.X_mm != x || got.Aim.Hemisphere != "L" {
			t.Errorf("x_mm = %g: aim %v, alone %v", x, got.Aim, want.Aim)
		}
		for i := range got.Metrics {
			if g, w := got.Metrics[i], want.Metrics[i]; g.Mean != w.Mean && !(math.IsNaN(g.Mean) && math.IsNaN(w.Mean)) {
				t.Errorf("x_mm = %g: %s = %g in the sweep, %g alone", x, g.Name, g.Mean, w.Mean)
			}
		}
	}
	if res.Points[0].Metric(MetricShift).Mean == res.Points[2].Metric(MetricShift).Mean {
		t.Errorf("x_mm = 2 and 8 mm give the same shift (%g): the aim did not move", res.Points[0].Metric(MetricShift).Mean)
	}
}

func mustStimuli(t *testing.T) []vision.Stimulus {
	t.Helper()
	pool, err := vision.Stimuli()
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

func readAll(t *testing.T, dir string, names ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

// smallSweepSetup parses smallSweep and makes the small test network and
// the pool at its input.
func smallSweepSetup(t *testing.T) (*Config, map[string]int, *vision.Model, []vision.Stimulus) {
	t.Helper()
	c, err := ParseConfig("small.toml", []byte(smallSweep))
	if err != nil {
		t.Fatal(err)
	}
	m, err := vision.NewModel(vision.DefaultArch([]string{"a", "Faces_easy"}), 7)
	if err != nil {
		t.Fatal(err)
	}
	return c, KeyLines([]byte(smallSweep)), m, vision.AtSide(mustStimuli(t), m.Arch.Input)
}

// A sweep interrupted midway resumes without recomputing finished points,
// and shards merged together give the same bytes as one run.
func TestSweepResumeAndShards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	c, lines, m, pool := smallSweepSetup(t)
	man := Manifest{Program: "microstim", Seed: c.Seed}
	outputs := []string{"sweep.csv", "summary.json", "report.html", "config.resolved.toml", "dose_response_shift.png", "heatmap_shift.svg", "pareto.svg"}
	run := func(dir string, opt SweepOptions) (*SweepResult, error) {
		opt.Dir, opt.Lines = dir, lines
		res, err := RunSweep(c, m, pool, opt)
		if err != nil {
			return nil, err
		}
		return res, res.Write(dir, c, man)
	}
	full := t.TempDir()
	res, err := run(full, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Computed != 4 || len(res.Points) != 4 {
		t.Fatalf("full run: %d computed, %d points", res.Computed, len(res.Points))
	}
	want := readAll(t, full, outputs...)

	// Interrupted after one point, then resumed.
	part := t.TempDir()
	if _, err := run(part, SweepOptions{StopAfter: 1}); !errors.Is(err, ErrStopped) {
		t.Fatalf("interrupted run: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(part, "points", "*.json"))
	if len(files) == 0 || len(files) == 4 {
		t.Fatalf("%d points stored after the interruption", len(files))
	}
	// A damaged stored point is reported and computed again.
	os.WriteFile(filepath.Join(part, "points", "000003.json"), []byte("{\"point\": 3, \"metr"), 0o644)
	files, _ = filepath.Glob(filepath.Join(part, "points", "*.json"))
	var recomputed []int
	res, err = run(part, SweepOptions{OnComputed: func(k int) { recomputed = append(recomputed, k) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(recomputed) != 5-len(files) || res.Computed != 5-len(files) {
		t.Errorf("resume computed %d points (%v), want %d", len(recomputed), recomputed, 5-len(files))
	}
	if len(res.Discarded) != 1 || !strings.Contains(res.Discarded[0], "000003.json") {
		t.Errorf("discarded %q, want the damaged point 3 named", res.Discarded)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "000003.json") {
			continue
		}
		k, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), ".json"))
		for _, r := range recomputed {
			if r == k {
				t.Errorf("point %d was stored and recomputed", k)
			}
		}
	}
	for name, b := range readAll(t, part, outputs...) {
		if !bytes.Equal(b, want[name]) {
			t.Errorf("resumed %s differs from the uninterrupted run", name)
		}
	}

	// Shards 1/3, 2/3, 3/3, merged (into a folder marked as microstim
	// marks a merge's staging folder).
	merged := t.TempDir()
	os.MkdirAll(filepath.Join(merged, "points"), 0o755)
	if err := resultdir.WriteMarker(merged, "merged shards"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		dir := t.TempDir()
		r, err := RunSweep(c, m, pool, SweepOptions{Dir: dir, Lines: lines, Shard: [2]int{i, 3}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Points {
			if p.Point%3 != i-1 {
				t.Errorf("shard %d/3 ran point %d", i, p.Point)
			}
		}
		fs, _ := filepath.Glob(filepath.Join(dir, "points", "*.json"))
		fs = append(fs, filepath.Join(dir, "plan.json")) // as microstim merge does
		for _, f := range fs {
			b, _ := os.ReadFile(f)
			rel, _ := filepath.Rel(dir, f)
			os.WriteFile(filepath.Join(merged, rel), b, 0o644)
		}
	}
	res, err = run(merged, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Computed != 0 {
		t.Errorf("merge recomputed %d points", res.Computed)
	}
	for name, b := range readAll(t, merged, outputs...) {
		if !bytes.Equal(b, want[name]) {
			t.Errorf("merged %s differs from the unsharded run", name)
		}
	}

	// sweep.csv is tidy: one row per point and metric, numbers parse.
	rows, err := csv.NewReader(bytes.NewReader(want["sweep.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(rows[0], ",")
	if head != "point,device.pitch_um,perturbation.current_uA,device,contacts,metric,unit,value,ci95_lo,ci95_hi,n,safe" {
		t.Errorf("sweep.csv header %q", head)
	}
	perPoint := map[string]int{}
	for _, r := range rows[1:] {
		perPoint[r[0]]++
		if r[7] != "" {
			if _, err := strconv.ParseFloat(r[7], 64); err != nil {
				t.Errorf("value %q does not parse", r[7])
			}
		}
	}
	if len(perPoint) != 4 || perPoint["1"] != len(Metrics)+7 {
		t.Errorf("rows per point %v, want 4 points × %d metrics", perPoint, len(Metrics)+7)
	}
}

// With safety.fatal a violating configuration stops the sweep before it
// runs; without it the violation is reported per point.
func TestSweepSafetyFatal(t *testing.T) {
	doc := strings.Replace(smallSweep, "current_uA = { from = 20, to = 40, step = 20 }", "current_uA = [50, 300]", 1) + "[safety]\nfatal = true\n"
	c, err := ParseConfig("fatal.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunSweep(c, nil, nil, SweepOptions{Lines: KeyLines([]byte(doc))})
	if err == nil || !strings.Contains(err.Error(), "Shannon") || !strings.Contains(err.Error(), "point 2") || strings.Contains(err.Error(), "point 1 ") {
		t.Errorf("fatal violation: %v", err)
	}
	pc, _ := c.clone(), 0
	pc.Perturbation.Current_uA = 300
	s, ok, err := pc.CheckSafety()
	if err != nil || !ok || s.Safe() || s.ChargePerPhase_nC != 60 {
		t.Errorf("300 µA, 200 µs: %+v", s)
	}
}

// A point with a missing metric survives the round trip through its file:
// NaN is written as null and read back as NaN.
func TestPointFileNaN(t *testing.T) {
	plan := SweepPlan{Axes: []SweepAxis{{Key: "perturbation.current_uA", Values: []any{20.0, 50.0}}, {Key: "device.type", Values: []any{"single", "utah"}}}, Points: 4}
	plan.Identify("model", "v")
	p := PointResult{PlanSHA256: plan.PlanSHA256, Point: 3, Values: []any{50.0, "utah"}, Device: "utah", Contacts: 96,
		Aim: PointAim{Hemisphere: "R", X_mm: 9.5, Y_mm: 2, DPrime: math.NaN()}}
	for _, mt := range Metrics {
		p.Metrics = append(p.Metrics, MetricResult{Name: mt.Name, Mean: 1.5, CILo: 1, CIHi: 2, N: 4})
	}
	p.Metrics[0] = MetricResult{Name: Metrics[0].Name, Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
	js, err := pointJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"mean": null`) {
		t.Fatalf("NaN not written as null:\n%s", js)
	}
	path := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(path, js, 0o644)
	q, err := readPoint(path, plan, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Aim.same(p.Aim) {
		t.Errorf("aim read back as %+v, written %+v", q.Aim, p.Aim)
	}
	if m := q.Metric(Metrics[0].Name); !math.IsNaN(m.Mean) || !math.IsNaN(m.CIHi) {
		t.Errorf("missing metric read back as %+v", m)
	}
	if m := q.Metric(Metrics[1].Name); m.Mean != 1.5 || m.N != 4 || q.Values[1] != "utah" || q.Values[0] != 50.0 {
		t.Errorf("point read back as %+v", q)
	}
	os.WriteFile(path, []byte("{\"point\": 3, "), 0o644)
	if _, err := readPoint(path, plan, 3); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated point file: %v", err)
	}
	// An edited mean (+10, still valid JSON, now outside its own CI) is
	// refused by the checksum.
	edited := strings.Replace(string(js), `"mean": 1.5`, `"mean": 10`, 1)
	os.WriteFile(path, []byte(edited), 0o644)
	if _, err := readPoint(path, plan, 3); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("edited point file: %v, want a checksum refusal", err)
	}
}

// A sweep folder is locked while a sweep writes it: a second sweep, even
// with --force, is refused and the first finishes whole. A user's folder
// holding a plan.json is refused untouched.
func TestSweepFolderLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	c, lines, m, pool := smallSweepSetup(t)
	dir := t.TempDir()
	var second error
	var once sync.Once
	res, err := RunSweep(c, m, pool, SweepOptions{Dir: dir, Lines: lines, OnComputed: func(int) {
		once.Do(func() { _, second = RunSweep(c, m, pool, SweepOptions{Dir: dir, Lines: lines, Force: true}) })
	}})
	if err != nil {
		t.Fatal(err)
	}
	var busy *resultdir.BusyError
	if !errors.As(second, &busy) {
		t.Errorf("second sweep into a folder being written: %v, want a *resultdir.BusyError", second)
	}
	if err := res.Write(dir, c, Manifest{Program: "microstim"}); err != nil {
		t.Errorf("the first sweep could not finish: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, IncompleteMarker)); err == nil {
		t.Error("the finished sweep is still marked incomplete")
	}

	user := t.TempDir()
	os.WriteFile(filepath.Join(user, "plan.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(user, "thesis.txt"), []byte("draft"), 0o644)
	_, err = RunSweep(c, m, pool, SweepOptions{Dir: user, Lines: lines, Force: true})
	if err == nil || !strings.Contains(err.Error(), "did not write") {
		t.Errorf("sweep --force into a user folder: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(filepath.Join(user, "thesis.txt")); string(b) != "draft" {
		t.Error("thesis.txt lost")
	}
}
