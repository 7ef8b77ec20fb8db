package experiments

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/microstim/microstim/configs"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

// Benchmark is a registered benchmark: an experiment file of configs/ and
// the criteria of docs/references.md#schrimpf2024 it decides.
type Benchmark struct {
	Name     string   // e.g. "afraz2015_optogenetics"
	Config   string   // file in configs/
	Criteria []string // criterion ids, in the registry's order
	Figures  []Figure // the PNG figures its report shows
}

// Benchmarks lists the benchmarks run by `microstim bench`: those of every
// registered Benchmarker, protocols in name order. For the shipped
// protocols that is the order of the nine criteria of Schrimpf et al. 2024
// (docs/references.md#schrimpf2024).
func Benchmarks() []Benchmark {
	var out []Benchmark
	for _, name := range ProtocolNames() {
		if b, ok := protocols[name].(Benchmarker); ok {
			out = append(out, b.Benchmarks()...)
		}
	}
	return out
}

// BenchmarkNames lists the registered benchmarks.
func BenchmarkNames() []string {
	var out []string
	for _, b := range Benchmarks() {
		out = append(out, b.Name)
	}
	return out
}

// BenchmarkRun is one benchmark of a scorecard.
type BenchmarkRun struct {
	Name    string  `json:"name"`
	Dir     string  `json:"dir"` // output folder, relative to the scorecard
	Seconds float64 `json:"seconds"`
	Figures []Figure
}

// Scorecard is the outcome of `microstim bench`.
type Scorecard struct {
	Manifest   Manifest       `json:"manifest"`
	Benchmarks []BenchmarkRun `json:"benchmarks"`
	Criteria   []Criterion    `json:"criteria"`
	Passed     int            `json:"passed"`
	MeanScore  float64        `json:"mean_score"`
	Readout    string         `json:"readout"` // ReadoutFixed or ReadoutCalibrated
}

// Add records a finished benchmark: its criteria in the registry's order
// (a criterion the run could not decide is recorded as failed).
func (s *Scorecard) Add(b Benchmark, run BenchmarkRun, got []Criterion) {
	s.Benchmarks = append(s.Benchmarks, run)
	s.addCriteria(b, got)
}

// AddNotRun records a benchmark that could not run on this model: each of
// its criteria fails with score 0 and the reason as its verdict; it has no
// folder and no report.
func (s *Scorecard) AddNotRun(b Benchmark, reason error) {
	var got []Criterion
	for _, id := range b.Criteria {
		got = append(got, Criterion{ID: id, Benchmark: b.Name, Verdict: "fail: not run: " + reason.Error(),
			Model: math.NaN(), ModelCI: nan2, ModelP: math.NaN(), Monkey: math.NaN()})
	}
	s.addCriteria(b, got)
}

func (s *Scorecard) addCriteria(b Benchmark, got []Criterion) {
	byID := map[string]Criterion{}
	for _, c := range got {
		byID[c.ID] = c
	}
	for _, id := range b.Criteria {
		c, ok := byID[id]
		if !ok {
			c = Criterion{ID: id, Benchmark: b.Name, Verdict: "fail: not decided (see the benchmark's report)", ModelCI: nan2}
		}
		s.Criteria = append(s.Criteria, c)
	}
	s.Passed, s.MeanScore = 0, 0
	for _, c := range s.Criteria {
		if c.Pass {
			s.Passed++
		}
		s.MeanScore += c.Score / float64(len(s.Criteria))
	}
}

// Print writes the scorecard as a terminal table.
func (s *Scorecard) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tcriterion\tmodel\tp\tmonkeys\tverdict\tscore")
	for i, c := range s.Criteria {
		v := "FAIL"
		if c.Pass {
			v = "PASS"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%.2f\n", i+1, c.ID, fnum(c.Model, 3), pnum(c.ModelP), fnum(c.Monkey, 3), v, c.Score)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d of %d criteria pass; mean quantitative score %.2f\n", s.Passed, len(s.Criteria), s.MeanScore)
}

