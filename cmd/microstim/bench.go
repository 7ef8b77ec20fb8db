package main

import (
	"errors"
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
	poolDir := fs.String("pool", "", "stimulus pool folder as \"microstim stimuli\" writes one (default: the embedded pool)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	noCache := noCacheFlag(fs)
	readout := fs.String("readout", "both", "scorecards: \"both\" (Brain-Score's fixed C = 1e-3, and a readout calibrated to the monkeys' control accuracy, in calibrated/) or \"fixed\"")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if *readout != "both" && *readout != "fixed" {
		return fmt.Errorf("bench --readout %q: want both or fixed", *readout)
	}
	list := experiments.Benchmarks()
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
	useCache(m, sha, *noCache)
	modelName := *weights
	if modelName == "" {
		modelName = vision.DefaultModelName
	}
	man := experiments.Manifest{Program: "microstim", Version: Version, ModelSHA256: sha, Model: modelName,
		BLAS: vision.BLAS, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	sc := &experiments.Scorecard{Manifest: man, Readout: experiments.ReadoutFixed}
	cal := &experiments.Scorecard{Manifest: man, Readout: experiments.ReadoutCalibrated}
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
		pool, err := loadPool(c, m.Arch.Input)
		if *poolDir != "" {
			pool, err = vision.LoadStimuli(os.DirFS(*poolDir))
			pool = vision.AtSide(pool, m.Arch.Input)
		}
		if err != nil {
			return err
		}
		run := func(c *experiments.Config, sub, label string) (experiments.BenchmarkRun, []experiments.Criterion, error) {
			if !*quiet {
				fmt.Fprintf(os.Stderr, "[%s] %s%s …\n", time.Since(start).Round(time.Second), b.Name, label)
			}
			t0 := time.Now()
			res, err := experiments.Run(c, m, pool, nil)
			if err != nil {
				return experiments.BenchmarkRun{}, nil, fmt.Errorf("%s%s: %w", b.Name, label, err)
			}
			if err := os.MkdirAll(filepath.Join(dir.Path, sub), 0o755); err != nil {
				return experiments.BenchmarkRun{}, nil, err
			}
			if err := res.Write(filepath.Join(dir.Path, sub), c, manifest(c, file, sha)); err != nil {
				return experiments.BenchmarkRun{}, nil, err
			}
			return experiments.BenchmarkRun{Name: b.Name, Dir: sub, Seconds: time.Since(t0).Seconds(), Figures: b.Figures}, res.Criteria(), nil
		}
		br, crit, err := run(c, b.Name, "")
		if errors.Is(err, experiments.ErrNoFacePatch) { // e.g. an α = 0 control: the rest still scores
			fmt.Fprintf(os.Stderr, "%v: scored as not run\n", err)
			sc.AddNotRun(b, err)
			cal.AddNotRun(b, err)
			continue
		}
		if err != nil {
			return err
		}
		sc.Add(b, br, crit)
		if *readout == "fixed" {
			continue
		}
		if !experiments.Calibratable(c) { // the same run serves both scorecards
			br.Dir = filepath.Join("..", b.Name)
			cal.Add(b, br, crit)
			continue
		}
		c.Task.Readout = experiments.ReadoutCalibrated
		br, crit, err = run(c, filepath.Join("calibrated", b.Name), " (calibrated readout)")
		if err != nil {
			return err
		}
		br.Dir = b.Name
		cal.Add(b, br, crit)
	}
	if *readout == "both" {
		if err := os.MkdirAll(filepath.Join(dir.Path, "calibrated"), 0o755); err != nil {
			return err
		}
		if err := cal.Write(filepath.Join(dir.Path, "calibrated")); err != nil {
			return err
		}
	}
	if err := sc.Write(dir.Path); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Println("readout: fixed, C = 1e-3 (Brain-Score)")
	sc.Print(os.Stdout)
	if *readout == "both" {
		fmt.Println("\nreadout: calibrated to the monkeys' control accuracy where the paper gives it (Afraz 2015: 85.9 %); fixed elsewhere")
		cal.Print(os.Stdout)
	}
	fmt.Printf("wrote %s (open report.html; calibrated/report.html for the calibrated readout) in %s\n", *out, time.Since(start).Round(time.Second))
	return nil
}
