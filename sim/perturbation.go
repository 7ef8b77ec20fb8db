package sim

import (
	"fmt"
	"math"

	"github.com/microstim/microstim/topography"
)

// Site is the centre of a perturbation on one hemisphere's sheet: an
// electrode contact, a fibre tip or an injection. A contact may carry its
// own current or light power; 0 means the perturbation's.
type Site struct {
	Hemi       topography.Hemisphere
	X_mm, Y_mm float64
	Current_uA float64 // microstimulation: this contact's current (0: Microstim.Current_uA)
	Power_mW   float64 // optogenetics: this source's power (0: Optogenetic.Power_mW)
}

// Effect is what a perturbation does to each unit of a stage:
// r′ = Gain·r + Add. A nil slice means 1 (Gain) or 0 (Add).
type Effect struct {
	Gain []float32
	Add  []float32
}

// Apply returns the perturbed copy of acts ([image][unit]). An identity
// effect reproduces acts bit for bit.
func (e Effect) Apply(acts [][]float32) [][]float32 {
	out := make([][]float32, len(acts))
	for i, a := range acts {
		r := make([]float32, len(a))
		for k, v := range a {
			if e.Gain != nil {
				v *= e.Gain[k]
			}
			if e.Add != nil {
				v += e.Add[k]
			}
			r[k] = v
		}
		out[i] = r
	}
	return out
}

// Perturbation turns a stimulus at sites into a per-unit Effect on a stage.
type Perturbation interface {
	// Name is the model's registered name.
	Name() string
	// Validate checks the parameters; errors name the parameter, its value
	// and the allowed range.
	Validate() error
	// Effect computes the effect on the units of l. ref holds each unit's
	// reference activity (its mean response to the stimulus set), used by
	// additive models; it may be nil for the others.
	Effect(l *topography.Layout, sites []Site, ref []float64) (Effect, error)
}

// ParamError is a model parameter outside its allowed range or set;
// callers map Param to their own names (a config key) with errors.As.
type ParamError struct {
	Param   string // the parameter, e.g. "current_uA"
	Value   string // its value as written, e.g. "-5" or "\"fast\""
	Allowed string // what is allowed, e.g. "allowed range [0, 5000] µA"
}

func (e *ParamError) Error() string { return fmt.Sprintf("%s = %s: %s", e.Param, e.Value, e.Allowed) }

// paramError reports a numeric parameter v outside what is allowed.
func paramError(param string, v float64, allowed string) error {
	return &ParamError{Param: param, Value: fmt.Sprintf("%g", v), Allowed: allowed}
}

// rangeError reports a parameter outside its allowed range.
func rangeError(param string, v float64, allowed string) error {
	return paramError(param, v, "allowed range "+allowed)
}

func inRange(param string, v, lo, hi float64, allowed string) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return rangeError(param, v, allowed)
	}
	return nil
}

// distances returns, for each site, each unit's distance (+Inf in the other
// hemisphere).
func distance(l *topography.Layout, i int, s Site) float64 {
	if l.Hemi[i] != s.Hemi {
		return math.Inf(1)
	}
	return math.Hypot(l.X_mm[i]-s.X_mm, l.Y_mm[i]-s.Y_mm)
}

func checkSites(l *topography.Layout, sites []Site) error {
	if len(sites) == 0 {
		return fmt.Errorf("no sites")
	}
	for k, s := range sites {
		if s.Hemi != topography.Left && s.Hemi != topography.Right {
			return fmt.Errorf("site %d: hemisphere %d: want L or R", k+1, s.Hemi)
		}
		if err := inRange(fmt.Sprintf("site %d x_mm", k+1), s.X_mm, 0, l.Sheet.Width_mm, fmt.Sprintf("[0, %g] mm (the %s sheet)", l.Sheet.Width_mm, l.Stage)); err != nil {
			return err
		}
		if err := inRange(fmt.Sprintf("site %d y_mm", k+1), s.Y_mm, 0, l.Sheet.Height_mm, fmt.Sprintf("[0, %g] mm (the %s sheet)", l.Sheet.Height_mm, l.Stage)); err != nil {
			return err
		}
	}
	return nil
}

