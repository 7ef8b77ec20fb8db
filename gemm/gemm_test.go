package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// reference computes α·op(A)·op(B) + β·C in float64, element by element.
func reference(aT, bT bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if aT {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if bT {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
			if beta == 0 {
				out[i*ldc+j] = float64(alpha) * s
			}
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	aT, bT      bool
	m, n, k     int
	alpha, beta float32
	pad         int // extra leading dimension
}

var cases = []gemmCase{
	{false, false, 1, 1, 1, 1, 0, 0},
	{false, false, 7, 5, 3, 1, 0, 0},
	{false, false, 6, 16, 8, 1, 0, 0},
	{false, false, 64, 32, 25, 1, 0, 0}, // V1's 5 × 5 kernels
	{false, true, 13, 37, 300, 1, 1, 3},
	{true, false, 97, 33, 257, 0.5, 2, 1},
	{true, true, 101, 65, 513, -1.5, 0.25, 2},
	{false, false, 200, 130, 600, 1, 0, 0}, // several MC and KC blocks
	{false, false, 64, 256, 256, 1, 1, 0},  // the unshared IT layer at batch 64: split by columns
	{false, false, 1, 100, 4096, 1, 0, 0},  // a head at batch 1
	{false, true, 9, 25, 40000, 1, 0, 1},   // a kernel gradient: k split into slabs
	{false, false, 5, 3, 0, 1, 0.5, 0},     // k = 0: only β·C
	{false, false, 5, 3, 4, 0, 2, 0},       // α = 0
}

// Every kernel agrees with a float64 reference on random shapes, odd sizes,
// transposes, α, β and padded leading dimensions, to float32 accuracy:
// |error| ≤ 1e-5 · (Σ|a·b| + |β·c|) per element.
func TestSgemmAgainstReference(t *testing.T) {
	defer Use(Kernel())
	for _, name := range Available() {
		if err := Use(name); err != nil {
			t.Fatal(err)
		}
		for ci, tc := range cases {
			r := rand.New(rand.NewPCG(uint64(ci), 1))
			lda := max(1, tc.k+tc.pad)
			ar := tc.m
			if tc.aT {
				lda, ar = tc.m+tc.pad, tc.k
			}
			ldb := tc.n + tc.pad
			br := tc.k
			if tc.bT {
				ldb, br = tc.k+tc.pad, tc.n
			}
			ldc := tc.n + tc.pad
			a := randSlice(r, max(1, ar*lda))
			b := randSlice(r, max(1, br*ldb))
			c := randSlice(r, max(1, tc.m*ldc))
			want := reference(tc.aT, tc.bT, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
			got := append([]float32(nil), c...)
			Sgemm(trans(tc.aT), trans(tc.bT), tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)
			for i := 0; i < tc.m; i++ {
				for j := 0; j < ldc; j++ {
					idx := i*ldc + j
					if j >= tc.n { // padding is untouched
						if got[idx] != c[idx] {
							t.Fatalf("%s case %d: padding C[%d,%d] changed", name, ci, i, j)
						}
						continue
					}
					bound := 1e-5 * (float64(tc.k)*math.Abs(float64(tc.alpha)) + math.Abs(float64(tc.beta)) + 1)
					if d := math.Abs(float64(got[idx]) - want[idx]); d > bound {
						t.Fatalf("%s case %d (%+v): C[%d,%d] = %g, want %g (|error| %g > %g)", name, ci, tc, i, j, got[idx], want[idx], d, bound)
					}
				}
			}
		}
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// Results are bit-identical on 1 and 2 cores and from run to run.
func TestSgemmDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(9, 9))
	for _, sh := range [][3]int{{300, 70, 700}, {64, 256, 256}, {4096, 64, 288}, {32, 25, 65536}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		var first []float32
		for _, procs := range []int{1, 2, 2, 4} {
			runtime.GOMAXPROCS(procs)
			c := make([]float32, m*n)
			Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v, GOMAXPROCS %d: C[%d] = %g, first run %g", sh, procs, i, c[i], first[i])
				}
			}
		}
	}
}

// Bad arguments panic as gonum's Sgemm does.
func TestSgemmPanics(t *testing.T) {
	for _, f := range []func(){
		func() { Sgemm(blas.NoTrans, blas.NoTrans, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) },
		func() {
			Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		func() {
			Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// The network's products at batch 64 (rows × cols × inner): the im2col
// convolutions of V1, V2, V4 and IT, the unshared IT layer (one of its 16
// positions) and the categorisation head. gonum's pure-Go Sgemm runs beside
// as the baseline; b.ReportMetric gives GFLOP/s.
var benchShapes = [][3]int{{262144, 32, 25}, {65536, 64, 288}, {16384, 128, 576}, {4096, 256, 1152}, {64, 256, 256}, {64, 100, 4096}}

func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sh := range benchShapes {
		m, n, k := sh[0], sh[1], sh[2]
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, impl := range []string{Kernel(), "gonum"} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, impl), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if impl == "gonum" {
						gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
					} else {
						Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
					}
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// The AVX2 and AVX-512 kernels do the same operations per element (one
// fused multiply-add per p, in order), so their results are bit-identical:
// a model gives the same numbers on either CPU.
func TestSIMDKernelsBitIdentical(t *testing.T) {
	have := map[string]bool{}
	for _, k := range Available() {
		have[k] = true
	}
	if !have["avx2"] || !have["avx512"] {
		t.Skip("needs both the AVX2 and the AVX-512 kernel")
	}
	defer Use(Kernel())
	r := rand.New(rand.NewPCG(5, 5))
	for _, sh := range [][3]int{{97, 45, 300}, {64, 256, 256}, {7, 33, 1000}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c0 := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		var out [2][]float32
		for i, name := range []string{"avx2", "avx512"} {
			Use(name)
			out[i] = append([]float32(nil), c0...)
			Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, transpose(b, k, n), k, 1, out[i], n)
		}
		for i := range out[0] {
			if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
				t.Fatalf("%v: C[%d] is %g with AVX2, %g with AVX-512", sh, i, out[0][i], out[1][i])
			}
		}
	}
}

func transpose(b []float32, rows, cols int) []float32 {
	out := make([]float32, len(b))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out[j*rows+i] = b[i*cols+j]
		}
	}
	return out
}
