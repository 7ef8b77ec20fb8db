// Package experiments runs microstim's experiments and benchmarks. One
// experiment goes config → stimuli and task → sites → perturbation →
// trials → measures → criteria → report.
//
// A Protocol (protocol.go) owns everything that depends on the experiment:
// its defaults, the [task] keys it reads, its checks, the cost of a run,
// the run itself and the benchmarks it decides. A protocol registers
// itself from its own file with one Register call; shared code reaches it
// only through the interface and the registry, and never names one.
// Optional abilities (Calibrator, Benchmarker, TableReader,
// PatchCentreSiter, SiteChecker) are found by type assertion. Adding a
// protocol touches only its own file (TestRegisteredProtocolNeedsNoSharedEdit
// registers one from a test file).
//
// Shared files:
//
//   - config.go, validate.go, applies.go, limits.go, stimcheck.go: the TOML
//     schema, its checks (keys and tables a protocol does not read are
//     refused), size limits and the stimulus check before a run;
//   - tasks.go, pairtasks.go, sites.go, readout.go: the task builders, the
//     site rules on the IT sheets, the logistic readout (fixed or calibrated
//     C, cached fits);
//   - generic*.go: the generic protocol, an experiment written in its TOML
//     file alone, and the condition pipeline the paper protocols share;
//   - benchmark.go, bench.go: criteria, scores, the scorecard;
//   - report.go, output.go: HTML reports, figures, resolved configs.
//
// Protocol files: afraz2006*.go, afraz2015.go, moeller2017.go,
// rajalingham2019.go (one paper each: defaults, analysis, criteria,
// figures) and hardware.go with sweep*.go (device sweeps for hardware
// planning).
//
// Quantities carry their unit in their name (X_mm, Current_uA,
// Power_mW). Statistics live in package stats, the monkeys' data in
// experiments/primate, stimulus sets and tasks in experiments/paradigm,
// the model characterisation of "microstim model info" in
// experiments/modelinfo.
package experiments
