package paradigm_test

import (
	"fmt"

	"github.com/microstim/microstim/experiments/paradigm"
)

// d′ = z(0.84) − z(0.16) ≈ 2 × 0.994; perfect choices are clipped at
// 1 − 1/(2n), so 100 of 100 gives z(0.995) − z(0.005).
func ExampleO2DPrime() {
	fmt.Printf("%.3f\n", paradigm.O2DPrime(84, 100, 16, 100))
	fmt.Printf("%.3f\n", paradigm.O2DPrime(100, 100, 0, 100))
	// Output:
	// 1.989
	// 5.152
}

// Three categories make three binary tasks.
func ExampleAllPairs() {
	fmt.Println(paradigm.AllPairs(3))
	// Output: [{0 1} {0 2} {1 2}]
}
