package primate_test

import (
	"fmt"

	"github.com/microstim/microstim/experiments/primate"
)

// Afraz et al. (2006) stimulated 86 sites and report 31 with a face d′
// above 1; the digitised scatter has 26 such points (data/README.md).
func ExampleAfraz2006() {
	sites, err := primate.Afraz2006()
	if err != nil {
		fmt.Println(err)
		return
	}
	selective := 0
	for _, s := range sites {
		if s.DPrime > 1 {
			selective++
		}
	}
	fmt.Printf("%d sites, %d with face d′ > 1\n", len(sites), selective)
	// Output: 86 sites, 26 with face d′ > 1
}

// Rajalingham & DiCarlo (2019), Fig. 3B: muscimol lowers d′ more for
// objects in the contralateral hemifield.
func ExampleRajalingham2019() {
	d, err := primate.Rajalingham2019()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Δd′ global %.2f, contra %.2f, ipsi %.2f\n", d.Global[0], d.Contra[0], d.Ipsi[0])
	// Output: Δd′ global -0.20, contra -0.26, ipsi -0.17
}
