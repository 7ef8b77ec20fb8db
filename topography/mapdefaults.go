package topography

// Face-map settings shared by the model characterisation, the site rules
// and the sheet figures: smoothing σ = 0.5 mm (the prototype's, and the
// acceptance criteria of the model issues) on a 0.25 mm grid, and 200
// permutations of the unit d′ for a patch's null threshold.
const (
	MapSigma_mm      = 0.5
	MapStep_mm       = 0.25
	NullPermutations = 200
)
