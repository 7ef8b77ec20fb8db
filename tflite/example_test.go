package tflite_test

import (
	"fmt"

	"github.com/microstim/microstim/tflite"
)

// A 2×2 image whose columns are 0 and 1, resized to 4×4 with half-pixel
// centres: output column x samples input column (x + 0.5)/2 − 0.5, clamped
// to the image, so a row reads 0, 0.25, 0.75, 1.
func ExampleResizeBilinear() {
	pix := []float32{
		0, 1,
		0, 1,
	}
	out := tflite.ResizeBilinear(pix, 2, 2, 1, 4)
	fmt.Println(out[:4])
	// Output: [0 0.25 0.75 1]
}
