package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/plots"
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
	if c.Protocol != "hardware" {
		return nil, nil, fmt.Errorf("%s: protocol = %q: sweeps need protocol = \"hardware\" (use microstim run for experiments)", file, c.Protocol)
	}
	data, _ := os.ReadFile(file)
	return c, experiments.KeyLines(data), nil
}

func runSweep(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	out := fs.String("out", "", "output folder (default: results/<config name>); rerunning into it resumes")
	shard := fs.String("shard", "", "run only shard i of n (\"i/n\"); combine the shards with microstim merge")
	quiet := fs.Bool("quiet", false, "no progress")
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
	c, lines, err := loadSweepConfig(file)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("results", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	m, sha, pool, err := loadModelAndPool(c)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := experiments.RunSweep(c, m, pool, experiments.SweepOptions{Dir: *out, Shard: sh, Lines: lines, Progress: progressBar(*quiet, start)})
	if err != nil {
		return err
	}
	for _, d := range res.Discarded {
		fmt.Fprintf(os.Stderr, "sweep: recomputed a stored point: %s\n", d)
	}
	man := manifest(c, file, sha)
	man.GOMAXPROCS = 0
	if sh[1] > 0 {
		fmt.Printf("shard %d/%d: %d points (%d computed now, %d from earlier runs) in %s; combine with: microstim merge --config %s --out DIR SHARD_DIRS…\n",
			sh[0], sh[1], len(res.Points), res.Computed, len(res.Points)-res.Computed, *out, file)
		return nil
	}
	if err := res.Write(*out, c, man); err != nil {
		return err
	}
	res.Print(os.Stdout)
	fmt.Printf("%d points (%d computed now) in %s; wrote %s (open report.html)\n", len(res.Points), res.Computed, time.Since(start).Round(time.Second), *out)
	return nil
}

// runMerge combines shard folders into one sweep result.
func runMerge(args []string) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	out := fs.String("out", "", "output folder of the merged sweep")
	cfg := fs.String("config", "", "the sweep's config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *cfg == "" || fs.NArg() == 0 {
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
	if err := os.MkdirAll(filepath.Join(*out, "points"), 0o755); err != nil {
		return err
	}
	for _, dir := range fs.Args() {
		var p experiments.SweepPlan
		b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
		if err == nil {
			err = json.Unmarshal(b, &p)
		}
		if err != nil {
			return fmt.Errorf("merge: %s is not a sweep folder: %w", dir, err)
		}
		if p.ConfigSHA256 != plan.ConfigSHA256 || p.Points != plan.Points {
			return fmt.Errorf("merge: %s was run from another config (plan %s…, %d points; this config %s…, %d points)",
				dir, p.ConfigSHA256[:12], p.Points, plan.ConfigSHA256[:12], plan.Points)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "points", "*.json"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := plots.WriteAtomic(filepath.Join(*out, "points", filepath.Base(f)), data); err != nil {
				return err
			}
		}
	}
	m, sha, pool, err := loadModelAndPool(c)
	if err != nil {
		return err
	}
	// Every point is now on disk; RunSweep loads them and computes nothing
	// unless a shard is missing points.
	res, err := experiments.RunSweep(c, m, pool, experiments.SweepOptions{Dir: *out, Lines: lines})
	if err != nil {
		return err
	}
	if res.Computed > 0 {
		fmt.Fprintf(os.Stderr, "merge: %d point(s) were missing from the shards and were computed here\n", res.Computed)
	}
	man := manifest(c, *cfg, sha)
	man.GOMAXPROCS = 0
	if err := res.Write(*out, c, man); err != nil {
		return err
	}
	fmt.Printf("merged %d shard folder(s): %d points; wrote %s\n", fs.NArg(), len(res.Points), *out)
	return nil
}

var slurmTmpl = template.Must(template.New("slurm").Parse(`#!/bin/bash
# Slurm batch script for the sweep {{.Config}}: {{.Shards}} shards as one job array.
# Submit:  sbatch {{.Script}}
# Then:    {{.Binary}} merge --config {{.Config}} --out {{.Out}}{{range .ShardDirs}} {{.}}{{end}}
# Each shard resumes if resubmitted (finished points are kept).
#SBATCH --job-name=microstim-sweep
#SBATCH --array=1-{{.Shards}}
#SBATCH --cpus-per-task={{.CPUs}}
#SBATCH --time={{.Time}}
#SBATCH --output={{.Out}}/slurm-%A_%a.log
set -euo pipefail
cd {{.Workdir}}
{{.Binary}} sweep {{.Config}} --shard "${SLURM_ARRAY_TASK_ID}/{{.Shards}}" --out "{{.Out}}/shard_${SLURM_ARRAY_TASK_ID}" --quiet
`))

// runSlurm writes a Slurm batch script that runs a sweep as a job array.
func runSlurm(args []string) error {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	shards := fs.Int("shards", 4, "number of shards (array tasks)")
	out := fs.String("out", "", "results folder of the shards (default: results/<config name>)")
	script := fs.String("script", "", "script file to write (default: <out>/sweep.sbatch)")
	cpus := fs.Int("cpus", 2, "CPUs per array task")
	limit := fs.String("time", "01:00:00", "time limit per array task")
	binary := fs.String("binary", "", "path of the microstim binary on the cluster (default: this one)")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" || *shards < 1 {
		return fmt.Errorf("slurm: want a config file and --shards n ≥ 1")
	}
	if _, _, err := loadSweepConfig(file); err != nil {
		return err
	}
	wd, _ := os.Getwd()
	if *out == "" {
		*out = filepath.Join("results", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
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
	var dirs []string
	for i := 1; i <= *shards; i++ {
		dirs = append(dirs, fmt.Sprintf("%s/shard_%d", *out, i))
	}
	var b bytes.Buffer
	if err := slurmTmpl.Execute(&b, map[string]any{"Config": abs(file), "Shards": *shards, "Script": abs(*script), "Binary": abs(*binary),
		"Out": *out, "ShardDirs": dirs, "CPUs": *cpus, "Time": *limit, "Workdir": wd}); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := plots.WriteAtomic(*script, b.Bytes()); err != nil {
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
	var file string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		if file != "" {
			return "", fmt.Errorf("%s: want one config file, got %q and %q", fs.Name(), file, fs.Arg(0))
		}
		file = fs.Arg(0)
		args = fs.Args()[1:]
	}
	return file, nil
}
