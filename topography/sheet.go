package topography

import "fmt"

// Hemisphere names a cerebral hemisphere.
type Hemisphere uint8

const (
	// Left is the left hemisphere; it sees the right visual hemifield.
	Left Hemisphere = iota
	// Right is the right hemisphere; it sees the left visual hemifield.
	Right
)

// String returns "L" or "R".
func (h Hemisphere) String() string {
	if h == Left {
		return "L"
	}
	return "R"
}

// MarshalText writes "L" or "R" (JSON and TOML outputs).
func (h Hemisphere) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what ParseHemisphere reads.
func (h *Hemisphere) UnmarshalText(b []byte) error {
	v, err := ParseHemisphere(string(b))
	*h = v
	return err
}

// ParseHemisphere reads "L"/"left" or "R"/"right".
func ParseHemisphere(s string) (Hemisphere, error) {
	switch s {
	case "L", "l", "left", "Left":
		return Left, nil
	case "R", "r", "right", "Right":
		return Right, nil
	}
	return 0, fmt.Errorf("hemisphere %q: want \"L\" or \"R\"", s)
}

// Sheet is the extent of one hemisphere's cortical area, in millimetres.
type Sheet struct {
	Area      string  // cortical area, e.g. "IT"
	Width_mm  float64 // extent along the sheet's x axis
	Height_mm float64 // extent along the sheet's y axis
	Source    string  // where the size comes from
}

// Sheets declares, once, the size of each area's per-hemisphere sheet.
// The squares have the area's approximate per-hemisphere surface in the
// macaque. Only IT sizes matter for the perturbation experiments; the others
// set the distance scale of the spatial loss at earlier stages.
var Sheets = map[string]Sheet{
	"V1": {"V1", 34, 34, "≈1,120 mm² per hemisphere, macaque: Felleman & Van Essen 1991, Cereb Cortex 1:1, Table 3 (rounded)"},
	"V2": {"V2", 34, 34, "≈1,190 mm² per hemisphere, macaque: Felleman & Van Essen 1991, Table 3 (rounded)"},
	"V4": {"V4", 24, 24, "≈570 mm² per hemisphere (V4 + V4t), macaque: Felleman & Van Essen 1991, Table 3 (rounded)"},
	"IT": {"IT", 10, 10, "≈10 × 10 mm macaque IT, the tissue extent assumed by the Brain-Score perturbation benchmarks (Schrimpf et al. 2024; brainscore/benchmarks/rajalingham2019.py)"},
}
