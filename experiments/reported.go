package experiments

import (
	"embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

//go:embed data
var dataFS embed.FS

// SiteShift is one stimulation site: its face selectivity and the
// psychometric shift toward "face" (% visual signal).
type SiteShift struct {
	DPrime    float64
	Shift_pct float64
}

// Afraz2006Monkey returns the 86 digitised monkey sites of Afraz et al. (2006)
// (see experiments/data/README.md for provenance).
func Afraz2006Monkey() ([]SiteShift, error) {
	f, err := dataFS.Open("data/afraz2006_fig_shift_vs_selectivity_100-150ms.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("afraz2006 data: %w", err)
	}
	var out []SiteShift
	for i, r := range rows[1:] {
		if len(r) != 2 {
			return nil, fmt.Errorf("afraz2006 data line %d: %d columns", i+2, len(r))
		}
		d, err1 := strconv.ParseFloat(strings.TrimSpace(r[0]), 64)
		s, err2 := strconv.ParseFloat(strings.TrimSpace(r[1]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("afraz2006 data line %d: %v", i+2, r)
		}
		out = append(out, SiteShift{d, s})
	}
	return out, nil
}
