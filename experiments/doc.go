// Package experiments holds microstim's measurement protocols: the model
// characterisation behind "microstim model info" and, in later work, the TOML
// experiment schema, the registered perturbation experiments, the reported
// primate data with provenance, and scoring.
package experiments
