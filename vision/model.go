package vision

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/microstim/microstim/topography"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DefaultJitter_mm is the per-unit position jitter for each stage. IT uses
// the prototype's 0.25 mm (TDANN uses 0.3 mm, spacetorch/utils/spatial_utils.py);
// earlier stages scale it with their cell size.
var DefaultJitter_mm = [4]float64{0.25, 0.5, 0.75, 0.25}

// Model is a network with its unit positions.
type Model struct {
	Arch    Arch
	Params  *Params
	Layouts [4]*topography.Layout
}

// NewModel initialises a model from seed: He-normal weights and
// retinotopic layouts with shared channel offsets.
func NewModel(a Arch, seed uint64) (*Model, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Arch: a, Params: NewParams(a, seed)}
	for s := 0; s < 4; s++ {
		side := a.MapSize(s)
		l, err := topography.NewLayout(StageNames[s], a.Channels[s], side, side, DefaultJitter_mm[s], seed+uint64(s)+1)
		if err != nil {
			return nil, err
		}
		m.Layouts[s] = l
	}
	return m, nil
}

// IT returns the IT layout.
func (m *Model) IT() *topography.Layout { return m.Layouts[3] }

// Input converts images (Input×Input each) into the network's normalised
// input batch.
func (m *Model) Input(imgs []*Gray) ([]float32, error) {
	s := m.Arch.Input
	out := make([]float32, len(imgs)*s*s)
	for i, g := range imgs {
		if g.W != s || g.H != s {
			return nil, fmt.Errorf("vision: image %d is %d×%d, want %d×%d", i, g.W, g.H, s, s)
		}
		for k, v := range g.Pix {
			out[i*s*s+k] = (v - PixelMean) / PixelStd
		}
	}
	return out, nil
}

// forward is an inference graph for a fixed batch size.
type forward struct {
	bs     int
	x      *G.Node
	vm     G.VM
	stages [4]G.Value
	logits G.Value
}

func (m *Model) newForward(bs int) (*forward, error) {
	g := G.NewGraph()
	s := m.Arch.Input
	f := &forward{bs: bs}
	f.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(bs, 1, s, s), G.WithName("x"))
	n := bind(g, m.Params)
	out, err := trunk(f.x, n, m.Arch)
	if err != nil {
		return nil, err
	}
	for st := 0; st < 4; st++ {
		G.Read(out[st], &f.stages[st])
	}
	flat, err := flatten(out[3])
	if err != nil {
		return nil, err
	}
	lg, err := linear(flat, n.headW, n.headB)
	if err != nil {
		return nil, err
	}
	G.Read(lg, &f.logits)
	f.vm = G.NewTapeMachine(g)
	return f, nil
}

// run evaluates one batch of normalised input (padded to bs with zeros).
func (f *forward) run(x []float32, size int) error {
	buf := make([]float32, f.bs*size*size)
	copy(buf, x)
	if err := G.Let(f.x, tensor.New(tensor.WithShape(f.bs, 1, size, size), tensor.WithBacking(buf))); err != nil {
		return err
	}
	defer f.vm.Reset()
	return f.vm.RunAll()
}

// Activations holds per-image responses of the requested stages.
type Activations struct {
	Stages [4][][]float32 // [stage][image][unit], nil for stages not kept
	Logits [][]float32    // [image][class]
}

// Run computes the activations of imgs, keeping the stages whose flag is
// set in keep. Batches are spread over GOMAXPROCS workers, each with its own
// graph; results do not depend on the number of workers.
func (m *Model) Run(imgs []*Gray, keep [4]bool) (*Activations, error) {
	const bs = 32
	x, err := m.Input(imgs)
	if err != nil {
		return nil, err
	}
	n := len(imgs)
	act := &Activations{Logits: make([][]float32, n)}
	for s := 0; s < 4; s++ {
		if keep[s] {
			act.Stages[s] = make([][]float32, n)
		}
	}
	nb := (n + bs - 1) / bs
	workers := min(runtime.GOMAXPROCS(0), nb)
	jobs := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	side := m.Arch.Input
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			f, err := m.newForward(bs)
			if err != nil {
				errs[w] = err
				for range jobs {
				}
				return
			}
			defer f.vm.Close()
			for b := range jobs {
				lo, hi := b*bs, min((b+1)*bs, n)
				if err := f.run(x[lo*side*side:hi*side*side], side); err != nil {
					errs[w] = err
					continue
				}
				lg := f.logits.Data().([]float32)
				nc := len(lg) / bs
				for i := lo; i < hi; i++ {
					act.Logits[i] = append([]float32(nil), lg[(i-lo)*nc:(i-lo+1)*nc]...)
					for s := 0; s < 4; s++ {
						if keep[s] {
							d := f.stages[s].Data().([]float32)
							u := len(d) / bs
							act.Stages[s][i] = append([]float32(nil), d[(i-lo)*u:(i-lo+1)*u]...)
						}
					}
				}
			}
		}(w)
	}
	for b := 0; b < nb; b++ {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return act, nil
}

// Predict returns the arg-max class of each image.
func (a *Activations) Predict() []int {
	out := make([]int, len(a.Logits))
	for i, l := range a.Logits {
		best := 0
		for k, v := range l {
			if v > l[best] {
				best = k
			}
		}
		out[i] = best
	}
	return out
}
