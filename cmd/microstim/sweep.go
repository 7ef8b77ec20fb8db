package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/resultdir"
)

// parseShard reads "i/n" (1 ≤ i ≤ n).
func parseShard(s string) ([2]int, error) {
	if s == "" {
		return [2]int{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return [2]int{}, fmt.Errorf("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/8", s)
	}
	return [2]int{i, n}, nil
}

// loadSweepConfig reads a hardware config and its key lines.
func loadSweepConfig(file string) (*experiments.Config, map[string]int, error) {
	c, err := experiments.LoadConfig(file)
	if err != nil {
		return nil, nil, err
	}
	if !c.IsSweep() {
		return nil, nil, fmt.Errorf("%s: protocol = %q: sweeps need a protocol that reads [sweep] (\"hardware\"; use microstim run for experiments)", file, c.Protocol)
	}
	data, _ := os.ReadFile(file)
	return c, experiments.KeyLines(data), nil
}

func runSweep(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	out := fs.String("out", "", "output folder (default: results/<config name>); rerunning the same config into it resumes")
	shard := fs.String("shard", "", "run only shard i of n (\"i/n\"); combine the shards with microstim merge")
	quiet := fs.Bool("quiet", false, "no progress")
	force := fs.Bool("force", false, "clear an output folder that holds another sweep plan (or another result) and start again")
	noCache := noCacheFlag(fs)
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("sweep: want a config file, e.g. microstim sweep configs/hardware_current_pitch.toml")
	}
	sh, err := parseShard(*shard)
	if err != nil {
		return err
	}
	return sweepFile(file, sweepFlags{out: *out, shard: sh, quiet: *quiet, force: *force, noCache: *noCache})
}

// sweepFlags are the options of a sweep run from the command line.
type sweepFlags struct {
	out                   string // "" for results/<config name>
	shard                 [2]int
	quiet, force, noCache bool
}

