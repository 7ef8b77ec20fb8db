package vision

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/microstim/microstim/gemm"
)

func randomImages(n, side int, seed uint64) []*Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]*Gray, n)
	for i := range out {
		g := &Gray{W: side, H: side, Pix: make([]float32, side*side)}
		for k := range g.Pix {
			g.Pix[k] = r.Float32()
		}
		out[i] = g
	}
	return out
}

func activationHash(t *testing.T, m *Model, imgs []*Gray) [32]byte {
	act, err := m.Run(imgs, [4]bool{true, true, true, true})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for s := 0; s < 4; s++ {
		for _, r := range act.Stages[s] {
			binary.Write(h, binary.LittleEndian, r)
		}
	}
	for _, r := range act.Logits {
		binary.Write(h, binary.LittleEndian, r)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Seeded initialisation and the forward pass of the default model's
// architecture are bit-identical across runs and across GOMAXPROCS 1 and 2.
func TestInitAndForwardDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	a := DefaultArch([]string{"a", "b", "c"})
	a.LocalIT, a.FaceHead = true, true
	imgs := randomImages(40, 64, 3) // two batches of the 32-image inference graph
	var ref [32]byte
	var refW [32]byte
	for k, procs := range []int{1, 2, 1} {
		runtime.GOMAXPROCS(procs)
		m, err := NewModel(a, 11)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := m.Encode(nil)
		hw := sha256.Sum256(w)
		h := activationHash(t, m, imgs)
		if k == 0 {
			ref, refW = h, hw
			continue
		}
		if hw != refW {
			t.Errorf("GOMAXPROCS=%d: initial weights differ", procs)
		}
		if h != ref {
			t.Errorf("GOMAXPROCS=%d: activations differ", procs)
		}
	}
	m2, _ := NewModel(a, 12)
	if activationHash(t, m2, imgs) == ref {
		t.Error("a different seed gave identical activations")
	}
}

// The forward pass matches a direct computation of V1's first stage.
func TestForwardMatchesDirectConvolution(t *testing.T) {
	m, _ := NewModel(DefaultArch([]string{"a", "b"}), 1)
	img := randomImages(1, 64, 9)[0]
	act, err := m.Run([]*Gray{img}, [4]bool{true})
	if err != nil {
		t.Fatal(err)
	}
	w, b := Data(m.Params.W[0]), Data(m.Params.B[0])
	conv := func(c, y, x int) float64 {
		s := float64(b[c])
		for ky := 0; ky < 5; ky++ {
			for kx := 0; kx < 5; kx++ {
				yy, xx := y+ky-2, x+kx-2
				if yy >= 0 && xx >= 0 && yy < 64 && xx < 64 {
					s += float64(w[c*25+ky*5+kx]) * float64((img.Pix[yy*64+xx]-PixelMean)/PixelStd)
				}
			}
		}
		return math.Max(0, s)
	}
	for _, c := range []int{0, 13, 31} {
		for _, p := range [][2]int{{0, 0}, {5, 9}, {31, 31}} {
			py, px := p[0], p[1]
			want := math.Max(math.Max(conv(c, 2*py, 2*px), conv(c, 2*py+1, 2*px)), math.Max(conv(c, 2*py, 2*px+1), conv(c, 2*py+1, 2*px+1)))
			got := float64(act.Stages[0][0][c*32*32+py*32+px])
			if math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("V1 channel %d at (%d,%d): %.6f, direct %.6f", c, py, px, got, want)
			}
		}
	}
}

