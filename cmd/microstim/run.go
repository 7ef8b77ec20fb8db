package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

func runValidate(args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	quiet := fs.Bool("quiet", false, "print the verdict only, not the resolved config")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("validate: want one config file, e.g. microstim validate configs/afraz2006.toml")
	}
	c, err := experiments.LoadConfig(file)
	if err != nil {
		return err
	}
	if err := checkStimuli(c, file); err != nil {
		return err
	}
	fmt.Printf("%s: valid %s experiment (seed %d); estimated run: %s", file, c.Protocol, c.Seed, c.Estimate())
	if *quiet {
		fmt.Println()
		return nil
	}
	fmt.Print("; resolved config:\n\n")
	b, err := c.ResolvedTOML()
	if err != nil {
		return err
	}
	os.Stdout.Write(b)
	return nil
}

func runRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	out := fs.String("out", "", "output folder (default: results/<config name>)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	force := fs.Bool("force", false, "hardware sweeps: clear an output folder that holds another sweep plan (see microstim sweep -h)")
	noCache := noCacheFlag(fs)
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("run: want a config file, e.g. microstim run configs/afraz2006.toml")
	}
	c, err := experiments.LoadConfig(file)
	if err != nil {
		return err
	}
	if c.IsSweep() { // a device sweep: resumable, in its own folder
		return sweepFile(file, sweepFlags{out: *out, quiet: *quiet, force: *force, noCache: *noCache})
	}
	if *out == "" {
		*out = filepath.Join("results", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	}
	dir, err := resultdir.Create(*out) // before any work: a folder that cannot be written is found now
	if err != nil {
		return err
	}
	defer dir.Abort()
	m, sha, pool, err := loadModelAndPool(c, *noCache)
	if err != nil {
		return err
	}
	start := time.Now()
	progress := progressBar(*quiet, start)
	res, err := experiments.Run(c, m, pool, progress)
	if err != nil {
		return err
	}
	man := manifest(c, file, sha)
	if err := res.Write(dir.Path, c, man); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	res.Print(os.Stdout)
	fmt.Printf("  wrote %s (open report.html)\n", *out)
	return nil
}

// checkStimuli builds the config's tasks on its stimulus pool (at the
// model's input size) and places the sites that need the model's face
// patches (experiments.CheckSites, which runs the network on the
// face-selectivity set, through the activation cache).
func checkStimuli(c *experiments.Config, file string) error {
	m, _, sha, err := vision.LoadModel(c.Model.Weights)
	if err != nil {
		return err
	}
	pool, err := loadPool(c, m.Arch.Input)
	if err != nil {
		return err
	}
	if err := experiments.CheckStimuli(c, pool); err != nil {
		return fmt.Errorf("%s: the stimulus set cannot carry the task: %w", file, err)
	}
	useCache(m, sha, false)
	if err := experiments.CheckSites(c, m, pool); err != nil {
		return fmt.Errorf("%s: the sites cannot be placed on this model: %w", file, err)
	}
	return nil
}

// manifest identifies a run of config c (from file) on the model with sha.
func manifest(c *experiments.Config, file, sha string) experiments.Manifest {
	modelName := c.Model.Weights
	if modelName == "" {
		modelName = vision.DefaultModelName
	}
	return experiments.Manifest{Program: "microstim", Version: Version, ConfigFile: file, ConfigSHA256: c.ConfigHash(),
		ModelSHA256: sha, Model: modelName, Seed: c.Seed, BLAS: vision.BLAS, GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
}

// loadModelAndPool loads the config's model (with its SHA-256) and
// stimulus pool.
func loadModelAndPool(c *experiments.Config, noCache bool) (*vision.Model, string, []vision.Stimulus, error) {
	m, _, sha, err := vision.LoadModel(c.Model.Weights)
	if err != nil {
		return nil, "", nil, err
	}
	useCache(m, sha, noCache)
	pool, err := loadPool(c, m.Arch.Input)
	return m, sha, pool, err
}

// loadPool returns the stimulus pool a config asks for, at side px.
func loadPool(c *experiments.Config, side int) ([]vision.Stimulus, error) {
	if c.Stimuli.Set == "folder" {
		return vision.FolderStimuli(c.Stimuli.Folder, side)
	}
	pool, err := vision.Stimuli()
	return vision.AtSide(pool, side), err
}
