// Package primate holds the digitised results of the primate IT
// perturbation experiments that the benchmarks compare with: Afraz et al.
// 2006 (shift against site selectivity), Afraz et al. 2015 (gender task
// accuracy and site effects), Moeller et al. 2017 (same/different counts)
// and Rajalingham & DiCarlo 2019 (deficit patterns). The files and their
// provenance are in data/ (data/README.md); citations are in
// docs/references.md.
package primate
