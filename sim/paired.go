package sim

import "math/rand/v2"

// PairedBinaryChoices simulates trials two-choice trials of each item
// without (pc[i][1] = P(choice 1)) and with (ps[i][1]) a perturbation, on
// common random numbers: trial t of item i draws one lapse and one choice
// variate from the generator seeded by (seed, i), and both conditions use
// them, so the control and perturbed trials of an item are paired and an
// item the perturbation leaves unchanged contributes no Δ. joint[i][2c+s]
// counts the trials whose control choice was c and perturbed choice s.
func PairedBinaryChoices(pc, ps [][]float64, trials int, lapse float64, seed uint64) [][4]int {
	out := make([][4]int, len(pc))
	for i := range pc {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		for range trials {
			uLapse, u := r.Float64(), r.Float64()
			c, s := u < pc[i][1], u < ps[i][1]
			if uLapse < lapse { // a lapse: a guess, the same in both
				c, s = u < 0.5, u < 0.5
			}
			out[i][2*b2i(c)+b2i(s)]++
		}
	}
	return out
}

// ResampleJoint redraws trials paired trials with replacement from joint
// counts (a multinomial draw with the observed cell frequencies).
func ResampleJoint(r *rand.Rand, joint [4]int, trials int) [4]int {
	var out [4]int
	if trials == 0 {
		return out
	}
	for range trials {
		k := r.IntN(trials)
		c := 0
		for k >= joint[c] {
			k -= joint[c]
			c++
		}
		out[c]++
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
