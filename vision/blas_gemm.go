//go:build !netlib

package vision

import (
	"github.com/microstim/microstim/gemm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// fastBLAS is gonum's pure-Go BLAS with the matrix product replaced by
// package gemm's packed SIMD kernels; gorgonia's convolutions (im2col and a
// product) and matrix products, forward and backward, all go through it.
type fastBLAS struct{ gonum.Implementation }

// Sgemm is gemm.Sgemm.
func (fastBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() {
	G.Use(fastBLAS{})
	BLAS = "microstim-gemm-" + gemm.Kernel()
}
