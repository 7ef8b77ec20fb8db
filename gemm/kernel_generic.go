package gemm

// genericKernel is the pure-Go 6 × 16 micro-kernel: it sums a[p, i]·b[p, j]
// in the order of p and adds the sums to the tile (with store, writes them).
func genericKernel(k int, a, b, c []float32, ldc int, store bool) {
	var acc [mr][16]float32
	for p := 0; p < k; p++ {
		ap := a[p*mr : p*mr+mr : p*mr+mr]
		bp := (*[16]float32)(b[p*16 : p*16+16])
		for i, av := range ap {
			row := &acc[i]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := range acc {
		row := c[i*ldc : i*ldc+16]
		if store {
			copy(row, acc[i][:])
			continue
		}
		for j, v := range acc[i] {
			row[j] += v
		}
	}
}

var generic = kernel{name: "generic", nr: 16, fn: genericKernel}
