// Package sim holds microstim's simulation machinery: behavioural readouts
// (decoders fitted on unperturbed activity) and, in later work, perturbation
// physics, electrode arrays, trial simulation and sweeps.
package sim
