// Package gemm is a single-precision matrix product for the network's
// convolutions and linear layers: C = α·op(A)·op(B) + β·C, row-major, with
// the signature and conventions of gonum's blas.Float32 Sgemm.
//
// It follows the Goto/BLIS scheme: B is packed into panels NR columns wide
// and A into panels MR rows high, in blocks that fit the caches (KC × NC of
// B, MC × KC of A), and a register-blocked micro-kernel multiplies one A
// panel by one B panel into an MR × NR tile of C. The kernel is chosen at
// run time (golang.org/x/sys/cpu): AVX-512 (6 × 32) or AVX2 with FMA
// (6 × 16) in Go assembly on amd64, and a pure-Go kernel (6 × 16)
// elsewhere. The environment variable MICROSTIM_GEMM=generic (or avx2)
// forces a kernel; the build tag purego leaves the assembly out.
//
// Determinism: every element of C is accumulated in the same order (over K
// in blocks of KC, within a block from first to last) whatever the number
// of goroutines, which only split the rows and columns of C among them. The
// kernels differ in rounding (fused multiply-add or not), so results are
// bit-identical for a given kernel, and Kernel names the one in use.
package gemm
