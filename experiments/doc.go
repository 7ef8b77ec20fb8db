// Package experiments runs microstim's experiments and benchmarks. One
// experiment goes config → stimuli and task → sites → perturbation →
// trials → measures → criteria → report:
//
//   - config.go, validate.go, applies.go, limits.go: the TOML schema, its
//     checks (keys that do not apply are refused) and size limits;
//   - tasks.go: tasks and their stimuli (noisy face/non-face images, faces
//     in one hemifield, gender and identity sets, object pairs);
//   - sites.go: site rules on the IT sheets (d′ split, patch centre,
//     outside patches) and the face selectivity they use;
//   - readout.go: the logistic readout (fixed or calibrated C, cached
//     fits, sparse perturbed probabilities);
//   - benchmark.go, bench.go, reported.go: criteria, scores, the benchmark
//     registry and the digitised monkey data;
//   - report.go, output.go: result folders, HTML reports and figures;
//   - afraz2006.go, afraz2015.go, moeller2017.go, rajalingham2019.go: one
//     file per paper (defaults, analysis, criteria), importing only the
//     shared files above;
//   - hardware.go, sweep*.go: device sweeps for hardware planning;
//   - modelinfo.go: the model characterisation of "microstim model info".
//
// Statistics live in package stats.
package experiments