// BaselineRate_Hz is the firing rate that scales the microstimulation gain,
// f/30 Hz (Brain-Score perturbation module, Schrimpf et al. 2024).
const BaselineRate_Hz = 30

// GainMode says how microstimulation changes activity.
type GainMode string

// Gain modes.
const (
	Multiplicative GainMode = "multiplicative" // r′ = r·(1 + (f/30 Hz)·p), optionally capped
	Additive       GainMode = "additive"       // r′ = r + (f/30 Hz)·p·r̄ (r̄: the unit's mean response)
)

// Microstim is electrical microstimulation through one or more electrodes.
// The activated fraction p_i of unit i combines electrodes as a union of
// independent activations, p_i = 1 − Π_k (1 − p_ik), so overlapping fields
// never exceed full activation. Pulse width and train duration are
// validated and recorded but, as in the published static models, do not
// change the effect.
type Microstim struct {
	Law           SpreadLaw
	Current_uA    float64
	Frequency_Hz  float64
	PulseWidth_us float64
	Train_ms      float64
	Mode          GainMode
	Cap           float64 // maximum multiplicative gain; 0 = none (Brain-Score's capped variant uses 60/30 = 2)
}

// Name returns "microstim".
func (Microstim) Name() string { return "microstim" }

// Validate checks the parameters.
func (m Microstim) Validate() error {
	if m.Law == nil {
		return fmt.Errorf("spread_law: missing (want one of %v)", SpreadLaws())
	}
	if err := inRange("current_uA", m.Current_uA, 0, 5000, "[0, 5000] µA"); err != nil {
		return err
	}
	if err := m.Law.Validate(m.Current_uA); err != nil {
		return err
	}
	if err := inRange("frequency_Hz", m.Frequency_Hz, 0, 1000, "[0, 1000] Hz"); err != nil {
		return err
	}
	if err := inRange("pulse_width_us", m.PulseWidth_us, 0, 2000, "[0, 2000] µs"); err != nil {
		return err
	}
	if err := inRange("train_ms", m.Train_ms, 0, 10000, "[0, 10000] ms"); err != nil {
		return err
	}
	switch m.Mode {
	case Multiplicative, Additive:
	default:
		return &ParamError{Param: "gain_mode", Value: fmt.Sprintf("%q", m.Mode), Allowed: fmt.Sprintf("want %q or %q", Multiplicative, Additive)}
	}
	if m.Cap != 0 && (math.IsNaN(m.Cap) || m.Cap < 1) {
		return rangeError("gain_cap", m.Cap, "0 (no cap) or ≥ 1")
	}
	return nil
}

// Activation returns each unit's activated fraction p_i.
func (m Microstim) Activation(l *topography.Layout, sites []Site) []float64 {
	p := make([]float64, l.Units())
	for i := range p {
		miss := 1.0
		for _, s := range sites {
			cur := m.Current_uA
			if s.Current_uA > 0 {
				cur = s.Current_uA
			}
			miss *= 1 - m.Law.Profile(cur, distance(l, i, s))
		}
		p[i] = 1 - miss
	}
	return p
}

// Effect computes the gain (multiplicative) or the added activity
// (additive).
func (m Microstim) Effect(l *topography.Layout, sites []Site, ref []float64) (Effect, error) {
	if err := m.Validate(); err != nil {
		return Effect{}, err
	}
	if err := checkSites(l, sites); err != nil {
		return Effect{}, err
	}
	for k, s := range sites {
		if err := inRange(fmt.Sprintf("site %d current_uA", k+1), s.Current_uA, 0, 5000, "[0, 5000] µA (0: current_uA)"); err != nil {
			return Effect{}, err
		}
		if s.Current_uA > 0 {
			if err := m.Law.Validate(s.Current_uA); err != nil {
				return Effect{}, fmt.Errorf("site %d: %w", k+1, err)
			}
		}
	}
	p := m.Activation(l, sites)
	k := m.Frequency_Hz / BaselineRate_Hz
	if m.Mode == Additive {
		if len(ref) != l.Units() {
			return Effect{}, fmt.Errorf("additive microstimulation needs each unit's reference activity (%d values, got %d)", l.Units(), len(ref))
		}
		add := make([]float32, len(p))
		for i, v := range p {
			add[i] = float32(k * v * ref[i])
		}
		return Effect{Add: add}, nil
	}
	gain := make([]float32, len(p))
	for i, v := range p {
		g := 1 + k*v
		if m.Cap > 0 {
			g = math.Min(g, m.Cap)
		}
		gain[i] = float32(g)
	}
	return Effect{Gain: gain}, nil
}

