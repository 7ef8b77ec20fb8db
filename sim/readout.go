package sim

import "math"

// Readout is a decoder with its logits on an engine's unperturbed IT
// activity, so perturbed readouts need only the units a perturbation
// changes.
type Readout struct {
	Dec  *Logistic
	base [][]float64 // [image][class] logits of the unperturbed IT
}

// NewReadout computes dec's logits on the engine's unperturbed IT.
func (e *Engine) NewReadout(dec *Logistic) *Readout {
	r := &Readout{Dec: dec, base: make([][]float64, len(e.IT))}
	x := make([]float64, len(e.IT[0]))
	for i, row := range e.IT {
		for k, v := range row {
			x[k] = float64(v)
		}
		r.base[i] = dec.Logits(x)
	}
	return r
}

// Probabilities returns the unperturbed class probabilities per image.
func (r *Readout) Probabilities() [][]float64 {
	out := make([][]float64, len(r.base))
	for i, l := range r.base {
		out[i] = softmax(append([]float64(nil), l...))
	}
	return out
}

// PerturbedProbabilities returns each readout's class probabilities per
// image ([readout][image][class]) under p at sites. For a perturbation of
// IT only the changed units enter: logit_c += Σ_k W_ck·(x'_k − x_k)/s_k,
// with x'_k the perturbed activity as Effect.Apply computes it, which is
// the full readout of the perturbed activity up to rounding. Other stages
// propagate to IT and read it out in full.
func (e *Engine) PerturbedProbabilities(p Perturbation, sites []Site, rs []*Readout) ([][][]float64, error) {
	if e.Stage != 3 {
		it, err := e.Perturb(p, sites)
		if err != nil {
			return nil, err
		}
		out := make([][][]float64, len(rs))
		x := make([]float64, len(it[0]))
		for k, r := range rs {
			out[k] = make([][]float64, len(it))
			for i, row := range it {
				for j, v := range row {
					x[j] = float64(v)
				}
				out[k][i] = r.Dec.Probabilities(x)
			}
		}
		return out, nil
	}
	eff, err := p.Effect(e.Layout(), sites, e.Ref)
	if err != nil {
		return nil, err
	}
	changed := eff.Changed()
	cols, nz := e.columns(), e.nonzeros()
	n := len(e.IT)
	out := make([][][]float64, len(rs))
	delta := make([][]float64, 0, 4)
	for k, r := range rs {
		dec := r.Dec
		delta = delta[:0]
		for c := 0; c < dec.Classes; c++ {
			delta = append(delta, make([]float64, n))
		}
		w := make([]float64, dec.Classes)
		for _, u := range changed {
			for c := range w {
				w[c] = dec.W[c][u] / dec.Scale[u]
			}
			g, a := float32(1), float32(0)
			if eff.Gain != nil {
				g = eff.Gain[u]
			}
			if eff.Add != nil {
				a = eff.Add[u]
			}
			accumulate(delta, w, cols[u], nz[u], g, a)
		}
		out[k] = make([][]float64, n)
		for i := range out[k] {
			l := append([]float64(nil), r.base[i]...)
			for c := range l {
				l[c] += delta[c][i]
			}
			out[k][i] = softmax(l)
		}
	}
	return out, nil
}

// accumulate adds w[c]·(x′ − x) to delta[c][i] for one unit's activity
// x = col[i], where x′ = x·g + a in float32 as Effect.Apply rounds it. A
// gain alone leaves zero activity at zero, so only the unit's non-zero
// activities (nz) are visited: the same sums, term for term.
func accumulate(delta [][]float64, w []float64, col []float32, nz sparseColumn, g, a float32) {
	if a == 0 { // gain only (microstimulation, light, muscimol)
		if len(delta) == 2 { // the binary readouts of most tasks
			d0, d1 := delta[0], delta[1]
			w0, w1 := w[0], w[1]
			for j, i := range nz.Index {
				v := nz.Value[j]
				d := float64(float32(v*g)) - float64(v)
				d0[i] += w0 * d
				d1[i] += w1 * d
			}
			return
		}
		for j, i := range nz.Index {
			v := nz.Value[j]
			d := float64(float32(v*g)) - float64(v)
			for c, dc := range delta {
				dc[i] += w[c] * d
			}
		}
		return
	}
	for i, v := range col {
		d := float64(float32(float32(v*g)+a)) - float64(v)
		for c, dc := range delta {
			dc[i] += w[c] * d
		}
	}
}

// sparseColumn is one unit's non-zero activities: image indices and
// values.
type sparseColumn struct {
	Index []int32
	Value []float32
}

// nonzeros returns every unit's non-zero activities (ReLU leaves many
// at zero), made once per engine.
func (e *Engine) nonzeros() []sparseColumn {
	e.nzOnce.Do(func() {
		cols := e.columns()
		e.nz = make([]sparseColumn, len(cols))
		for u, col := range cols {
			var c sparseColumn
			for i, v := range col {
				if v != 0 {
					c.Index, c.Value = append(c.Index, int32(i)), append(c.Value, v)
				}
			}
			e.nz[u] = c
		}
	})
	return e.nz
}

// columns returns the unperturbed IT activity by unit ([unit][image]),
// made once per engine.
func (e *Engine) columns() [][]float32 {
	e.colOnce.Do(func() {
		units := len(e.IT[0])
		flat := make([]float32, units*len(e.IT))
		e.cols = make([][]float32, units)
		for u := range e.cols {
			e.cols[u] = flat[u*len(e.IT) : (u+1)*len(e.IT)]
		}
		for i, row := range e.IT {
			for u, v := range row {
				e.cols[u][i] = v
			}
		}
	})
	return e.cols
}

// Changed lists the units whose activity the effect can change (gain ≠ 1
// or offset ≠ 0), ascending.
func (e Effect) Changed() []int {
	n := max(len(e.Gain), len(e.Add))
	var out []int
	for k := 0; k < n; k++ {
		if e.Gain != nil && e.Gain[k] != 1 || e.Add != nil && e.Add[k] != 0 {
			out = append(out, k)
		}
	}
	return out
}

// applyUnit is Apply for one unit's activity v.
func (e Effect) applyUnit(k int, v float32) float32 {
	if e.Gain != nil {
		v *= e.Gain[k]
	}
	if e.Add != nil {
		v += e.Add[k]
	}
	return v
}

// softmax turns logits into probabilities in place, as Probabilities does.
func softmax(l []float64) []float64 {
	lse := logSumExp(l)
	for i := range l {
		l[i] = math.Exp(l[i] - lse)
	}
	return l
}
