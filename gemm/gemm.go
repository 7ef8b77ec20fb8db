package gemm

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// Block sizes: a KC × NR panel of B (16 KiB at NR = 16) and an MR × KC
// panel of A stay in L1 while the kernel runs; an MC × KC block of A (96
// KiB) stays in L2.
const (
	mr = 6
	kc = 256
	mc = 96 // a multiple of mr
)

// kernel multiplies the packed panels a (kc × mr, row p holds A[i..i+mr, p])
// and b (kc × nr) and adds the mr × nr product into c, whose rows are ldc
// apart.
type kernel struct {
	name string
	nr   int
	fn   func(k int, a, b, c []float32, ldc int)
}

var active = choose(os.Getenv("MICROSTIM_GEMM"))

// choose returns the kernel to use: the one named (if this CPU and build
// have it), else the fastest available.
func choose(name string) kernel {
	avail := kernels()
	if name != "" {
		for _, k := range avail {
			if k.name == name {
				return k
			}
		}
	}
	return avail[0]
}

// Kernel names the micro-kernel in use: "avx512", "avx2" or "generic".
func Kernel() string { return active.name }

// Available lists the kernels this CPU and build can run, fastest first.
func Available() []string {
	var out []string
	for _, k := range kernels() {
		out = append(out, k.name)
	}
	return out
}

// Use selects a kernel by name for the rest of the process (tests compare
// kernels with it); it reports an error for a kernel this CPU or build
// lacks.
func Use(name string) error {
	for _, k := range kernels() {
		if k.name == name {
			active = k
			return nil
		}
	}
	return fmt.Errorf("gemm: kernel %q not available here (have %v)", name, Available())
}

// Sgemm computes C = α·op(A)·op(B) + β·C for row-major matrices, op(A)
// m × k and op(B) k × n, as gonum's blas.Float32 Sgemm (which panics on
// bad arguments the same way).
func Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := tA != blas.NoTrans, tB != blas.NoTrans
	checkArgs(aT, bT, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	g := &gemm{m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, aT: aT, b: b, ldb: ldb, bT: bT, c: c, ldc: ldc, kern: active}
	g.run()
}

type gemm struct {
	m, n, k  int
	alpha    float32
	a, b, c  []float32
	lda, ldb int
	ldc      int
	aT, bT   bool
	kern     kernel
}

// minParallel is the work (m·n·k) below which one goroutine is faster.
const minParallel = 1 << 18

func (g *gemm) run() {
	nr := g.kern.nr
	workers := runtime.GOMAXPROCS(0)
	if g.m*g.n*g.k < minParallel {
		workers = 1
	}
	nPanels := (g.n + nr - 1) / nr
	bp := getBuf(kc * nPanels * nr)
	defer putBuf(bp)
	for p0 := 0; p0 < g.k; p0 += kc {
		pk := min(kc, g.k-p0)
		g.packB(*bp, p0, pk)
		blocks := (g.m + mc - 1) / mc
		if workers == 1 || blocks >= 2*workers || nPanels < 2*workers {
			parallel(min(workers, blocks), blocks, func(i int) { g.block(*bp, i*mc, min(mc, g.m-i*mc), 0, nPanels, p0, pk) })
			continue
		}
		// Few rows (a small batch): split the columns instead.
		for i := 0; i < blocks; i++ {
			r0, rn := i*mc, min(mc, g.m-i*mc)
			per := (nPanels + workers - 1) / workers
			parallel(workers, workers, func(w int) {
				j0 := w * per
				g.block(*bp, r0, rn, j0, min(nPanels, j0+per), p0, pk)
			})
		}
	}
}

