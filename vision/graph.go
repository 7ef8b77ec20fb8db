package vision

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// nodes are a graph's bindings of the parameter tensors.
type nodes struct {
	w, b         [4]*G.Node
	headW, headB *G.Node
	gW, gB       *G.Node
	lW, lB       *G.Node // unshared IT layer, nil without Arch.LocalIT
	fW, fB       *G.Node // face-detection head, nil without Arch.FaceHead
	trunk        [4][]NamedTensor
	trunkNodes   [4]G.Nodes // trunk stages that train (Params.TrainTrunk)
}

// bind makes one node per parameter tensor in g. Every node gets a unique
// name: gorgonia merges unnamed nodes of the same shape.
func bind(g *G.ExprGraph, p *Params) *nodes {
	mk := func(t *tensor.Dense, name string) *G.Node { return G.NodeFromAny(g, t, G.WithName(name)) }
	n := &nodes{trunk: p.Trunk}
	for s := 0; s < 4; s++ {
		if p.Trunk[s] != nil {
			if p.TrainTrunk[s] {
				for _, t := range p.Trunk[s] {
					n.trunkNodes[s] = append(n.trunkNodes[s], mk(t.T, t.Name))
				}
			}
			continue
		}
		n.w[s] = mk(p.W[s], "w_"+StageNames[s])
		n.b[s] = mk(p.B[s], "b_"+StageNames[s])
	}
	if p.LocalW != nil {
		n.lW, n.lB = mk(p.LocalW, "w_IT_local"), mk(p.LocalB, "b_IT_local")
	}
	n.headW, n.headB = mk(p.HeadW, "w_head"), mk(p.HeadB, "b_head")
	if p.GenderW != nil {
		n.gW, n.gB = mk(p.GenderW, "w_gender"), mk(p.GenderB, "b_gender")
	}
	if p.FaceW != nil {
		n.fW, n.fB = mk(p.FaceW, "w_face"), mk(p.FaceB, "b_face")
	}
	return n
}

func (n *nodes) learnables() G.Nodes {
	var out G.Nodes
	for s := 0; s < 4; s++ {
		out = append(out, n.trunkNodes[s]...)
		if n.w[s] != nil {
			out = append(out, n.w[s], n.b[s])
		}
	}
	if n.lW != nil {
		out = append(out, n.lW, n.lB)
	}
	out = append(out, n.headW, n.headB)
	if n.gW != nil {
		out = append(out, n.gW, n.gB)
	}
	if n.fW != nil {
		out = append(out, n.fW, n.fB)
	}
	return out
}

// applyStage computes stage s from the previous stage's output h (one
// fused op: conv, bias, ReLU, max-pool; on a trunk model, the trunk's
// blocks, and IT's convolution without the pool), including the unshared
// IT layer (localOp) when the model has one.
func applyStage(h *G.Node, n *nodes, a Arch, s int) (*G.Node, error) {
	if n.trunk[s] != nil {
		firstStride := 0
		if s == 3 {
			firstStride = 1
		}
		op, err := newTrunkOp(s, n.trunk[s], firstStride)
		if err != nil {
			return nil, err
		}
		if n.trunkNodes[s] != nil {
			return applyTrainTrunkOp(h, n.trunkNodes[s], op)
		}
		return applyTrunkOp(h, op)
	}
	pool := a.Trunk == ""
	h, err := applyStageOp(h, n.w[s], n.b[s], StageNames[s], a.Kernels[s], s > 0 && pool, pool)
	if err != nil || s != 3 || n.lW == nil {
		return h, err
	}
	return applyLocalOp(h, n.lW, n.lB)
}

// trainedStages returns the stage outputs (B, C, H, W) after stage from
// for x, the output of stage from (−1: the image, (B, 1, S, S)); stage
// from's own entry is x.
func trainedStages(x *G.Node, n *nodes, a Arch, from int) (out [4]*G.Node, err error) {
	h := x
	if from >= 0 {
		out[from] = x
	}
	for s := from + 1; s < 4; s++ {
		if h, err = applyStage(h, n, a, s); err != nil {
			return out, fmt.Errorf("vision: stage %s: %w", StageNames[s], err)
		}
		out[s] = h
	}
	return out, nil
}

// flatten reshapes a (B, C, H, W) node to (B, C·H·W).
func flatten(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	return G.Reshape(x, tensor.Shape{s[0], s[1] * s[2] * s[3]})
}

// linear is x·W + b, one op (linearOp).
func linear(x, w, b *G.Node) (*G.Node, error) { return applyLinearOp(x, w, b) }

// xent is the mean over the batch of −Σ y·log softmax(logits); rows of y
// that are all zero contribute nothing.
func xent(logits, y *G.Node) (*G.Node, error) {
	ls, err := G.LogSoftMax(logits)
	if err != nil {
		return nil, err
	}
	p, err := G.HadamardProd(ls, y)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(p)
	if err != nil {
		return nil, err
	}
	bs := float32(logits.Shape()[0])
	return G.Div(G.Must(G.Neg(s)), G.NewConstant(bs, G.WithName(fmt.Sprintf("bs_%s", logits.Name()))))
}