// sweepFile runs (or resumes) the sweep of a config file and writes its
// result, or its shard's points.
func sweepFile(file string, f sweepFlags) error {
	sh, out := f.shard, f.out
	c, lines, err := loadSweepConfig(file)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("results", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	m, sha, pool, err := loadModelAndPool(c, f.noCache)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := experiments.RunSweep(c, m, pool, experiments.SweepOptions{Dir: out, Shard: sh, Lines: lines, Progress: progressBar(f.quiet, start),
		ModelSHA256: sha, Version: Version, Force: f.force})
	if err != nil {
		return err
	}
	for _, d := range res.Discarded {
		fmt.Fprintf(os.Stderr, "sweep: recomputed a stored point: %s\n", d)
	}
	man := manifest(c, file, sha)
	man.GOMAXPROCS = 0
	if sh[1] > 0 {
		if err := experiments.MarkSweepComplete(out); err != nil {
			return err
		}
		fmt.Printf("shard %d/%d: %d points (%d computed now, %d from earlier runs) in %s; combine with: microstim merge --config %s --out DIR SHARD_DIRS…\n",
			sh[0], sh[1], len(res.Points), res.Computed, len(res.Points)-res.Computed, out, file)
		return nil
	}
	if err := res.Write(out, c, man); err != nil {
		return err
	}
	res.Print(os.Stdout)
	fmt.Printf("%d points (%d computed now) in %s; wrote %s (open report.html)\n", len(res.Points), res.Computed, time.Since(start).Round(time.Second), out)
	return nil
}

// runMerge combines shard folders into one sweep result, written as one
// complete result folder.
func runMerge(args []string) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	out := fs.String("out", "", "output folder of the merged sweep")
	cfg := fs.String("config", "", "the sweep's config file")
	shards, err := parsePositionals(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || *cfg == "" || len(shards) == 0 {
		return fmt.Errorf("merge: want --config FILE --out DIR SHARD_DIR…")
	}
	c, lines, err := loadSweepConfig(*cfg)
	if err != nil {
		return err
	}
	plan, err := experiments.NewSweepPlan(c, lines)
	if err != nil {
		return err
	}
	dir, err := resultdir.Create(*out)
	if err != nil {
		return err
	}
	defer dir.Abort()
	m, sha, pool, err := loadModelAndPool(c, true)
	if err != nil {
		return err
	}
	plan.Identify(sha, Version)
	if err := resultdir.WriteMarker(dir.Path, "a merged sweep"); err != nil { // RunSweep works only in microstim's folders
		return err
	}
	if err := os.Mkdir(filepath.Join(dir.Path, "points"), 0o755); err != nil {
		return err
	}
	cfgText, err := c.ResolvedTOML()
	if err != nil {
		return err
	}
	for _, shard := range shards {
		if err := copyShard(shard, plan, string(cfgText), dir.Path); err != nil {
			return err
		}
	}
	if err := copyFile(filepath.Join(shards[0], "plan.json"), filepath.Join(dir.Path, "plan.json")); err != nil {
		return err
	}
	// Every point is now staged; RunSweep checks and loads them and computes
	// nothing unless a shard is missing points.
	res, err := experiments.RunSweep(c, m, pool, experiments.SweepOptions{Dir: dir.Path, Lines: lines, ModelSHA256: sha, Version: Version})
	if err != nil {
		return err
	}
	for _, d := range res.Discarded {
		fmt.Fprintf(os.Stderr, "merge: recomputed a stored point: %s\n", d)
	}
	if res.Computed > 0 {
		fmt.Fprintf(os.Stderr, "merge: %d point(s) were missing from the shards and were computed here\n", res.Computed)
	}
	man := manifest(c, *cfg, sha)
	man.GOMAXPROCS = 0
	if err := res.Write(dir.Path, c, man); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Printf("merged %d shard folder(s): %d points; wrote %s\n", len(shards), len(res.Points), *out)
	return nil
}

// copyShard copies the points of a shard folder of plan (resolved config
// cfg) into dir/points; a shard of another plan is refused, naming the
// keys, model or version that differ.
func copyShard(shard string, plan experiments.SweepPlan, cfg, dir string) error {
	p, shardCfg, err := experiments.ReadPlan(shard)
	if err != nil {
		return fmt.Errorf("merge: %s is not a sweep folder: %w", shard, err)
	}
	if p.PlanSHA256 != plan.PlanSHA256 {
		return fmt.Errorf("merge: %s was run from another plan (%.12s…, this config gives %.12s…): %s",
			shard, p.PlanSHA256+" ", plan.PlanSHA256, strings.Join(experiments.PlanDifferences(p, shardCfg, plan, cfg), "; "))
	}
	files, _ := filepath.Glob(filepath.Join(shard, "points", "*.json"))
	for _, f := range files {
		if err := copyFile(f, filepath.Join(dir, "points", filepath.Base(f))); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return resultdir.WriteFile(to, data)
}

// slurmTmpl is the job-array script. Every substituted value is quoted for
// the shell ({{sh …}}); #SBATCH lines, which Slurm reads itself, take
// double-quoted paths that were checked for quotes and line breaks.
var slurmTmpl = template.Must(template.New("slurm").Funcs(template.FuncMap{"sh": shellQuote}).Parse(`#!/bin/bash
# Slurm batch script for a microstim sweep: {{.Shards}} shards as one job array.
# Submit:  sbatch {{sh .Script}}
# Then:    {{sh .Binary}} merge --config {{sh .Config}} --out {{sh .Merged}}{{range .ShardDirs}} {{sh .}}{{end}}
# Each shard resumes if resubmitted (finished points are kept).
#SBATCH --job-name=microstim-sweep
#SBATCH --array=1-{{.Shards}}
#SBATCH --cpus-per-task={{.CPUs}}
#SBATCH --time={{.Time}}
#SBATCH --output="{{.Out}}/slurm-%A_%a.log"
set -euo pipefail
cd {{sh .Workdir}}
{{sh .Binary}} sweep {{sh .Config}} --shard "${SLURM_ARRAY_TASK_ID}/{{.Shards}}" --out {{sh .Out}}/shard_"${SLURM_ARRAY_TASK_ID}" --quiet
`))

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote inside closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// slurmTime matches Slurm's --time formats: minutes, minutes:seconds,
// hours:minutes:seconds, days-hours, days-hours:minutes and
// days-hours:minutes:seconds.
var slurmTime = regexp.MustCompile(`^(\d{1,7}|\d{1,7}:\d{1,2}|\d{1,7}:\d{1,2}:\d{1,2}|\d{1,4}-\d{1,2}|\d{1,4}-\d{1,2}:\d{1,2}|\d{1,4}-\d{1,2}:\d{1,2}:\d{1,2})$`)

// checkScriptPath refuses a path that cannot stand in an #SBATCH line or a
// script: line breaks, double quotes and other control characters.
func checkScriptPath(flagName, p string) error {
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '"' {
			return fmt.Errorf("slurm: %s %q: a path in a Slurm script cannot hold line breaks, control characters or double quotes", flagName, p)
		}
	}
	return nil
}

// checkScriptTarget refuses a script path that is the config itself, or
// an existing file unless force.
func checkScriptTarget(script, config string, force bool) error {
	st, err := os.Stat(script)
	if err != nil {
		return nil
	}
	if cst, cerr := os.Stat(config); cerr == nil && os.SameFile(st, cst) {
		return fmt.Errorf("slurm: --script %s is the config file itself; choose another path", script)
	}
	if !force {
		return fmt.Errorf("slurm: --script %s exists; rerun with --force to overwrite it", script)
	}
	return nil
}

// runSlurm writes a Slurm batch script that runs a sweep as a job array.
func runSlurm(args []string) error {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	shards := fs.Int("shards", 4, "number of shards (array tasks), 1–10000 and at most the sweep's points")
	out := fs.String("out", "", "results folder of the shards (default: results/<config name>)")
	script := fs.String("script", "", "script file to write (default: <out>/sweep.sbatch)")
	cpus := fs.Int("cpus", 2, "CPUs per array task, 1–1024")
	limit := fs.String("time", "01:00:00", "time limit per array task, in a Slurm format (e.g. 90, 01:30:00, 2-00:00:00)")
	binary := fs.String("binary", "", "path of the microstim binary on the cluster (default: this one)")
	force := fs.Bool("force", false, "overwrite an existing script")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("slurm: want a config file, e.g. microstim slurm configs/hardware_current_pitch.toml --shards 8")
	}
	if *shards < 1 || *shards > 10000 {
		return fmt.Errorf("slurm: --shards %d: want 1–10000", *shards)
	}
	if *cpus < 1 || *cpus > 1024 {
		return fmt.Errorf("slurm: --cpus %d: want 1–1024", *cpus)
	}
	if !slurmTime.MatchString(*limit) {
		return fmt.Errorf("slurm: --time %q: want a Slurm time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS", *limit)
	}
	c, lines, err := loadSweepConfig(file)
	if err != nil {
		return err
	}
	plan, err := experiments.NewSweepPlan(c, lines)
	if err != nil {
		return err
	}
	if *shards > plan.Points {
		return fmt.Errorf("slurm: --shards %d: the sweep has %d points; want at most one shard per point", *shards, plan.Points)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("results", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(wd, p)
	}
	*out = abs(*out)
	if *binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		*binary = exe
	}
	if *script == "" {
		*script = filepath.Join(*out, "sweep.sbatch")
	}
	for _, p := range [][2]string{{"config", abs(file)}, {"--out", *out}, {"--script", abs(*script)}, {"--binary", abs(*binary)}, {"working directory", wd}} {
		if err := checkScriptPath(p[0], p[1]); err != nil {
			return err
		}
	}
	if err := checkScriptTarget(abs(*script), abs(file), *force); err != nil {
		return err
	}
	var dirs []string
	for i := 1; i <= *shards; i++ {
		dirs = append(dirs, fmt.Sprintf("%s/shard_%d", *out, i))
	}
	var b bytes.Buffer
	if err := slurmTmpl.Execute(&b, map[string]any{"Config": abs(file), "Shards": *shards, "Script": abs(*script), "Binary": abs(*binary),
		"Out": *out, "Merged": filepath.Join(*out, "merged"), "ShardDirs": dirs, "CPUs": *cpus, "Time": *limit, "Workdir": wd}); err != nil {
		return err
	}
	made, err := resultdir.MakeDirs(*out) // Slurm writes the jobs' logs there
	if err != nil {
		return err
	}
	more, err := resultdir.MakeDirs(filepath.Dir(abs(*script)))
	if err == nil {
		err = resultdir.WriteFile(*script, b.Bytes())
	}
	if err != nil {
		resultdir.RemoveEmpty(append(more, made...))
		return err
	}
	if err := os.Chmod(*script, 0o755); err != nil {
		return err
	}
	fmt.Printf("wrote %s: sbatch it, then merge the %d shard folders as its header says\n", *script, *shards)
	return nil
}

// progressBar returns a Progress that draws a one-line bar on stderr.
func progressBar(quiet bool, start time.Time) experiments.Progress {
	return func(done, total int, what string) {
		if quiet || total == 0 {
			return
		}
		const w = 20
		fill := w * done / total
		fmt.Fprintf(os.Stderr, "\r\033[K[%s%s] %d/%d %s (%s)", strings.Repeat("=", fill), strings.Repeat(" ", w-fill), done, total, what,
			time.Since(start).Round(time.Second))
		if done == total {
			fmt.Fprintln(os.Stderr)
		}
	}
}

// parseWithFile parses flags given before or after one positional file.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	files, err := parsePositionals(fs, args)
	switch {
	case err != nil:
		return "", err
	case len(files) > 1:
		return "", fmt.Errorf("%s: want one config file, got %q and %q", fs.Name(), files[0], files[1])
	case len(files) == 1:
		return files[0], nil
	}
	return "", nil
}

// parsePositionals parses flags given before, between or after the
// positional arguments, which it returns in order.
func parsePositionals(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos, nil
}
