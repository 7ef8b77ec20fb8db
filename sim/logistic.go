package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// Logistic is a multinomial logistic-regression decoder on standardised
// features, fitted by maximum likelihood with an L2 penalty in scikit-learn's
// convention: minimise ½‖W‖² + C·Σ_n −log p(y_n | x_n). Brain-Score's
// behavioural readout uses C = 1e-3 (brainscore_vision ... LogisticRegression);
// the intercepts are not penalised.
type Logistic struct {
	C       float64     // inverse regularisation strength
	Classes int         // number of classes
	Mean    []float64   // feature means of the training set
	Scale   []float64   // feature standard deviations (1 where zero)
	W       [][]float64 // [class][feature]
	B       []float64   // [class]
}

// FitLogistic fits a decoder to x ([sample][feature]) and labels y in
// [0, classes). It stops when the gradient norm is below 1e-6·(1+|f|) or
// after 2,000 L-BFGS iterations.
func FitLogistic(x [][]float64, y []int, classes int, C float64) (*Logistic, error) {
	if C <= 0 || math.IsNaN(C) {
		return nil, fmt.Errorf("sim: logistic C = %g, want > 0", C)
	}
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("sim: logistic: %d samples and %d labels", len(x), len(y))
	}
	if classes < 2 {
		return nil, fmt.Errorf("sim: logistic: %d classes, want ≥ 2", classes)
	}
	d := len(x[0])
	for i, l := range y {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("sim: logistic: label %d of sample %d outside [0, %d)", l, i, classes)
		}
		if len(x[i]) != d {
			return nil, fmt.Errorf("sim: logistic: sample %d has %d features, want %d", i, len(x[i]), d)
		}
	}
	m := &Logistic{C: C, Classes: classes, Mean: make([]float64, d), Scale: make([]float64, d)}
	n := float64(len(x))
	for _, r := range x {
		for j, v := range r {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= n
	}
	for _, r := range x {
		for j, v := range r {
			m.Scale[j] += (v - m.Mean[j]) * (v - m.Mean[j])
		}
	}
	for j := range m.Scale {
		m.Scale[j] = math.Sqrt(m.Scale[j] / n)
		if m.Scale[j] == 0 {
			m.Scale[j] = 1
		}
	}
	z := make([][]float64, len(x))
	for i, r := range x {
		z[i] = m.standardise(r)
	}
	k := classes
	np := k * (d + 1)
	// The likelihood is summed over a fixed number of sample chunks, each on
	// its own goroutine, and the chunks are added in order: the result does
	// not depend on the number of cores.
	const chunks = 8
	bounds := make([]int, chunks+1)
	for c := range bounds {
		bounds[c] = c * len(z) / chunks
	}
	partF := make([]float64, chunks)
	partG := make([][]float64, chunks)
	for c := range partG {
		partG[c] = make([]float64, np)
	}
	fg := func(grad, p []float64) float64 {
		var wg sync.WaitGroup
		for ch := 0; ch < chunks; ch++ {
			wg.Add(1)
			go func(ch int) {
				defer wg.Done()
				g := partG[ch]
				if grad != nil {
					clear(g)
				}
				var f float64
				lg, gc := [2][]float64{make([]float64, k), make([]float64, k)}, [2][]float64{make([]float64, k), make([]float64, k)}
				// Samples go in pairs: each sum runs over the same terms in
				// the same order as one sample at a time (so the fit is
				// unchanged), but the two samples' sums proceed side by side.
				for i := bounds[ch]; i < bounds[ch+1]; i += 2 {
					pair := i+1 < bounds[ch+1] && k == 2
					if pair {
						binaryLogitsPair(lg[0], lg[1], p, z[i], z[i+1])
					} else {
						classLogits(lg[0], p, z[i])
					}
					for s := 0; s < 2 && (s == 0 || pair); s++ {
						lse := logSumExp(lg[s])
						f += C * (lse - lg[s][y[i+s]])
						for c := range gc[s] {
							gc[s][c] = math.Exp(lg[s][c] - lse)
							if c == y[i+s] {
								gc[s][c]--
							}
							gc[s][c] *= C
						}
					}
					if grad != nil {
						if pair {
							addBinaryGradientPair(g, gc[0], gc[1], z[i], z[i+1])
						} else {
							addGradient(g, gc[0], z[i])
						}
					}
					if !pair {
						i-- // one sample done: the next starts at i+1
					}
				}
				partF[ch] = f
			}(ch)
		}
		wg.Wait()
		var f float64
		for c := 0; c < k; c++ {
			for _, v := range p[c*(d+1) : c*(d+1)+d] {
				f += 0.5 * v * v
			}
		}
		for ch := 0; ch < chunks; ch++ {
			f += partF[ch]
		}
		if grad != nil {
			for c := 0; c < k; c++ {
				copy(grad[c*(d+1):c*(d+1)+d], p[c*(d+1):c*(d+1)+d])
				grad[c*(d+1)+d] = 0
			}
			for ch := 0; ch < chunks; ch++ {
				for i, v := range partG[ch] {
					grad[i] += v
				}
			}
		}
		return f
	}
	prob := optimize.Problem{
		Func: func(p []float64) float64 { return fg(nil, p) },
		Grad: func(grad, p []float64) { fg(grad, p) },
	}
	res, err := optimize.Minimize(prob, make([]float64, np), &optimize.Settings{
		GradientThreshold: 1e-6, MajorIterations: 2000,
	}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("sim: logistic fit: %w", err)
	}
	m.W = make([][]float64, k)
	m.B = make([]float64, k)
	for c := 0; c < k; c++ {
		m.W[c] = append([]float64(nil), res.X[c*(d+1):c*(d+1)+d]...)
		m.B[c] = res.X[c*(d+1)+d]
	}
	return m, nil
}

