package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/microstim/microstim/configs"
	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

func runBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("results", "bench"), "output folder: scorecard and one folder per benchmark")
	only := fs.String("only", "", "run one benchmark: "+strings.Join(experiments.BenchmarkNames(), ", "))
	weights := fs.String("weights", "", "weight file (default: the embedded model)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	list := experiments.Benchmarks
	if *only != "" {
		i := slices.IndexFunc(list, func(b experiments.Benchmark) bool { return b.Name == *only })
		if i < 0 {
			return fmt.Errorf("bench --only %q: want one of %s", *only, strings.Join(experiments.BenchmarkNames(), ", "))
		}
		list = list[i : i+1]
	}
	dir, err := resultdir.Create(*out)
	if err != nil {
		return err
	}
	defer dir.Abort()
	m, _, sha, err := vision.LoadModel(*weights)
	if err != nil {
		return err
	}
	modelName := *weights
	if modelName == "" {
		modelName = vision.DefaultModelName
	}
	sc := &experiments.Scorecard{Manifest: experiments.Manifest{Program: "microstim", Version: Version, ModelSHA256: sha, Model: modelName,
		BLAS: vision.BLAS, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}}
	start := time.Now()
	for _, b := range list {
		data, err := configs.Read(b.Config)
		if err != nil {
			return err
		}
		file := "configs/" + b.Config
		c, err := experiments.ParseConfig(file, data)
		if err != nil {
			return err
		}
		c.Model.Weights = *weights
		pool, err := loadPool(c)
		if err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(os.Stderr, "[%s] %s …\n", time.Since(start).Round(time.Second), b.Name)
		}
		t0 := time.Now()
		res, err := experiments.Run(c, m, pool, nil, os.Stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", b.Name, err)
		}
		sub := filepath.Join(dir.Path, b.Name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		if err := res.Write(sub, c, manifest(c, file, sha)); err != nil {
			return err
		}
		sc.Add(b, experiments.BenchmarkRun{Name: b.Name, Dir: b.Name, Seconds: time.Since(t0).Seconds(), Figures: experiments.FiguresOf(b.Name)}, res.Criteria())
	}
	if err := sc.Write(dir.Path); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	sc.Print(os.Stdout)
	fmt.Printf("wrote %s (open report.html) in %s\n", *out, time.Since(start).Round(time.Second))
	return nil
}
