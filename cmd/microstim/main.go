// Command microstim trains, inspects and perturbs the topographic vision
// model. Run "microstim help" for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia's dependency panics at init on new Go without this version
)

// Version is the program version written into every output.
var Version = "0.1.0-dev"

type command struct {
	name, summary string
	run           func(args []string) error
}

var commands []command

func usage() {
	fmt.Fprintf(os.Stderr, "microstim %s: in-silico microstimulation of a topographic vision model\n\nUsage: microstim <command> [flags]\n\nCommands:\n", Version)
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun \"microstim <command> -h\" for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	os.Exit(dispatch(os.Args[1:]))
}

func init() {
	commands = []command{
		{"train", "train a topographic model on folders of category folders", runTrain},
		{"run", "run a TOML experiment (e.g. configs/afraz2006.toml)", runRun},
		{"validate", "check a TOML experiment without running it", runValidate},
		{"bench", "run every registered perturbation benchmark and write a scorecard", runBench},
		{"sweep", "run a hardware sweep ([sweep] grid of device parameters); resumes", runSweep},
		{"merge", "combine the shard folders of a sweep", runMerge},
		{"slurm", "write a Slurm job-array script for a sweep", runSlurm},
		{"model", "inspect a model: \"model info\" or \"model map\"", runModel},
		{"stimuli", "rebuild the shipped held-out stimulus pool from ../shared/data (developers)", runStimuli},
		{"gallery", "rebuild docs/figures/ and the README's generated tables from scratch (developers)", runGallery},
		{"version", "print the program version", func([]string) error { fmt.Println(Version); return nil }},
	}
}

// dispatch runs the command args[0] and returns the exit status: 0 on
// success and for -h, 1 on error, 2 for an unknown command.
func dispatch(args []string) int {
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:])
			switch {
			case errors.Is(err, flag.ErrHelp): // the flag package has printed the usage
				return 0
			case err != nil:
				fmt.Fprintln(os.Stderr, "microstim:", err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "microstim: unknown command %q\n\n", args[0])
	usage()
	return 2
}