// classLogits sets logits[c] = b_c + Σ_j w_c[j]·z[j] for the parameters p
// (per class: d weights, then the intercept), each sum in the order of j;
// two classes share one pass over z.
func classLogits(logits, p, z []float64) {
	d := len(z)
	if len(logits) == 2 {
		w0, w1 := p[:d:d], p[d+1:2*d+1:2*d+1]
		s0, s1 := p[d], p[2*d+1]
		for j, v := range z {
			s0 += w0[j] * v
			s1 += w1[j] * v
		}
		logits[0], logits[1] = s0, s1
		return
	}
	for c := range logits {
		w := p[c*(d+1) : c*(d+1)+d : c*(d+1)+d]
		s := p[c*(d+1)+d]
		for j, v := range z {
			s += w[j] * v
		}
		logits[c] = s
	}
}

// binaryLogitsPair is classLogits for two samples za and zb of a
// two-class model, in one pass.
func binaryLogitsPair(la, lb, p, za, zb []float64) {
	d := len(za)
	w0, w1, zb := p[:d:d], p[d+1:2*d+1:2*d+1], zb[:d:d]
	a0, a1, b0, b1 := p[d], p[2*d+1], p[d], p[2*d+1]
	for j, v := range za {
		u := zb[j]
		a0 += w0[j] * v
		a1 += w1[j] * v
		b0 += w0[j] * u
		b1 += w1[j] * u
	}
	la[0], la[1], lb[0], lb[1] = a0, a1, b0, b1
}

// addBinaryGradientPair is addGradient for sample a and then sample b of a
// two-class model: every element receives a's term, then b's.
func addBinaryGradientPair(g, ga, gb, za, zb []float64) {
	d := len(za)
	g0, g1, zb := g[:d:d], g[d+1:2*d+1:2*d+1], zb[:d:d]
	a0, a1, b0, b1 := ga[0], ga[1], gb[0], gb[1]
	for j, v := range za {
		u := zb[j]
		g0[j] = g0[j] + a0*v + b0*u
		g1[j] = g1[j] + a1*v + b1*u
	}
	g[d] = g[d] + a0 + b0
	g[2*d+1] = g[2*d+1] + a1 + b1
}

