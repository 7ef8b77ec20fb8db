// Package stats holds the statistics of microstim's analyses: Pearson
// correlation with a bootstrap CI, t-tests, a two-proportion z-test, the
// mean with its SEM, and one bootstrap resampler that every confidence
// interval draws from.
package stats
