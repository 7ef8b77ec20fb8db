//go:build amd64 && !purego

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func kernelAVX2(k int, a, b, c unsafe.Pointer, ldc int, store bool)

//go:noescape
func kernelAVX512(k int, a, b, c unsafe.Pointer, ldc int, store bool)

func avx2(k int, a, b, c []float32, ldc int, store bool) {
	_ = a[k*mr-1]
	_ = b[k*16-1]
	_ = c[5*ldc+15]
	kernelAVX2(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldc, store)
}

func avx512(k int, a, b, c []float32, ldc int, store bool) {
	_ = a[k*mr-1]
	_ = b[k*32-1]
	_ = c[5*ldc+31]
	kernelAVX512(k, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), ldc, store)
}

func kernels() []kernel {
	var out []kernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		out = append(out, kernel{name: "avx512", nr: 32, fn: avx512})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		out = append(out, kernel{name: "avx2", nr: 16, fn: avx2})
	}
	return append(out, generic)
}