// addGradient adds gc_c·z to class c's weight gradient and gc_c to its
// intercept's, element by element as the per-class loops would.
func addGradient(g, gc, z []float64) {
	d := len(z)
	if len(gc) == 2 {
		g0, g1 := g[:d:d], g[d+1:2*d+1:2*d+1]
		a, b := gc[0], gc[1]
		for j, v := range z {
			g0[j] += a * v
			g1[j] += b * v
		}
		g[d] += a
		g[2*d+1] += b
		return
	}
	for c, a := range gc {
		gw := g[c*(d+1) : c*(d+1)+d : c*(d+1)+d]
		for j, v := range z {
			gw[j] += a * v
		}
		g[c*(d+1)+d] += a
	}
}

func logSumExp(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}

func (m *Logistic) standardise(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (v - m.Mean[j]) / m.Scale[j]
	}
	return z
}

// Logits returns the class scores of x.
func (m *Logistic) Logits(x []float64) []float64 {
	z := m.standardise(x)
	out := make([]float64, m.Classes)
	for c := range out {
		s := m.B[c]
		for j, v := range z {
			s += m.W[c][j] * v
		}
		out[c] = s
	}
	return out
}

// Probabilities returns the softmax of Logits.
func (m *Logistic) Probabilities(x []float64) []float64 {
	l := m.Logits(x)
	lse := logSumExp(l)
	for i := range l {
		l[i] = math.Exp(l[i] - lse)
	}
	return l
}

// Predict returns the most probable class of x.
func (m *Logistic) Predict(x []float64) int {
	l := m.Logits(x)
	best := 0
	for c := range l {
		if l[c] > l[best] {
			best = c
		}
	}
	return best
}

// CrossValidate returns the accuracy of a logistic decoder over k stratified
// folds; fold membership is a seeded shuffle within each class.
func CrossValidate(x [][]float64, y []int, classes int, C float64, k int, seed uint64) (float64, error) {
	pred, err := CrossValidatePredict(x, y, classes, C, k, seed)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i := range y {
		if pred[i] == y[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(y)), nil
}

// CrossValidatePredict returns each sample's prediction by the decoder fitted
// on the other folds of a k-fold stratified split.
func CrossValidatePredict(x [][]float64, y []int, classes int, C float64, k int, seed uint64) ([]int, error) {
	pred := make([]int, len(y))
	err := crossValidate(x, y, classes, C, k, seed, func(i int, m *Logistic) { pred[i] = m.Predict(x[i]) })
	return pred, err
}

// CrossValidateExpected is the k-fold cross-validated expected accuracy:
// the mean probability a held-out sample's decoder gives its true class,
// the % correct of choices drawn from the decoder's probabilities.
func CrossValidateExpected(x [][]float64, y []int, classes int, C float64, k int, seed uint64) (float64, error) {
	var sum float64
	err := crossValidate(x, y, classes, C, k, seed, func(i int, m *Logistic) { sum += m.Probabilities(x[i])[y[i]] })
	return sum / float64(len(y)), err
}

// crossValidate fits a decoder per fold (stratified, shuffled with seed)
// and calls held for each held-out sample with its fold's decoder.
func crossValidate(x [][]float64, y []int, classes int, C float64, k int, seed uint64, held func(i int, m *Logistic)) error {
	if k < 2 {
		return fmt.Errorf("sim: cross-validation with %d folds, want ≥ 2", k)
	}
	fold := make([]int, len(y))
	r := rand.New(rand.NewPCG(seed, 0x6376))
	for c := 0; c < classes; c++ {
		var idx []int
		for i, l := range y {
			if l == c {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for j, i := range idx {
			fold[i] = j % k
		}
	}
	for f := 0; f < k; f++ {
		var xt [][]float64
		var yt []int
		for i := range x {
			if fold[i] != f {
				xt = append(xt, x[i])
				yt = append(yt, y[i])
			}
		}
		m, err := FitLogistic(xt, yt, classes, C)
		if err != nil {
			return err
		}
		for i := range x {
			if fold[i] == f {
				held(i, m)
			}
		}
	}
	return nil
}