// Optogenetic spread constants: a Gaussian light profile with variance
// 0.234 mm² (σ = 0.484 mm) scaled by fibre power, saturating at full effect
// (Brain-Score perturbation module; "≥ 1 mW → 100 % suppression", Chow et
// al. 2010). With 12 mW: full suppression within 1.08 mm, 50 % at 1.22 mm,
// 10 % at 1.50 mm.
const OptoVariance_mm2 = 0.234

// OptoMode selects suppression (ArchT, Afraz et al. 2015) or activation.
type OptoMode string

// Optogenetic modes.
const (
	Suppression OptoMode = "suppression"
	Activation  OptoMode = "activation"
)

// Optogenetic is light delivered through fibres. Each site's light drive is
// s(d) = min(1, P·exp(−d²/(2·0.234 mm²))) with P the fibre output in mW.
// Suppression: r′ = r·Π_k (1 − e·s_k), e the fraction of units expressing
// the opsin (with e = 1 and one site this is Brain-Score's
// max(0, 1 − P·g(d))). Activation has no published in-silico formula (the
// Azadi et al. 2023 benchmark code is not public); here it adds
// ActivationGain·e·(1 − Π_k(1 − s_k))·r̄ — at most ActivationGain times the
// unit's mean response — an assumption stated in every output.
type Optogenetic struct {
	Power_mW       float64
	Expression     float64 // fraction in (0, 1]
	Mode           OptoMode
	ActivationGain float64 // activation only; 0 means 1
}

// Name returns "optogenetic".
func (Optogenetic) Name() string { return "optogenetic" }

// Validate checks the parameters.
func (o Optogenetic) Validate() error {
	if err := inRange("power_mW", o.Power_mW, 0, 100, "[0, 100] mW"); err != nil {
		return err
	}
	if err := inRange("expression_fraction", o.Expression, 0, 1, "[0, 1]"); err != nil {
		return err
	}
	switch o.Mode {
	case Suppression, Activation:
	default:
		return &ParamError{Param: "opto_mode", Value: fmt.Sprintf("%q", o.Mode), Allowed: fmt.Sprintf("want %q or %q", Suppression, Activation)}
	}
	if err := inRange("activation_gain", o.ActivationGain, 0, 100, "[0, 100]"); err != nil {
		return err
	}
	return nil
}

// Drive returns the light drive s(d) of one site at the fibre power.
func (o Optogenetic) Drive(d_mm float64) float64 {
	return math.Min(1, o.Power_mW*math.Exp(-d_mm*d_mm/(2*OptoVariance_mm2)))
}

// driveAt is the drive of site s (its own power when set).
func (o Optogenetic) driveAt(l *topography.Layout, i int, s Site) float64 {
	p := o.Power_mW
	if s.Power_mW > 0 {
		p = s.Power_mW
	}
	d := distance(l, i, s)
	return math.Min(1, p*math.Exp(-d*d/(2*OptoVariance_mm2)))
}