// block multiplies rows [r0, r0+rn) of op(A) (columns p0..p0+pk) by the
// packed B panels [j0, j1) and adds the product into C.
func (g *gemm) block(bp []float32, r0, rn, j0, j1, p0, pk int) {
	nr := g.kern.nr
	ap := getBuf(mc * kc)
	defer putBuf(ap)
	g.packA(*ap, r0, rn, p0, pk)
	var tile [mr * 32]float32
	for j := j0; j < j1; j++ {
		col := j * nr
		bj := bp[j*kc*nr : j*kc*nr+pk*nr]
		w := min(nr, g.n-col)
		for i := 0; i < rn; i += mr {
			ai := (*ap)[i*kc : i*kc+pk*mr]
			h := min(mr, rn-i)
			row := r0 + i
			if h == mr && w == nr {
				g.kern.fn(pk, ai, bj, g.c[row*g.ldc+col:], g.ldc)
				continue
			}
			t := tile[:mr*nr]
			clear(t)
			g.kern.fn(pk, ai, bj, t, nr)
			for y := 0; y < h; y++ {
				dst := g.c[(row+y)*g.ldc+col : (row+y)*g.ldc+col+w]
				for x := range dst {
					dst[x] += t[y*nr+x]
				}
			}
		}
	}
}

// packA copies α·op(A)[r0:r0+rn, p0:p0+pk] into panels of mr rows: panel
// q holds, for each p, the mr values A[r0+q·mr+i, p0+p] (zero past the
// last row).
func (g *gemm) packA(dst []float32, r0, rn, p0, pk int) {
	for q := 0; q < rn; q += mr {
		panel := dst[q*kc : q*kc+pk*mr]
		h := min(mr, rn-q)
		for i := 0; i < mr; i++ {
			if i >= h {
				for p := 0; p < pk; p++ {
					panel[p*mr+i] = 0
				}
				continue
			}
			r := r0 + q + i
			if g.aT { // op(A)[r, p] = A[p, r]
				for p := 0; p < pk; p++ {
					panel[p*mr+i] = g.alpha * g.a[(p0+p)*g.lda+r]
				}
				continue
			}
			src := g.a[r*g.lda+p0 : r*g.lda+p0+pk]
			for p, v := range src {
				panel[p*mr+i] = g.alpha * v
			}
		}
	}
}

// packB copies op(B)[p0:p0+pk, :] into panels of nr columns: panel j holds,
// for each p, the nr values B[p0+p, j·nr..] (zero past the last column).
func (g *gemm) packB(dst []float32, p0, pk int) {
	nr := g.kern.nr
	for j := 0; j*nr < g.n; j++ {
		panel := dst[j*kc*nr : j*kc*nr+pk*nr]
		col := j * nr
		w := min(nr, g.n-col)
		for p := 0; p < pk; p++ {
			out := panel[p*nr : p*nr+nr]
			if g.bT { // op(B)[p, c] = B[c, p]
				for x := 0; x < w; x++ {
					out[x] = g.b[(col+x)*g.ldb+p0+p]
				}
			} else {
				copy(out, g.b[(p0+p)*g.ldb+col:(p0+p)*g.ldb+col+w])
			}
			clear(out[w:])
		}
	}
}

// parallel runs f(0..n−1) on up to workers goroutines.
func parallel(workers, n int, f func(int)) {
	if workers <= 1 || n <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	wg.Wait()
}

var pool sync.Pool

func getBuf(n int) *[]float32 {
	if p, ok := pool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func putBuf(p *[]float32) { pool.Put(p) }

func checkArgs(aT, bT bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	switch {
	case m < 0 || n < 0 || k < 0:
		panic("gemm: negative dimension")
	case aT && lda < max(1, m), !aT && lda < max(1, k):
		panic("gemm: bad lda")
	case bT && ldb < max(1, k), !bT && ldb < max(1, n):
		panic("gemm: bad ldb")
	case ldc < max(1, n):
		panic("gemm: bad ldc")
	}
	if m == 0 || n == 0 {
		return
	}
	if (aT && len(a) < (k-1)*lda+m) || (!aT && k > 0 && len(a) < (m-1)*lda+k) {
		panic("gemm: short A")
	}
	if (bT && len(b) < (n-1)*ldb+k) || (!bT && k > 0 && len(b) < (k-1)*ldb+n) {
		panic("gemm: short B")
	}
	if len(c) < (m-1)*ldc+n {
		panic("gemm: short C")
	}
}
