package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/microstim/microstim/sim"
)

// MetricResult is one behavioural measure of a sweep point: the mean over
// placements and seeds with a percentile-bootstrap 95 % CI.
type MetricResult struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	CILo float64 `json:"ci95_lo"`
	CIHi float64 `json:"ci95_hi"`
	N    int     `json:"n"` // replicates with a value
}

// PointResult is the outcome of one sweep point.
type PointResult struct {
	PlanSHA256  string         `json:"plan_sha256"`
	Point       int            `json:"point"` // 0-based index in the plan
	Values      []any          `json:"values"`
	Device      string         `json:"device"`
	Contacts    int            `json:"contacts"`
	OffSheet    float64        `json:"contacts_off_sheet_mean"`
	TotalCharge float64        `json:"total_charge_per_phase_nC"` // electrodes: Σ current × pulse width
	Safety      *sim.Safety    `json:"safety"`                    // electrodes only
	Aim         PointAim       `json:"aim"`
	Metrics     []MetricResult `json:"metrics"`
	// SHA256 is the checksum of the point's own JSON (with this field
	// empty), which carries its plan's hash: an edited point file is
	// recomputed, never reused.
	SHA256 string `json:"sha256,omitempty"`
}

// pointJSON is the stored form of p, its checksum set.
func pointJSON(p PointResult) ([]byte, error) {
	p.SHA256 = ""
	body, err := marshalJSON(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	p.SHA256 = hex.EncodeToString(sum[:])
	js, err := marshalJSON(p)
	return append(js, '\n'), err
}

// PointAim is where a sweep point's device is aimed, before its targeting
// error, and the pooled face d′ of the IT units within the sites'
// neighbourhood radius of that point.
type PointAim struct {
	Hemisphere string  `json:"hemisphere"`
	X_mm       float64 `json:"x_mm"`
	Y_mm       float64 `json:"y_mm"`
	DPrime     float64 `json:"dprime"` // NaN (null in JSON) where undefined
}

// UnmarshalJSON reads an aim whose d′ was written as null as NaN.
func (a *PointAim) UnmarshalJSON(b []byte) error {
	aux := struct {
		Hemisphere string   `json:"hemisphere"`
		X_mm       float64  `json:"x_mm"`
		Y_mm       float64  `json:"y_mm"`
		DPrime     *float64 `json:"dprime"`
	}{}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*a = PointAim{Hemisphere: aux.Hemisphere, X_mm: aux.X_mm, Y_mm: aux.Y_mm, DPrime: math.NaN()}
	if aux.DPrime != nil {
		a.DPrime = *aux.DPrime
	}
	return nil
}

// same reports whether a and b are one aim (NaN d′ equal to NaN).
func (a PointAim) same(b PointAim) bool {
	return a.Hemisphere == b.Hemisphere && a.X_mm == b.X_mm && a.Y_mm == b.Y_mm &&
		(a.DPrime == b.DPrime || math.IsNaN(a.DPrime) && math.IsNaN(b.DPrime))
}

func (a PointAim) String() string {
	return fmt.Sprintf("%s (%.2f, %.2f) mm, site d′ %.2f", a.Hemisphere, a.X_mm, a.Y_mm, a.DPrime)
}

// Metric returns the named metric.
func (p PointResult) Metric(name string) MetricResult {
	for _, m := range p.Metrics {
		if m.Name == name {
			return m
		}
	}
	return MetricResult{Name: name, Mean: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
}

// UnmarshalJSON reads a metric whose missing values were written as null
// (marshalJSON writes NaN so) back as NaN.
func (m *MetricResult) UnmarshalJSON(b []byte) error {
	aux := struct {
		Name string   `json:"name"`
		Mean *float64 `json:"mean"`
		CILo *float64 `json:"ci95_lo"`
		CIHi *float64 `json:"ci95_hi"`
		N    int      `json:"n"`
	}{}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	val := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*m = MetricResult{Name: aux.Name, Mean: val(aux.Mean), CILo: val(aux.CILo), CIHi: val(aux.CIHi), N: aux.N}
	return nil
}