// Effect computes the suppressive gain or the added activity.
func (o Optogenetic) Effect(l *topography.Layout, sites []Site, ref []float64) (Effect, error) {
	if err := o.Validate(); err != nil {
		return Effect{}, err
	}
	if err := checkSites(l, sites); err != nil {
		return Effect{}, err
	}
	n := l.Units()
	for k, s := range sites {
		if err := inRange(fmt.Sprintf("site %d power_mW", k+1), s.Power_mW, 0, 100, "[0, 100] mW (0: power_mW)"); err != nil {
			return Effect{}, err
		}
	}
	if o.Mode == Suppression {
		gain := make([]float32, n)
		for i := range gain {
			g := 1.0
			for _, s := range sites {
				g *= 1 - o.Expression*o.driveAt(l, i, s)
			}
			gain[i] = float32(g)
		}
		return Effect{Gain: gain}, nil
	}
	if len(ref) != n {
		return Effect{}, fmt.Errorf("optogenetic activation needs each unit's reference activity (%d values, got %d)", n, len(ref))
	}
	a := o.ActivationGain
	if a == 0 {
		a = 1
	}
	add := make([]float32, n)
	for i := range add {
		miss := 1.0
		for _, s := range sites {
			miss *= 1 - o.driveAt(l, i, s)
		}
		add[i] = float32(a * o.Expression * (1 - miss) * ref[i])
	}
	return Effect{Add: add}, nil
}

// MuscimolVariance_mm2 is the variance of the silencing profile of 1 µL of
// muscimol, 1.17 mm² (σ = 1.08 mm), from Arikan et al. (2002) as used by the
// Brain-Score module: 90 % silenced at 0.50 mm, 50 % at 1.27 mm, 10 % at
// 2.32 mm.
const MuscimolVariance_mm2 = 1.17

// Muscimol is a GABA_A-agonist injection. Silencing follows
// 1 − exp(−d²/(2σ²)), the published profile for 1 µL. Other volumes scale
// the radius with the cube root of the volume (a sphere of drug), so
// σ(V) = 1.08 mm·(V/1 µL)^(1/3); this scaling is our assumption, not a
// measurement, and volumes are limited to [0, 5] µL (0 = no injection).
// Several injections multiply: r′ = r·Π_k (1 − exp(−d_k²/(2σ²))).
type Muscimol struct {
	Volume_uL float64
}

// Name returns "muscimol".
func (Muscimol) Name() string { return "muscimol" }

// Validate checks the volume.
func (m Muscimol) Validate() error {
	return inRange("volume_uL", m.Volume_uL, 0, 5, "[0, 5] µL (the published profile is for 1 µL; others scale as V^(1/3))")
}

// Sigma_mm returns the profile's σ for the volume.
func (m Muscimol) Sigma_mm() float64 {
	return math.Sqrt(MuscimolVariance_mm2) * math.Cbrt(m.Volume_uL)
}

// Effect computes the silencing gain.
func (m Muscimol) Effect(l *topography.Layout, sites []Site, _ []float64) (Effect, error) {
	if err := m.Validate(); err != nil {
		return Effect{}, err
	}
	if err := checkSites(l, sites); err != nil {
		return Effect{}, err
	}
	if m.Volume_uL == 0 {
		return Effect{}, nil
	}
	s2 := 2 * m.Sigma_mm() * m.Sigma_mm()
	gain := make([]float32, l.Units())
	for i := range gain {
		g := 1.0
		for _, s := range sites {
			d := distance(l, i, s)
			g *= 1 - math.Exp(-d*d/s2)
		}
		gain[i] = float32(g)
	}
	return Effect{Gain: gain}, nil
}

// Lesion silences every unit closer than Radius_mm to a site.
type Lesion struct {
	Radius_mm float64
}

// Name returns "lesion".
func (Lesion) Name() string { return "lesion" }

// Validate checks the radius.
func (le Lesion) Validate() error {
	return inRange("radius_mm", le.Radius_mm, 0, 20, "[0, 20] mm")
}

// Effect sets the gain of lesioned units to 0.
func (le Lesion) Effect(l *topography.Layout, sites []Site, _ []float64) (Effect, error) {
	if err := le.Validate(); err != nil {
		return Effect{}, err
	}
	if err := checkSites(l, sites); err != nil {
		return Effect{}, err
	}
	gain := make([]float32, l.Units())
	for i := range gain {
		gain[i] = 1
		for _, s := range sites {
			if distance(l, i, s) < le.Radius_mm {
				gain[i] = 0
			}
		}
	}
	return Effect{Gain: gain}, nil
}
