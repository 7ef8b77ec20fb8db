package vision

import (
	"math/rand/v2"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/microstim/microstim/topography"
)

// stepsPerEpoch is the number of full batches per epoch.
func (tr *Trainer) stepsPerEpoch() int { return len(tr.epochItems()) / tr.Cfg.Batch }

// epochItems lists the training-sample indices of one epoch, each
// repeated as often as Cfg.Repeat asks for its class.
func (tr *Trainer) epochItems() []int {
	var out []int
	for i, s := range tr.Data.Train {
		n := 1
		if r, ok := tr.Cfg.Repeat[tr.Data.Classes[s.Class]]; ok && r > 1 {
			n = r
		}
		for k := 0; k < n; k++ {
			out = append(out, i)
		}
	}
	return out
}

// batch fills the inputs of step (epoch e, step s) deterministically.
func (tr *Trainer) batch(t *trainGraph, e, s int, perm []int) ([]int, error) {
	a := tr.Model.Arch
	bs, in := tr.Cfg.Batch, a.Input
	r := rand.New(rand.NewPCG(tr.Cfg.Seed, uint64(e)<<32|uint64(s)))
	from := tr.frozenStage()
	x := make([]float32, bs*tensorSize(tr.Model.inputShape(from)))
	y := make([]float32, bs*len(a.Classes))
	gy := make([]float32, bs*2)
	fy := make([]float32, bs*2)
	labels := make([]int, bs)
	views := make([]int, bs)
	for b := 0; b < bs; b++ {
		idx := perm[s*bs+b]
		smp := tr.Data.Train[idx]
		vr := r
		if tr.Cfg.Views > 0 {
			views[b] = r.IntN(tr.Cfg.Views)
			vr = tr.viewRand(idx, views[b])
		}
		if from < 0 {
			for i, v := range tr.view(smp.Img, vr).Pix {
				x[b*in*in+i] = (v - PixelMean) / PixelStd
			}
		}
		y[b*len(a.Classes)+smp.Class] = 1
		labels[b] = smp.Class
		if smp.Gender >= 0 {
			gy[b*2+smp.Gender] = 1
		}
		if slices.Contains(tr.Cfg.FaceClasses, a.Classes[smp.Class]) {
			fy[b*2+1] = 1
		} else {
			fy[b*2] = 1
		}
	}
	if t.ty != nil {
		if err := tr.setTeacherTargets(t, perm[s*bs:(s+1)*bs], views); err != nil {
			return nil, err
		}
	}
	if from >= 0 {
		tr.frozenInput(x, perm[s*bs:(s+1)*bs], views)
	}
	if err := G.Let(t.x, tensor.New(tensor.WithShape(t.x.Shape()...), tensor.WithBacking(x))); err != nil {
		return nil, err
	}
	if err := G.Let(t.y, tensor.New(tensor.WithShape(bs, len(a.Classes)), tensor.WithBacking(y))); err != nil {
		return nil, err
	}
	if t.gy != nil {
		if err := G.Let(t.gy, tensor.New(tensor.WithShape(bs, 2), tensor.WithBacking(gy))); err != nil {
			return nil, err
		}
	}
	if t.fy != nil {
		if err := G.Let(t.fy, tensor.New(tensor.WithShape(bs, 2), tensor.WithBacking(fy))); err != nil {
			return nil, err
		}
	}
	for st := 0; st < 4; st++ {
		for h := 0; h < 2; h++ {
			if sn := t.sl[st][h]; sn != nil {
				l := tr.Model.Layouts[st]
				units := l.RandomNeighbourhood(r, topography.Hemisphere(h), sn.n)
				if err := sn.set(l, units); err != nil {
					return nil, err
				}
			}
		}
	}
	return labels, nil
}

// viewRand is the generator of view v of training sample idx.
func (tr *Trainer) viewRand(idx, v int) *rand.Rand {
	return rand.New(rand.NewPCG(tr.Cfg.Seed^0x76696577, uint64(idx)<<16|uint64(v)))
}

// view draws one augmented training view of img (TrainSide square) with
// r: a random Input-side crop, flipped horizontally with probability ½,
// and with probability HemifieldFrac shrunk to half scale into the left or
// right half of a grey frame.
func (tr *Trainer) view(img *Gray, r *rand.Rand) *Gray {
	in, side := tr.Model.Arch.Input, tr.Cfg.TrainSide
	ox, oy := r.IntN(side-in+1), r.IntN(side-in+1)
	flip := r.IntN(2) == 1
	out := &Gray{W: in, H: in, Pix: make([]float32, in*in)}
	for yy := 0; yy < in; yy++ {
		for xx := 0; xx < in; xx++ {
			sx := ox + xx
			if flip {
				sx = ox + in - 1 - xx
			}
			out.Pix[yy*in+xx] = img.Pix[(oy+yy)*side+sx]
		}
	}
	if tr.Cfg.HemifieldFrac > 0 && r.Float64() < tr.Cfg.HemifieldFrac {
		out = out.InHemifield(r.IntN(2) == 1, 0.5, HemifieldBackground)
	}
	return out
}

// HemifieldBackground is the grey level around an image shown in one
// hemifield (mid-grey, as in the experiments).
const HemifieldBackground = 0.5

// permutation returns epoch e's sample order.
func (tr *Trainer) permutation(e int) []int {
	r := rand.New(rand.NewPCG(tr.Cfg.Seed, 0x7065726d<<8|uint64(e)))
	items := tr.epochItems()
	perm := r.Perm(len(items))
	for i, p := range perm {
		perm[i] = items[p]
	}
	return perm
}
