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
// apart (with store, writes it over c).
type kernel struct {
	name string
	nr   int
	fn   func(k int, a, b, c []float32, ldc int, store bool)
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
	// With β = 0 the first block of the product is written over C rather
	// than added to a cleared C (the same numbers: 0 + x = x).
	store := beta == 0 && alpha != 0 && k > 0
	if beta != 1 && !store {
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
	g := &gemm{m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, aT: aT, b: b, ldb: ldb, bT: bT, c: c, ldc: ldc, kern: active, store: store}
	g.run()
}

type gemm struct {
	m, n, k  int
	alpha    float32
	a, b, c  []float32
	lda, ldb int
	ldc      int
	aT, bT   bool
	store    bool // C holds no value yet: the first block writes it
	kern     kernel
}

// minParallel is the work (m·n·k) below which one goroutine is faster.
const minParallel = 1 << 18

// ncMax is the widest block of C columns one task packs B for (KC × ncMax
// floats, 1 MiB, stay in L2).
const ncMax = 1024

// Products with a small C and a long inner dimension (the kernel gradients
// of a convolution over a batch) are split into k-slabs of at least
// slabMin, summed in slab order. The split depends on the shape only, so
// results do not depend on the number of cores.
const (
	slabMin   = 16384
	maxSlabs  = 16
	smallCMax = 1 << 20
)

func (g *gemm) run() {
	workers := runtime.GOMAXPROCS(0)
	if g.m*g.n*g.k < minParallel {
		workers = 1
	}
	if slabs := min(maxSlabs, g.k/slabMin); slabs > 1 && g.m*g.n <= smallCMax {
		g.runSlabs(slabs, workers)
		return
	}
	g.runTiles(workers, 0, g.k, g.c, g.ldc, g.store)
}

// runTiles splits C into tiles of up to mc rows and nc columns, each
// computed by one task over k in [k0, k1), in order.
func (g *gemm) runTiles(workers, k0, k1 int, c []float32, ldc int, store bool) {
	nr := g.kern.nr
	mBlocks := (g.m + mc - 1) / mc
	nc := min(ncMax, (g.n+nr-1)/nr*nr)
	for mBlocks*((g.n+nc-1)/nc) < 2*workers && nc > nr {
		nc = max(nr, (nc/2+nr-1)/nr*nr)
	}
	nBlocks := (g.n + nc - 1) / nc
	parallel(workers, mBlocks*nBlocks, func(t int) {
		r0, c0 := t/nBlocks*mc, t%nBlocks*nc
		g.tile(r0, min(mc, g.m-r0), c0, min(nc, g.n-c0), k0, k1, c, ldc, store)
	})
}

// runSlabs computes each k-slab's product into its own buffer, in
// parallel, then adds the slabs to C in order.
func (g *gemm) runSlabs(slabs, workers int) {
	size := (g.k + slabs - 1) / slabs
	parts := make([]*[]float32, slabs)
	parallel(workers, slabs, func(s int) {
		p := getBuf(g.m * g.n)
		g.runTiles(1, s*size, min(g.k, (s+1)*size), *p, g.n, true)
		parts[s] = p
	})
	for s, p := range parts {
		for i := 0; i < g.m; i++ {
			row, src := g.c[i*g.ldc:i*g.ldc+g.n], (*p)[i*g.n:(i+1)*g.n]
			if s == 0 && g.store {
				copy(row, src)
				continue
			}
			for j, v := range src {
				row[j] += v
			}
		}
		putBuf(p)
	}
}

// tile adds op(A)[r0:r0+rn, k0:k1]·op(B)[k0:k1, c0:c0+cn] into c, one
// kc-block of k after the other.
func (g *gemm) tile(r0, rn, c0, cn, k0, k1 int, c []float32, ldc int, store bool) {
	nr := g.kern.nr
	nPanels := (cn + nr - 1) / nr
	ap, bp := getBuf(mc*kc), getBuf(nPanels*panelStride(nr))
	defer putBuf(ap)
	defer putBuf(bp)
	var tmp [mr * 32]float32
	for p0 := k0; p0 < k1; p0 += kc {
		pk := min(kc, k1-p0)
		g.packB(*bp, p0, pk, c0, cn)
		g.packA(*ap, r0, rn, p0, pk)
		for j := 0; j < nPanels; j++ {
			col := c0 + j*nr
			bj := (*bp)[j*panelStride(nr) : j*panelStride(nr)+pk*nr]
			w := min(nr, c0+cn-col)
			for i := 0; i < rn; i += mr {
				ai := (*ap)[i*kc : i*kc+pk*mr]
				h := min(mr, rn-i)
				row := r0 + i
				first := store && p0 == k0
				if h == mr && w == nr {
					g.kern.fn(pk, ai, bj, c[row*ldc+col:], ldc, first)
					continue
				}
				t := tmp[:mr*nr]
				g.kern.fn(pk, ai, bj, t, nr, true)
				for y := 0; y < h; y++ {
					dst := c[(row+y)*ldc+col : (row+y)*ldc+col+w]
					if first {
						copy(dst, t[y*nr:y*nr+w])
						continue
					}
					for x := range dst {
						dst[x] += t[y*nr+x]
					}
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
		if h < mr {
			clear(panel)
		}
		for i := 0; i < h; i++ {
			r := r0 + q + i
			if g.aT { // op(A)[r, p] = A[p, r]
				for p := 0; p < pk; p++ {
					panel[p*mr+i] = g.alpha * g.a[(p0+p)*g.lda+r]
				}
				continue
			}
			for p, v := range g.a[r*g.lda+p0 : r*g.lda+p0+pk] {
				panel[p*mr+i] = g.alpha * v
			}
		}
	}
}

// panelStride is the distance between packed B panels: a panel and a
// cache line more, so that the panels do not all fall into one cache set.
func panelStride(nr int) int { return kc*nr + 16 }

// packB copies op(B)[p0:p0+pk, c0:c0+cn] into panels of nr columns: panel
// j holds, for each p, the nr values B[p0+p, c0+j·nr..] (zero past the last
// column). Rows of B are read whole, once.
func (g *gemm) packB(dst []float32, p0, pk, c0, cn int) {
	nr := g.kern.nr
	ps := panelStride(nr)
	nPanels := (cn + nr - 1) / nr
	if cn%nr != 0 {
		clear(dst[(nPanels-1)*ps : (nPanels-1)*ps+pk*nr])
	}
	if g.bT { // op(B)[p, c] = B[c, p]: read each B row once, contiguously
		for x := 0; x < cn; x++ {
			panel := dst[x/nr*ps+x%nr:]
			for p, v := range g.b[(c0+x)*g.ldb+p0 : (c0+x)*g.ldb+p0+pk] {
				panel[p*nr] = v
			}
		}
		return
	}
	for p := 0; p < pk; p++ {
		row := g.b[(p0+p)*g.ldb+c0 : (p0+p)*g.ldb+c0+cn]
		j := 0
		for ; j+nr <= cn; j += nr {
			copy(dst[j/nr*ps+p*nr:j/nr*ps+p*nr+nr], row[j:j+nr])
		}
		if j < cn {
			copy(dst[j/nr*ps+p*nr:], row[j:])
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
