//go:build netlib

package vision

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// With -tags netlib (and CGO_LDFLAGS=-lopenblas), gorgonia and gonum use
// OpenBLAS. Results differ from the pure-Go BLAS in the last bits, so the
// BLAS is recorded with every training run.
func init() {
	impl := netlib.Implementation{}
	G.Use(impl)
	blas64.Use(impl)
	blas32.Use(impl)
	BLAS = "openblas-netlib"
}
