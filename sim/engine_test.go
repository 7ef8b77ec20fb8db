package sim

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

func randomImages(n int, seed uint64) []*vision.Gray { return randomImagesAt(64, n, seed) }

func randomImagesAt(px, n int, seed uint64) []*vision.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]*vision.Gray, n)
	for i := range out {
		g := &vision.Gray{W: px, H: px, Pix: make([]float32, px*px)}
		for k := range g.Pix {
			g.Pix[k] = r.Float32()
		}
		out[i] = g
	}
	return out
}

func testModel(t testing.TB) *vision.Model {
	t.Helper()
	m, err := vision.NewModel(vision.DefaultArch([]string{"a", "b"}), 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A no-op perturbation at V4, propagated through IT, reproduces the
// unperturbed IT activity bit for bit; a real one changes it.
func TestEngineNoOpIsExact(t *testing.T) {
	m := testModel(t)
	e, err := NewEngine(m, 2, randomImages(6, 1))
	if err != nil {
		t.Fatal(err)
	}
	site := []Site{{Hemi: topography.Left, X_mm: 12, Y_mm: 12}}
	it, err := e.Perturb(Muscimol{Volume_uL: 0}, site)
	if err != nil {
		t.Fatal(err)
	}
	for i := range it {
		for k := range it[i] {
			if math.Float32bits(it[i][k]) != math.Float32bits(e.IT[i][k]) {
				t.Fatalf("no-op changed IT unit %d of image %d", k, i)
			}
		}
	}
	it, err = e.Perturb(Muscimol{Volume_uL: 1}, site)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for k := range it[0] {
		if it[0][k] != e.IT[0][k] {
			changed++
		}
	}
	if changed == 0 {
		t.Error("muscimol at V4 changed no IT unit")
	}
}

// Results of a parallel site loop do not depend on the number of cores.
func TestParallelSitesDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	m := testModel(t)
	e, err := NewEngine(m, 3, randomImages(4, 2))
	if err != nil {
		t.Fatal(err)
	}
	run := func() []float32 {
		out := make([]float32, 20)
		err := ParallelFor(20, func(i int) error {
			p := Microstim{Law: ExpKumaravelu2022{}, Current_uA: 50 + float64(i), Frequency_Hz: 200, Mode: Multiplicative}
			it, err := e.Perturb(p, []Site{{Hemi: topography.Hemisphere(i % 2), X_mm: float64(i) / 2, Y_mm: 5}})
			if err != nil {
				return err
			}
			var s float32
			for _, v := range it[1] {
				s += v
			}
			out[i] = s
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	runtime.GOMAXPROCS(1)
	a := run()
	runtime.GOMAXPROCS(2)
	b := run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("site %d: %v on 1 core, %v on 2", i, a[i], b[i])
		}
	}
}

// benchmarkSetup builds the Afraz-sized workload: 400 images, 86 sites on
// IT, a two-class linear readout.
func benchmarkSetup(b testing.TB) (*vision.Model, []*vision.Gray, []Site, *Logistic) {
	return benchmarkSetupAt(b, 64)
}

// benchmarkSetupAt is benchmarkSetup on the architecture at input side px
// (128 px: model v2's 8 × 8 IT positions, 16,384 units).
func benchmarkSetupAt(b testing.TB, px int) (*vision.Model, []*vision.Gray, []Site, *Logistic) {
	a := vision.DefaultArch([]string{"a", "b"})
	a.Input = px
	m, err := vision.NewModel(a, 3)
	if err != nil {
		b.Fatal(err)
	}
	imgs := randomImagesAt(px, 400, 5)
	r := rand.New(rand.NewPCG(9, 9))
	sites := make([]Site, 86)
	for i := range sites {
		sites[i] = Site{Hemi: topography.Hemisphere(i % 2), X_mm: 10 * r.Float64(), Y_mm: 10 * r.Float64()}
	}
	u := m.Arch.ITUnits()
	dec := &Logistic{C: 1e-3, Classes: 2, Mean: make([]float64, u), Scale: ones(u), W: [][]float64{make([]float64, u), make([]float64, u)}, B: make([]float64, 2)}
	for k := 0; k < u; k++ {
		dec.W[1][k] = r.NormFloat64() * 0.01
	}
	return m, imgs, sites, dec
}

func readout(dec *Logistic, it [][]float32) float64 {
	var yes float64
	x := make([]float64, len(it[0]))
	for _, r := range it {
		for k, v := range r {
			x[k] = float64(v)
		}
		yes += dec.Probabilities(x)[1]
	}
	return yes
}

// BenchmarkPerturbedTrialsCached: 86 microstimulation sites × 400 images on
// IT with the network run once (trials/s reported).
func BenchmarkPerturbedTrialsCached(b *testing.B) {
	m, imgs, sites, dec := benchmarkSetup(b)
	e, err := NewEngine(m, 3, imgs)
	if err != nil {
		b.Fatal(err)
	}
	p := Microstim{Law: ExpKumaravelu2022{}, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := ParallelFor(len(sites), func(s int) error {
			it, err := e.Perturb(p, sites[s:s+1])
			if err == nil {
				readout(dec, it)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(sites)*len(imgs))/b.Elapsed().Seconds(), "trials/s")
}

// BenchmarkPerturbedTrialsRerun does the same work by re-running the whole
// network for each site (one site per iteration; trials/s reported).
func BenchmarkPerturbedTrialsRerun(b *testing.B) {
	m, imgs, sites, dec := benchmarkSetup(b)
	p := Microstim{Law: ExpKumaravelu2022{}, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		act, err := m.Run(imgs, [4]bool{false, false, false, true})
		if err != nil {
			b.Fatal(err)
		}
		eff, err := p.Effect(m.IT(), sites[i%len(sites):i%len(sites)+1], nil)
		if err != nil {
			b.Fatal(err)
		}
		readout(dec, eff.Apply(act.Stages[3]))
	}
	b.ReportMetric(float64(b.N*len(imgs))/b.Elapsed().Seconds(), "trials/s")
}

// Perturbed readouts from the changed units only equal the full readout of
// the perturbed IT to rounding (1e-12), for every kind of perturbation,
// and an identity perturbation leaves the probabilities unchanged.
func TestPerturbedProbabilitiesSparse(t *testing.T) {
	m, imgs, sites, dec := benchmarkSetup(t)
	e, err := NewEngine(m, 3, imgs[:40])
	if err != nil {
		t.Fatal(err)
	}
	dec.B[0], dec.W[0][3] = 0.3, 0.05
	r := e.NewReadout(dec)
	for _, p := range []Perturbation{
		Microstim{Law: ExpKumaravelu2022{}, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative},
		Optogenetic{Power_mW: 12, Expression: 1, Mode: Suppression},
		Muscimol{Volume_uL: 1},
		Lesion{Radius_mm: 1},
	} {
		got, err := e.PerturbedProbabilities(p, sites[:2], []*Readout{r})
		if err != nil {
			t.Fatal(err)
		}
		it, err := e.Perturb(p, sites[:2])
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, len(it[0]))
		worst := 0.0
		for i, row := range it {
			for k, v := range row {
				x[k] = float64(v)
			}
			want := dec.Probabilities(x)
			for c := range want {
				worst = math.Max(worst, math.Abs(got[0][i][c]-want[c]))
			}
		}
		if worst > 1e-12 {
			t.Errorf("%s: sparse readout differs from the full readout by %g", p.Name(), worst)
		}
	}
	base := r.Probabilities()
	x := make([]float64, len(e.IT[0]))
	for k, v := range e.IT[5] {
		x[k] = float64(v)
	}
	if want := dec.Probabilities(x); math.Abs(base[5][1]-want[1]) > 1e-15 {
		t.Errorf("unperturbed readout %v, want %v", base[5], want)
	}
}

// BenchmarkPerturbedTrialsSparse: the sites × images of
// BenchmarkPerturbedTrialsCached read out from the changed units only
// (trials/s reported).
func BenchmarkPerturbedTrialsSparse(b *testing.B) { benchmarkSparse(b, 64) }

// BenchmarkPerturbedTrialsSparse128 is BenchmarkPerturbedTrialsSparse at
// 128 px (model v2's architecture: 4 × the IT units per mm², so a site
// changes 4 × the units).
func BenchmarkPerturbedTrialsSparse128(b *testing.B) { benchmarkSparse(b, 128) }

func benchmarkSparse(b *testing.B, px int) {
	m, imgs, sites, dec := benchmarkSetupAt(b, px)
	e, err := NewEngine(m, 3, imgs)
	if err != nil {
		b.Fatal(err)
	}
	r := e.NewReadout(dec)
	p := Microstim{Law: ExpKumaravelu2022{}, Current_uA: 50, Frequency_Hz: 200, Mode: Multiplicative}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := ParallelFor(len(sites), func(s int) error {
			_, err := e.PerturbedProbabilities(p, sites[s:s+1], []*Readout{r})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(sites)*len(imgs))/b.Elapsed().Seconds(), "trials/s")
}
