package sim

import (
	"fmt"
	"math"
)

// ShannonK is the default k of the Shannon criterion, the boundary between
// stimulation that did and did not damage cat cortex (Shannon 1992, IEEE
// Trans Biomed Eng 39:424–426, from McCreery et al. 1990 data). Values of
// 1.5–2.0 are in use; 1.85 is the common choice.
const ShannonK = 1.85

// DefaultContactArea_um2 is the geometric area assumed for a penetrating
// microelectrode tip when a config does not state one: 2,000 µm², the order
// of iridium-oxide and platinum microelectrode sites (Cogan 2008, Annu Rev
// Biomed Eng 10:275–309). State the real area of your electrode.
const DefaultContactArea_um2 = 2000

// SafetyLimits are the checks applied to a stimulation configuration.
type SafetyLimits struct {
	ShannonK                float64 // 0: ShannonK
	MaxChargeDensity_uC_cm2 float64 // 0: no limit
	MaxTotalCurrent_uA      float64 // 0: no limit
}

// Safety is the charge and feasibility assessment of one configuration.
type Safety struct {
	ChargePerPhase_nC    float64  `json:"charge_per_phase_nC"`   // current × pulse width, per contact
	ChargeDensity_uC_cm2 float64  `json:"charge_density_uC_cm2"` // per phase, over the contact area
	ShannonK             float64  `json:"shannon_k"`             // log10(D) + log10(Q) of this configuration
	ShannonLimit         float64  `json:"shannon_limit_k"`       // the k it is compared with
	TotalCurrent_uA      float64  `json:"total_current_uA"`      // over all contacts
	Violations           []string `json:"violations"`            // empty when safe
}

// Safe reports whether no limit is violated.
func (s Safety) Safe() bool { return len(s.Violations) == 0 }

// CheckSafety assesses contacts stimulated with the given per-contact
// currents (µA) and pulse width (µs per phase) through contacts of area
// area_um2. The Shannon criterion is log10(D) + log10(Q) ≤ k with Q the
// charge per phase in µC and D the charge density in µC/cm² per phase;
// it uses the largest contact charge.
func CheckSafety(currents_uA []float64, pulseWidth_us, area_um2 float64, lim SafetyLimits) (Safety, error) {
	if len(currents_uA) == 0 {
		return Safety{}, fmt.Errorf("safety: no contacts")
	}
	if !(area_um2 > 0) {
		return Safety{}, paramError("contact_area_um2", area_um2, "want > 0 µm²")
	}
	if pulseWidth_us < 0 {
		return Safety{}, paramError("pulse_width_us", pulseWidth_us, "want ≥ 0 µs")
	}
	k := lim.ShannonK
	if k == 0 {
		k = ShannonK
	}
	var maxI, total float64
	for _, c := range currents_uA {
		total += math.Abs(c)
		maxI = math.Max(maxI, math.Abs(c))
	}
	s := Safety{ShannonLimit: k, TotalCurrent_uA: total}
	q_uC := maxI * pulseWidth_us * 1e-6 // µA·µs = pC = 1e-6 µC
	s.ChargePerPhase_nC = q_uC * 1e3
	s.ChargeDensity_uC_cm2 = q_uC / (area_um2 * 1e-8) // 1 µm² = 1e-8 cm²
	s.ShannonK = math.Log10(s.ChargeDensity_uC_cm2) + math.Log10(q_uC)
	if q_uC > 0 && s.ShannonK > k {
		s.Violations = append(s.Violations, fmt.Sprintf("Shannon criterion: log10(D) + log10(Q) = %.2f > k = %.2f (Q = %.3g nC, D = %.3g µC/cm²)",
			s.ShannonK, k, s.ChargePerPhase_nC, s.ChargeDensity_uC_cm2))
	}
	if lim.MaxChargeDensity_uC_cm2 > 0 && s.ChargeDensity_uC_cm2 > lim.MaxChargeDensity_uC_cm2 {
		s.Violations = append(s.Violations, fmt.Sprintf("charge density %.3g µC/cm² > limit %.3g µC/cm²", s.ChargeDensity_uC_cm2, lim.MaxChargeDensity_uC_cm2))
	}
	if lim.MaxTotalCurrent_uA > 0 && total > lim.MaxTotalCurrent_uA {
		s.Violations = append(s.Violations, fmt.Sprintf("total current %.4g µA > limit %.4g µA", total, lim.MaxTotalCurrent_uA))
	}
	return s, nil
}
