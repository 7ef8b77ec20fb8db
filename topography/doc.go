// Package topography places the units of every network stage on cortical
// sheets measured in millimetres and analyses the resulting maps.
//
// Each stage has two hemisphere sheets: units whose receptive fields lie in
// the left half of the visual field sit on the right hemisphere's sheet and
// vice versa. Positions are initialised retinotopically, with one offset per
// channel shared by every retinotopic cell plus a small jitter (the layout
// that suits convolutional weight sharing), and can be refined by a
// pre-training swap optimisation. The package also provides the TDANN spatial
// correlation loss (Margalit et al. 2024), category selectivity (d′, Welch t),
// Gaussian smoothing of unit maps, patch detection against a within-cell
// shuffle null, and response correlation as a function of cortical distance.
package topography