// BenchmarkForward measures forward throughput of the embedded default
// model (images/s are reported as a custom metric).
func BenchmarkForward(b *testing.B) {
	m, _, _, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	imgs := randomImages(64, 64, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Run(imgs, [4]bool{false, false, false, true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(imgs))/b.Elapsed().Seconds(), "images/s")
}

// Continuing from a cached stage reproduces the full forward pass exactly.
func TestRunFromMatchesRun(t *testing.T) {
	m, _ := NewModel(DefaultArch([]string{"a", "b"}), 4)
	imgs := randomImages(5, 64, 8)
	full, err := m.Run(imgs, [4]bool{true, true, true, true})
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from < 4; from++ {
		part, err := m.RunFrom(from, full.Stages[from], [4]bool{true, true, true, true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range imgs {
			for k, v := range full.Logits[i] {
				if part.Logits[i][k] != v {
					t.Fatalf("from %s: image %d logit %d = %v, full pass %v", StageNames[from], i, k, part.Logits[i][k], v)
				}
			}
			if from < 3 {
				for k, v := range full.Stages[3][i] {
					if part.Stages[3][i][k] != v {
						t.Fatalf("from %s: IT unit %d differs", StageNames[from], k)
					}
				}
			}
		}
	}
}

// The unshared IT layer matches a direct computation from the shared IT
// convolution's output: every position has its own weights.
func TestLocalITMatchesDirect(t *testing.T) {
	a := tinyArch([]string{"a", "b"})
	shared, _ := NewModel(a, 3)
	a.LocalIT = true
	m, _ := NewModel(a, 3)
	for s := 0; s < 4; s++ {
		copy(Data(m.Params.W[s]), Data(shared.Params.W[s]))
		copy(Data(m.Params.B[s]), Data(shared.Params.B[s]))
	}
	imgs := randomImages(3, 32, 2)
	conv, err := shared.Run(imgs, [4]bool{false, false, false, true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(imgs, [4]bool{false, false, false, true})
	if err != nil {
		t.Fatal(err)
	}
	c, np := a.Channels[3], a.MapSize(3)*a.MapSize(3)
	w, b := Data(m.Params.LocalW), Data(m.Params.LocalB)
	for i := range imgs {
		for p := 0; p < np; p++ {
			for o := 0; o < c; o++ {
				s := float64(b[p*c+o])
				for k := 0; k < c; k++ {
					s += float64(conv.Stages[3][i][k*np+p]) * float64(w[(p*c+k)*c+o])
				}
				want, g := math.Max(0, s), float64(got.Stages[3][i][o*np+p])
				if math.Abs(g-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("image %d, channel %d, position %d: %.6f, direct %.6f", i, o, p, g, want)
				}
			}
		}
	}
	// Positions do not share weights: one position's change leaves the others.
	Data(m.Params.LocalW)[0] += 1
	again, _ := m.Run(imgs, [4]bool{false, false, false, true})
	for i := range imgs {
		for o := 0; o < c; o++ {
			for p := 1; p < np; p++ {
				if again.Stages[3][i][o*np+p] != got.Stages[3][i][o*np+p] {
					t.Fatalf("changing position 0's weights changed position %d", p)
				}
			}
		}
	}
}

// The network's forward pass with every available matrix-product kernel
// (gemm.Available: AVX-512, AVX2, pure Go) agrees with the pure-Go kernel
// to float32 accuracy (|Δ| ≤ 1e-4 · (1 + |logit|)), so the pure-Go fallback
// that other CPUs use computes the same network.
func TestForwardKernelsAgree(t *testing.T) {
	m, _ := NewModel(DefaultArch([]string{"a", "b", "c"}), 6)
	imgs := randomImages(3, 64, 2)
	defer gemm.Use(gemm.Kernel())
	var ref [][]float32
	for _, k := range append([]string{"generic"}, gemm.Available()...) {
		if err := gemm.Use(k); err != nil {
			t.Fatal(err)
		}
		act, err := m.Run(imgs, [4]bool{})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = act.Logits
			continue
		}
		for i := range ref {
			for j, v := range ref[i] {
				if d := math.Abs(float64(act.Logits[i][j] - v)); d > 1e-4*(1+math.Abs(float64(v))) {
					t.Errorf("kernel %s: logit [%d][%d] = %g, pure Go %g", k, i, j, act.Logits[i][j], v)
				}
			}
		}
	}
}

// A model on the MobileNet v2 trunk gives the same activations on 1 and 2
// cores, and continuing it from any stage's output reproduces the full
// pass (perturbing V1, V2 or V4 enters there).
func TestTrunkModelDeterministicAndRunFrom(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	a := MobileNetV2Arch([]string{"a", "b", "c"}, 64, 16, false)
	a.LocalIT = true
	imgs := randomImages(40, 64, 3)
	var ref [32]byte
	for k, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		h := activationHash(t, speedModel(t, a), imgs)
		if k == 0 {
			ref = h
		} else if h != ref {
			t.Errorf("GOMAXPROCS=%d: activations differ", procs)
		}
	}
	m := speedModel(t, a)
	full, err := m.Run(imgs[:5], [4]bool{true, true, true, true})
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from < 3; from++ {
		part, err := m.RunFrom(from, full.Stages[from], [4]bool{false, false, false, true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range part.Logits {
			if !slices.Equal(part.Logits[i], full.Logits[i]) || !slices.Equal(part.Stages[3][i], full.Stages[3][i]) {
				t.Fatalf("from %s: image %d differs from the full pass", StageNames[from], i)
			}
		}
	}
}
