package sim_test

import (
	"fmt"

	"github.com/microstim/microstim/sim"
)

// The Kumaravelu et al. (2022) space constant at Afraz's and Moeller's
// currents.
func ExampleExpKumaravelu2022() {
	law := sim.ExpKumaravelu2022{}
	fmt.Printf("λ(50 µA) = %.3f mm, λ(300 µA) = %.2f mm\n", law.Lambda_mm(50), law.Lambda_mm(300))
	// Output: λ(50 µA) = 0.226 mm, λ(300 µA) = 1.49 mm
}
