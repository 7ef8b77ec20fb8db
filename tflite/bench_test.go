package tflite

import "testing"

// BenchmarkMobileNet measures one 224-px teacher embedding.
func BenchmarkMobileNet(b *testing.B) {
	c := loadTeacher(b)
	pix := make([]float32, 128*128)
	for i := range pix {
		pix[i] = float32(i%97) / 97
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.EmbedGray(pix, 128, 128); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMobileNetParallel embeds 16 images on 2 goroutines (reported
// per image).
func BenchmarkMobileNetParallel(b *testing.B) {
	c := loadTeacher(b)
	pix := make([]float32, 128*128)
	for i := range pix {
		pix[i] = float32(i%97) / 97
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.EmbedGrayAll(16, 128, 128, 2, func(int) []float32 { return pix }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(16*b.N), "ms/image")
}
