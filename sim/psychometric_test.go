package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func simulate(r *rand.Rand, p Psychometric, x []float64, n int) []int {
	k := make([]int, len(x))
	for i, v := range x {
		k[i] = binomial(r, n, p.P(v))
	}
	return k
}

// The fit recovers known α, β and the shift between two curves: the true
// values fall inside the 95 % bootstrap CI in at least 90 of 100 seeded
// repeats.
func TestPsychometricRecovery(t *testing.T) {
	x := []float64{-80, -60, -40, -20, 0, 20, 40, 60, 80} // % signal, as in Afraz et al. 2006
	ctrl := Psychometric{Alpha: 0.05, Beta: 0}
	stim := Psychometric{Alpha: 0.05, Beta: 0.25} // shift of +5 % toward "yes"
	wantShift := Shift(ctrl, stim)
	if !near(wantShift, 5, 1e-12) {
		t.Fatalf("true shift %.3f", wantShift)
	}
	const trials, repeats, reps = 40, 100, 200
	n := make([]int, len(x))
	for i := range n {
		n[i] = trials
	}
	var inA, inB, inShift int
	r := rand.New(rand.NewPCG(42, 1))
	for rep := 0; rep < repeats; rep++ {
		ka := simulate(r, ctrl, x, trials)
		kb := simulate(r, stim, x, trials)
		_, ca, cb, err := FitBootstrap(x, kb, n, reps, 0.95, uint64(rep))
		if err != nil {
			t.Fatal(err)
		}
		if ca.Lo <= stim.Alpha && stim.Alpha <= ca.Hi {
			inA++
		}
		if cb.Lo <= stim.Beta && stim.Beta <= cb.Hi {
			inB++
		}
		_, cs, err := ShiftBootstrap(x, ka, n, kb, n, reps, 0.95, uint64(rep))
		if err != nil {
			t.Fatal(err)
		}
		if cs.Lo <= wantShift && wantShift <= cs.Hi {
			inShift++
		}
	}
	t.Logf("coverage of 95 %% CIs over %d repeats: α %d, β %d, shift %d", repeats, inA, inB, inShift)
	for name, c := range map[string]int{"alpha": inA, "beta": inB, "shift": inShift} {
		if c < 90 {
			t.Errorf("%s inside its CI in %d of %d repeats, want ≥ 90", name, c, repeats)
		}
	}
}

func TestFitPsychometricExact(t *testing.T) {
	// Counts that follow the curve exactly are fitted exactly.
	p := Psychometric{Alpha: 0.1, Beta: -1}
	x := []float64{-20, -10, 0, 10, 20, 30}
	k, n := make([]int, len(x)), make([]int, len(x))
	for i, v := range x {
		n[i] = 1_000_000
		k[i] = int(math.Round(p.P(v) * float64(n[i])))
	}
	f, err := FitPsychometric(x, k, n)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f.Alpha, 0.1, 1e-4) || !near(f.Beta, -1, 1e-3) || !near(f.X50(), 10, 0.02) {
		t.Errorf("fit α %.5f β %.5f x50 %.3f, want 0.1, −1, 10", f.Alpha, f.Beta, f.X50())
	}
	if _, err := FitPsychometric(x[:1], k[:1], n[:1]); err == nil {
		t.Error("one level accepted")
	}
	if _, err := FitPsychometric(x, append([]int{n[0] + 1}, k[1:]...), n); err == nil {
		t.Error("k > n accepted")
	}
}

func TestDPrime(t *testing.T) {
	// H = (84+0.5)/101, F = (16+0.5)/101: d′ = Φ⁻¹(0.8366) − Φ⁻¹(0.1634) = 2·0.9810.
	if got := DPrime(84, 100, 16, 100); !near(got, 2*0.98104, 0.001) {
		t.Errorf("d′ = %.4f, want 1.962", got)
	}
	if got := DPrime(50, 100, 50, 100); got != 0 {
		t.Errorf("chance d′ = %v", got)
	}
	if got := DPrime(100, 100, 0, 100); math.IsInf(got, 0) || got < 4 {
		t.Errorf("perfect d′ = %v, want finite and large", got)
	}
}

func TestSampleChoiceFrequencies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	p := []float64{0.2, 0.8}
	const n = 20000
	var c1, l1 int
	for i := 0; i < n; i++ {
		c1 += SampleChoice(r, p, 0)
		l1 += SampleChoice(r, []float64{0, 1}, 0.5)
	}
	if f := float64(c1) / n; !near(f, 0.8, 0.015) {
		t.Errorf("choice frequency %.3f, want 0.8", f)
	}
	if f := float64(l1) / n; !near(f, 0.75, 0.015) { // half the trials lapse to a coin flip
		t.Errorf("with lapses %.3f, want 0.75", f)
	}
}

func TestSameDifferentDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	vec := func(base []float32, noise float64) []float32 {
		v := make([]float32, len(base))
		for i := range v {
			v[i] = base[i] + float32(noise*r.NormFloat64())
		}
		return v
	}
	var a, b [][]float32
	var same []bool
	for i := 0; i < 200; i++ {
		base := vec(make([]float32, 50), 1)
		a = append(a, vec(base, 0.3))
		if i%2 == 0 {
			b = append(b, vec(base, 0.3))
			same = append(same, true)
		} else {
			b = append(b, vec(make([]float32, 50), 1))
			same = append(same, false)
		}
	}
	for _, metric := range []string{"l1", "correlation"} {
		d, err := FitSameDifferent(metric, a, b, same)
		if err != nil {
			t.Fatal(err)
		}
		correct := 0
		for i := range a {
			p, _ := d.PSame(a[i], b[i])
			if (p > 0.5) == same[i] {
				correct++
			}
		}
		if correct < 190 {
			t.Errorf("%s: %d of 200 pairs right", metric, correct)
		}
	}
	if _, err := FitSameDifferent("cosine", a, b, same); err == nil {
		t.Error("unknown metric accepted")
	}
}

func ExampleShift() {
	control := Psychometric{Alpha: 0.05, Beta: 0}
	stimulated := Psychometric{Alpha: 0.05, Beta: 0.25}
	fmt.Printf("%.1f %% signal toward \"face\"\n", Shift(control, stimulated))
	// Output: 5.0 % signal toward "face"
}

func TestSimulateChoicesSeeded(t *testing.T) {
	probs := [][]float64{{0.9, 0.1}, {0.5, 0.5}, {0, 1}}
	a := SimulateChoices(probs, 1000, 0, 7)
	if a[0][0] < 870 || a[0][0] > 930 || a[2][1] != 1000 {
		t.Errorf("counts %v", a)
	}
	if c := SimulateChoices(probs, 1000, 0, 7); c[1][0] != a[1][0] {
		t.Error("same seed, different counts")
	}
	if c := SimulateChoices(probs, 1000, 0, 8); c[1][0] == a[1][0] && c[0][0] == a[0][0] {
		t.Error("different seeds, identical counts")
	}
}