// CSV renders the scorecard as one row per criterion.
func (s *Scorecard) CSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"number", "id", "benchmark", "measure", "unit", "model", "model_ci95_lo", "model_ci95_hi", "model_p",
		"monkey", "monkey_error", "monkey_source", "rule", "pass", "score", "score_rule"})
	for i, c := range s.Criteria {
		w.Write([]string{fmt.Sprint(i + 1), c.ID, c.Benchmark, c.Measure, c.Unit, f4(c.Model), f4(c.ModelCI[0]), f4(c.ModelCI[1]), f4(c.ModelP),
			f4(c.Monkey), f4(c.MonkeyErr), c.Source, c.Rule, fmt.Sprint(c.Pass), f4(c.Score), c.ScoreRule})
	}
	w.Flush()
	return b.Bytes()
}

var scorecardTmpl = template.Must(template.New("scorecard").Funcs(template.FuncMap{
	"f":    func(v float64) string { return fnum(v, 3) },
	"p":    pnum,
	"inc":  func(i int) int { return i + 1 },
	"join": func(a, b string) string { return filepath.ToSlash(filepath.Join(a, b)) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>microstim — perturbation benchmark scorecard</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right;vertical-align:top}
th{background:#f3f3f3} td:nth-child(2),td:nth-child(3),td:nth-child(7){text-align:left}
.pass{color:#0a6e2a;font-weight:bold} .fail{color:#a31515;font-weight:bold} img{max-width:100%;border:1px solid #eee;margin:.5em 0}
</style></head><body>
<h1>Perturbation benchmark scorecard</h1>
<p>The nine criteria of the Brain-Score perturbation benchmarks (Schrimpf, McGrath, Margalit &amp; DiCarlo 2024; microstim docs/references.md#schrimpf2024),
each decided as the published benchmark defines it, with a quantitative score in [0, 1]. No benchmark is fitted: one model, one set
of spread laws and one readout serve them all: {{if eq .Readout "calibrated"}}logistic regression whose C is calibrated on unperturbed
trials to the monkeys' control accuracy where the paper gives it (Afraz 2015: 85.9 %), Brain-Score's C = 1e-3 elsewhere{{else}}logistic
regression with Brain-Score's C = 1e-3{{end}}, fitted on unperturbed images, then frozen.</p>
<p>Model <code>{{.Manifest.Model}}</code> (SHA-256 <code>{{.Manifest.ModelSHA256}}</code>), microstim {{.Manifest.Version}}, BLAS {{.Manifest.BLAS}}.
<b>{{.Passed}} of {{len .Criteria}}</b> criteria pass; mean score {{f .MeanScore}}.</p>
<table><tr><th>#</th><th>criterion</th><th>measure</th><th>model [95 % CI]</th><th>p</th><th>monkeys</th><th>verdict</th><th>score</th></tr>
{{range $i, $c := .Criteria}}<tr><td>{{inc $i}}</td><td>{{$c.ID}}</td><td>{{$c.Measure}}{{if $c.Unit}} ({{$c.Unit}}){{end}}</td>
<td>{{f $c.Model}} [{{f (index $c.ModelCI 0)}}, {{f (index $c.ModelCI 1)}}]</td><td>{{p $c.ModelP}}</td><td>{{f $c.Monkey}}<br><small>{{$c.Source}}</small></td>
<td class="{{if $c.Pass}}pass{{else}}fail{{end}}">{{$c.Verdict}}</td><td>{{f $c.Score}}<br><small>{{$c.ScoreRule}}</small></td></tr>
{{end}}</table>
{{range .Benchmarks}}<h2>{{.Name}} ({{printf "%.0f" .Seconds}} s) — <a href="{{join .Dir "report.html"}}">full report</a></h2>
{{$d := .Dir}}{{range .Figures}}<p>{{.Caption}}</p><img src="{{join $d .File}}" alt="{{.Caption}}">{{end}}
{{end}}
<h2>Files</h2><p><a href="scorecard.json">scorecard.json</a> · <a href="scorecard.csv">scorecard.csv</a>; each benchmark's folder has its
summary, resolved config and manifest.</p>
</body></html>
`))

// Write stores scorecard.json, scorecard.csv and report.html in dir.
func (s *Scorecard) Write(dir string) error {
	js, err := marshalJSON(s)
	if err != nil {
		return err
	}
	var h bytes.Buffer
	if err := scorecardTmpl.Execute(&h, s); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"scorecard.json": js, "scorecard.csv": s.CSV(), "report.html": h.Bytes()} {
		if err := resultdir.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// BenchOptions configure RunBenchmarks.
type BenchOptions struct {
	Benchmarks  []Benchmark                                // which to run, in order (Benchmarks() for all)
	Model       *vision.Model                              // the model scored
	Weights     string                                     // its weight file ("" for the embedded default), written into each config
	Pool        func(c *Config) ([]vision.Stimulus, error) // the stimulus pool of a benchmark's config
	Calibrated  bool                                       // also run the calibrated-readout scorecard
	Dir         string                                     // folder to write into: one folder per benchmark, calibrated/ for the second scorecard
	Manifest    Manifest                                   // the scorecards' manifest
	RunManifest func(c *Config, file string) Manifest      // each benchmark run's manifest
	Started     func(name string)                          // called as each run starts (nil: silent)
	Warn        io.Writer                                  // where a benchmark scored as not run is reported (nil: discarded)
}

// RunBenchmarks runs the benchmarks' shipped configs on the model and
// writes each run into opt.Dir/<name>, and its calibrated-readout run into
// opt.Dir/calibrated/<name>. It returns the fixed-readout scorecard and,
// when opt.Calibrated, the calibrated one, where a benchmark without a
// readout to calibrate reuses its fixed run. A benchmark that cannot run on
// the model (no face patch: an α = 0 control) is scored as not run.
func RunBenchmarks(opt BenchOptions) (fixed, calibrated *Scorecard, err error) {
	fixed = &Scorecard{Manifest: opt.Manifest, Readout: ReadoutFixed}
	calibrated = &Scorecard{Manifest: opt.Manifest, Readout: ReadoutCalibrated}
	if opt.Warn == nil {
		opt.Warn = io.Discard
	}
	for _, b := range opt.Benchmarks {
		file := "configs/" + b.Config
		data, err := configs.Read(b.Config)
		if err != nil {
			return nil, nil, err
		}
		c, err := ParseConfig(file, data)
		if err != nil {
			return nil, nil, err
		}
		c.Model.Weights = opt.Weights
		pool, err := opt.Pool(c)
		if err != nil {
			return nil, nil, err
		}
		br, crit, err := opt.runBenchmark(b, c, pool, b.Name, "")
		if errors.Is(err, ErrNoFacePatch) {
			fmt.Fprintf(opt.Warn, "%v: scored as not run\n", err)
			fixed.AddNotRun(b, err)
			calibrated.AddNotRun(b, err)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		fixed.Add(b, br, crit)
		if !opt.Calibrated {
			continue
		}
		if !Calibratable(c) { // the same run serves both scorecards
			br.Dir = filepath.Join("..", b.Name)
			calibrated.Add(b, br, crit)
			continue
		}
		c.Task.Readout = ReadoutCalibrated
		if br, crit, err = opt.runBenchmark(b, c, pool, filepath.Join("calibrated", b.Name), " (calibrated readout)"); err != nil {
			return nil, nil, err
		}
		br.Dir = b.Name
		calibrated.Add(b, br, crit)
	}
	if !opt.Calibrated {
		calibrated = nil
	}
	return fixed, calibrated, nil
}

// runBenchmark runs c and writes it into opt.Dir/sub.
func (opt BenchOptions) runBenchmark(b Benchmark, c *Config, pool []vision.Stimulus, sub, label string) (BenchmarkRun, []Criterion, error) {
	if opt.Started != nil {
		opt.Started(b.Name + label)
	}
	t0 := time.Now()
	res, err := Run(c, opt.Model, pool, nil)
	if err != nil {
		return BenchmarkRun{}, nil, fmt.Errorf("%s%s: %w", b.Name, label, err)
	}
	if err := os.MkdirAll(filepath.Join(opt.Dir, sub), 0o755); err != nil {
		return BenchmarkRun{}, nil, err
	}
	if err := res.Write(filepath.Join(opt.Dir, sub), c, opt.RunManifest(c, "configs/"+b.Config)); err != nil {
		return BenchmarkRun{}, nil, err
	}
	return BenchmarkRun{Name: b.Name, Dir: sub, Seconds: time.Since(t0).Seconds(), Figures: b.Figures}, res.Criteria(), nil
}

// WriteScorecards writes the fixed scorecard into dir and the calibrated
// one, when not nil, into dir/calibrated.
func WriteScorecards(dir string, fixed, calibrated *Scorecard) error {
	if calibrated != nil {
		if err := os.MkdirAll(filepath.Join(dir, "calibrated"), 0o755); err != nil {
			return err
		}
		if err := calibrated.Write(filepath.Join(dir, "calibrated")); err != nil {
			return err
		}
	}
	return fixed.Write(dir)
}
