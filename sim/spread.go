package sim

import (
	"fmt"
	"math"
	"sort"
)

// SpreadLaw maps a current to the spatial profile of directly activated
// elements around an electrode: the fraction activated at distance d.
type SpreadLaw interface {
	// Name is the law's registered name.
	Name() string
	// Profile returns the activated fraction in [0, 1] at distance d_mm
	// from an electrode passing current_uA.
	Profile(current_uA, d_mm float64) float64
	// Validate checks that the law can serve current_uA.
	Validate(current_uA float64) error
}

// ExpKumaravelu2022 is the exponential activation profile exp(−d/λ) with
// λ(I) = 0.00505·(I − 5.26) mm for I in µA — the fit to Kumaravelu et al.
// (2022, Brain Stimulation 15:141, Fig. 2C) used by the Brain-Score
// perturbation module (epflneuroailab/topo-transform topo/perturbation.py;
// Schrimpf et al. 2024). λ(50 µA) = 0.226 mm, λ(300 µA) = 1.49 mm.
type ExpKumaravelu2022 struct{}

// Slope_mm_per_uA and Threshold_uA are the constants of λ(I).
const (
	KumaraveluSlope_mm_per_uA = 0.00505
	KumaraveluOffset_uA       = 5.26
)

// Name returns "exp_kumaravelu2022".
func (ExpKumaravelu2022) Name() string { return "exp_kumaravelu2022" }

// Lambda_mm returns the space constant λ(I) in mm.
func (ExpKumaravelu2022) Lambda_mm(current_uA float64) float64 {
	return KumaraveluSlope_mm_per_uA * (current_uA - KumaraveluOffset_uA)
}

// Profile returns exp(−d/λ(I)).
func (l ExpKumaravelu2022) Profile(current_uA, d_mm float64) float64 {
	return math.Exp(-d_mm / l.Lambda_mm(current_uA))
}

// Validate requires I > 5.26 µA, where λ is positive.
func (ExpKumaravelu2022) Validate(current_uA float64) error {
	if !(current_uA > KumaraveluOffset_uA) || math.IsInf(current_uA, 0) {
		return paramError("current_uA", current_uA, fmt.Sprintf("the exp_kumaravelu2022 law needs current_uA > %g (λ = 0.00505·(I − 5.26) mm)", KumaraveluOffset_uA))
	}
	return nil
}

// SqrtTehovnik is the current–distance law I = K·r² (Stoney et al. 1968;
// Tehovnik 1996): every element within r = √(I/K) is activated, none beyond.
// K defaults to 675 µA/mm², the value of the Dynaphos phosphene simulator
// (van der Grinten et al. 2024, citing Tehovnik et al. 2007), which gives
// r(50 µA) = 0.272 mm. Tehovnik et al. (2006, Fig. 1A) report K = 1292
// µA/mm² for pyramidal-tract neurons; published K spans about 300 to 27,000.
type SqrtTehovnik struct {
	K_uA_per_mm2 float64 // 0 means DefaultTehovnikK
}

// DefaultTehovnikK is the default excitability constant K in µA/mm².
const DefaultTehovnikK = 675

// Name returns "sqrt_tehovnik".
func (SqrtTehovnik) Name() string { return "sqrt_tehovnik" }

func (l SqrtTehovnik) k() float64 {
	if l.K_uA_per_mm2 == 0 {
		return DefaultTehovnikK
	}
	return l.K_uA_per_mm2
}

// Radius_mm returns r = √(I/K).
func (l SqrtTehovnik) Radius_mm(current_uA float64) float64 { return math.Sqrt(current_uA / l.k()) }

// Profile is 1 within the radius and 0 beyond.
func (l SqrtTehovnik) Profile(current_uA, d_mm float64) float64 {
	if d_mm <= l.Radius_mm(current_uA) {
		return 1
	}
	return 0
}

// Validate requires I ≥ 0 and K > 0.
func (l SqrtTehovnik) Validate(current_uA float64) error {
	if !(current_uA >= 0) || math.IsInf(current_uA, 0) {
		return paramError("current_uA", current_uA, "want ≥ 0")
	}
	if !(l.k() > 0) {
		return paramError("k_uA_per_mm2", l.K_uA_per_mm2, "want > 0 (published values span about 300–27,000)")
	}
	return nil
}

// Gaussian is a current-independent Gaussian profile exp(−d²/(2σ²)); the
// default σ = 0.2 mm is pulse2percept's cortical current spread ρ = 200 µm
// (pulse2percept models/cortex/base.py).
type Gaussian struct {
	Sigma_mm float64 // 0 means DefaultGaussianSigma_mm
}

// DefaultGaussianSigma_mm is the default σ of the Gaussian spread law.
const DefaultGaussianSigma_mm = 0.2

// Name returns "gaussian".
func (Gaussian) Name() string { return "gaussian" }

func (l Gaussian) sigma() float64 {
	if l.Sigma_mm == 0 {
		return DefaultGaussianSigma_mm
	}
	return l.Sigma_mm
}

// Profile returns exp(−d²/(2σ²)).
func (l Gaussian) Profile(_, d_mm float64) float64 {
	s := l.sigma()
	return math.Exp(-d_mm * d_mm / (2 * s * s))
}

// Validate requires σ > 0.
func (l Gaussian) Validate(float64) error {
	if !(l.sigma() > 0) || math.IsInf(l.sigma(), 0) {
		return paramError("sigma_mm", l.Sigma_mm, "want > 0")
	}
	return nil
}

// Disk activates everything within a fixed radius.
type Disk struct {
	Radius_mm float64
}

// Name returns "disk".
func (Disk) Name() string { return "disk" }

// Profile is 1 within the radius and 0 beyond.
func (l Disk) Profile(_, d_mm float64) float64 {
	if d_mm <= l.Radius_mm {
		return 1
	}
	return 0
}

// Validate requires a radius ≥ 0.
func (l Disk) Validate(float64) error {
	if !(l.Radius_mm >= 0) || math.IsInf(l.Radius_mm, 0) {
		return paramError("radius_mm", l.Radius_mm, "want ≥ 0")
	}
	return nil
}

// SpreadLaws lists the registered spread-law names.
func SpreadLaws() []string {
	names := []string{ExpKumaravelu2022{}.Name(), SqrtTehovnik{}.Name(), Gaussian{}.Name(), Disk{}.Name()}
	sort.Strings(names)
	return names
}

// NewSpreadLaw returns the law with the given name; param is the law's one
// parameter (K in µA/mm² for sqrt_tehovnik, σ in mm for gaussian, radius in
// mm for disk; ignored by exp_kumaravelu2022; 0 selects the default).
func NewSpreadLaw(name string, param float64) (SpreadLaw, error) {
	switch name {
	case "exp_kumaravelu2022":
		return ExpKumaravelu2022{}, nil
	case "sqrt_tehovnik":
		return SqrtTehovnik{K_uA_per_mm2: param}, nil
	case "gaussian":
		return Gaussian{Sigma_mm: param}, nil
	case "disk":
		if param == 0 {
			return nil, fmt.Errorf("spread law disk: radius_mm is required (> 0)")
		}
		return Disk{Radius_mm: param}, nil
	}
	return nil, fmt.Errorf("spread law %q: unknown (want one of %v)", name, SpreadLaws())
}
