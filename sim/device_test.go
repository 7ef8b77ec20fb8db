package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/microstim/microstim/topography"
)

func TestDeviceGeometry(t *testing.T) {
	for _, tc := range []struct {
		d       Device
		n       int
		span_mm float64 // max − min x
		optical bool
	}{
		{SingleElectrode(), 1, 0, false},
		{UtahArray(), 100, 3.6, false},
		{GridArray(4, 500), 4, 0.5, false},
		{GridArray(5, 250), 5, 0.5, false}, // 3 columns
		{OpticalFibre(), 1, 0, true},
		{LEDArray(9, 1000), 9, 2, true},
	} {
		if len(tc.d.Contacts) != tc.n || tc.d.Optical != tc.optical || tc.d.Source == "" {
			t.Errorf("%s: %d contacts (want %d), optical %v, source %q", tc.d.Name, len(tc.d.Contacts), tc.n, tc.d.Optical, tc.d.Source)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		var cx float64
		for _, c := range tc.d.Contacts {
			lo, hi = math.Min(lo, c.DX_mm), math.Max(hi, c.DX_mm)
			cx += c.DX_mm
		}
		if math.Abs(hi-lo-tc.span_mm) > 1e-12 {
			t.Errorf("%s: span %g mm, want %g", tc.d.Name, hi-lo, tc.span_mm)
		}
		if tc.n > 1 && math.Abs(hi+lo) > 1e-12 {
			t.Errorf("%s: not centred (%g … %g)", tc.d.Name, lo, hi)
		}
	}
	// Utah neighbours are 400 µm apart.
	u := UtahArray().Contacts
	if d := math.Hypot(u[1].DX_mm-u[0].DX_mm, u[1].DY_mm-u[0].DY_mm); math.Abs(d-0.4) > 1e-12 {
		t.Errorf("Utah pitch %g mm", d)
	}
}

// Placement: no error puts the centre where asked; contacts off the sheet
// are dropped; the targeting error has the stated RMS radius and is seeded.
func TestDevicePlacement(t *testing.T) {
	l, err := topography.NewLayout("IT", 4, 4, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sites, dropped := UtahArray().Place(l, Placement{Hemi: topography.Left, X_mm: 5, Y_mm: 5}, nil)
	if len(sites) != 100 || dropped != 0 {
		t.Fatalf("centred Utah array: %d sites, %d dropped", len(sites), dropped)
	}
	var mx, my float64
	for _, s := range sites {
		mx += s.X_mm / 100
		my += s.Y_mm / 100
		if s.Hemi != topography.Left {
			t.Fatal("wrong hemisphere")
		}
	}
	if math.Abs(mx-5) > 1e-9 || math.Abs(my-5) > 1e-9 {
		t.Errorf("centre (%g, %g), want (5, 5)", mx, my)
	}
	if _, dropped := UtahArray().Place(l, Placement{Hemi: topography.Right, X_mm: 0.5, Y_mm: 5}, nil); dropped != 40 {
		t.Errorf("array at the edge: %d dropped, want 40 (columns at −1.3, −0.9, −0.5, −0.1 mm)", dropped)
	}
	var sum float64
	const n = 20000
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < n; k++ {
		s, _ := SingleElectrode().Place(l, Placement{Hemi: topography.Left, X_mm: 5, Y_mm: 5, TargetingError_mm: 0.5}, r)
		sum += (s[0].X_mm-5)*(s[0].X_mm-5) + (s[0].Y_mm-5)*(s[0].Y_mm-5)
	}
	if rms := math.Sqrt(sum / n); math.Abs(rms-0.5) > 0.01 {
		t.Errorf("RMS targeting error %g mm, want 0.5", rms)
	}
	a, _ := SingleElectrode().Place(l, Placement{Hemi: topography.Left, X_mm: 5, Y_mm: 5, TargetingError_mm: 1}, rand.New(rand.NewPCG(9, 9)))
	b, _ := SingleElectrode().Place(l, Placement{Hemi: topography.Left, X_mm: 5, Y_mm: 5, TargetingError_mm: 1}, rand.New(rand.NewPCG(9, 9)))
	if a[0] != b[0] {
		t.Error("same seed, different placement")
	}
}

// Per-contact current: a contact with twice the current activates more
// around it than one at the default current.
func TestPerContactCurrent(t *testing.T) {
	l, err := topography.NewLayout("IT", 4, 4, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	law, _ := NewSpreadLaw("exp_kumaravelu2022", 0)
	m := Microstim{Law: law, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative}
	base := m.Activation(l, []Site{{Hemi: topography.Left, X_mm: 5, Y_mm: 5}})
	more := m.Activation(l, []Site{{Hemi: topography.Left, X_mm: 5, Y_mm: 5, Current_uA: 100}})
	var sb, sm float64
	for i := range base {
		sb += base[i]
		sm += more[i]
	}
	if !(sm > 1.5*sb) {
		t.Errorf("activation at 100 µA (%g) not well above 50 µA (%g)", sm, sb)
	}
}

// Safety figures at hand-computed values.
func TestSafety(t *testing.T) {
	// 50 µA × 200 µs = 10 nC = 0.01 µC; over 2000 µm² = 2e-5 cm²: D = 500 µC/cm²;
	// log10(500) + log10(0.01) = 0.69897 ≤ 1.85.
	s, err := CheckSafety([]float64{50}, 200, 2000, SafetyLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.ChargePerPhase_nC-10) > 1e-9 || math.Abs(s.ChargeDensity_uC_cm2-500) > 1e-6 ||
		math.Abs(s.ShannonK-0.6989700043360187) > 1e-9 || !s.Safe() || s.ShannonLimit != 1.85 {
		t.Errorf("50 µA: %+v", s)
	}
	// 300 µA × 200 µs = 60 nC; D = 3000 µC/cm²; k = log10(3000) + log10(0.06) = 2.2553 > 1.85.
	s, _ = CheckSafety([]float64{300}, 200, 2000, SafetyLimits{})
	if math.Abs(s.ShannonK-2.255272505103306) > 1e-9 || s.Safe() {
		t.Errorf("300 µA: %+v", s)
	}
	// Shannon limit: the largest safe current for k = 1.85, 200 µs, 2000 µm² is
	// I = sqrt(10^k · A_cm² ) / PW_s: Q² = 10^k·A → Q = sqrt(10^1.85 · 2e-5) µC = 0.03757 µC → 187.9 µA.
	iMax := math.Sqrt(math.Pow(10, 1.85)*2e-5) / 200e-6
	if s, _ := CheckSafety([]float64{iMax * 0.999}, 200, 2000, SafetyLimits{}); !s.Safe() {
		t.Errorf("just under the Shannon limit (%.1f µA) flagged: %v", iMax, s.Violations)
	}
	if s, _ := CheckSafety([]float64{iMax * 1.001}, 200, 2000, SafetyLimits{}); s.Safe() {
		t.Errorf("just over the Shannon limit (%.1f µA) not flagged", iMax)
	}
	// Total current and density limits.
	cur := make([]float64, 100)
	for i := range cur {
		cur[i] = 20
	}
	s, _ = CheckSafety(cur, 200, 2000, SafetyLimits{MaxTotalCurrent_uA: 1000, MaxChargeDensity_uC_cm2: 100})
	if math.Abs(s.TotalCurrent_uA-2000) > 1e-9 || len(s.Violations) != 2 {
		t.Errorf("Utah at 20 µA per contact: %+v", s)
	}
	if _, err := CheckSafety([]float64{50}, 200, 0, SafetyLimits{}); err == nil {
		t.Error("zero contact area accepted")
	}
}

// Per-contact values outside their ranges are refused with the site and key.
func TestPerContactRanges(t *testing.T) {
	l, err := topography.NewLayout("IT", 4, 4, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	law, _ := NewSpreadLaw("exp_kumaravelu2022", 0)
	m := Microstim{Law: law, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative}
	o := Optogenetic{Power_mW: 12, Expression: 1, Mode: Suppression}
	for _, tc := range []struct {
		p    Perturbation
		site Site
		want string
	}{
		{m, Site{Hemi: topography.Left, X_mm: 5, Y_mm: 5, Current_uA: 9000}, "site 1 current_uA = 9000"},
		{m, Site{Hemi: topography.Left, X_mm: 5, Y_mm: 5, Current_uA: -5}, "site 1 current_uA = -5"},
		{m, Site{Hemi: topography.Left, X_mm: 5, Y_mm: 5, Current_uA: 3}, "site 1"}, // below the Kumaravelu threshold
		{o, Site{Hemi: topography.Left, X_mm: 5, Y_mm: 5, Power_mW: 500}, "site 1 power_mW = 500"},
	} {
		if _, err := tc.p.Effect(l, []Site{tc.site}, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: %v, want %q", tc.p.Name(), tc.site, err, tc.want)
		}
	}
}
