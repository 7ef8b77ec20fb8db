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
	start := time.Now()
	opt := experiments.BenchOptions{Benchmarks: list, Model: m, Weights: *weights, Calibrated: *readout == "both",
		Dir: dir.Path, Manifest: man, Warn: os.Stderr,
		RunManifest: func(c *experiments.Config, file string) experiments.Manifest { return manifest(c, file, sha) },
		Pool: func(c *experiments.Config) ([]vision.Stimulus, error) {
			if *poolDir != "" {
				pool, err := vision.LoadStimuli(os.DirFS(*poolDir))
				return vision.AtSide(pool, m.Arch.Input), err
			}
			return loadPool(c, m.Arch.Input)
		}}
	if !*quiet {
		opt.Started = func(name string) { fmt.Fprintf(os.Stderr, "[%s] %s …\n", time.Since(start).Round(time.Second), name) }
	}
	sc, cal, err := experiments.RunBenchmarks(opt)
	if err != nil {
		return err
	}
	if err := experiments.WriteScorecards(dir.Path, sc, cal); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Println("readout: fixed, C = 1e-3 (Brain-Score)")
	sc.Print(os.Stdout)
	if cal != nil {
		fmt.Println("\nreadout: calibrated to the monkeys' control accuracy where the paper gives it (Afraz 2015: 85.9 %); fixed elsewhere")
		cal.Print(os.Stdout)
	}
	fmt.Printf("wrote %s (open report.html; calibrated/report.html for the calibrated readout) in %s\n", *out, time.Since(start).Round(time.Second))
	return nil
}
