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

	// Idle forward machines by starting stage, reused by later runs: a
	// gorgonia graph and tape machine (≈ 230 MB at batch 32) is never
	// released once built, so building one per run grows without bound.
	fwdMu   sync.Mutex
	fwdFree map[int][]*forward

	store    ActivationStore // consulted by Run when set (UseStore)
	storeSHA string
}

// ActivationStore caches the results of Model.Run by a content key
// (package actcache implements it on disk).
type ActivationStore interface {
	// Key identifies a run: the model's SHA-256, the stages kept, the
	// stage the input enters after (−1: images) and the input values.
	Key(modelSHA string, keep [4]bool, from int, input []float32, n int) string
	Load(key string) (*Activations, bool)
	Store(key string, a *Activations) error
}

// UseStore makes Run look its results up in s (and store them there),
// keyed by modelSHA, the model file's SHA-256; nil turns the store off.
func (m *Model) UseStore(s ActivationStore, modelSHA string) { m.store, m.storeSHA = s, modelSHA }

// Store returns the store set by UseStore (nil when none).
func (m *Model) Store() ActivationStore { return m.store }

// getForward returns an idle forward machine for runs from stage from.
func (m *Model) getForward(bs, from int) (*forward, error) {
	m.fwdMu.Lock()
	if l := m.fwdFree[from]; len(l) > 0 {
		f := l[len(l)-1]
		m.fwdFree[from] = l[:len(l)-1]
		m.fwdMu.Unlock()
		return f, nil
	}
	m.fwdMu.Unlock()
	return m.newForward(bs, from)
}

// putForward returns f for reuse.
func (m *Model) putForward(f *forward) {
	m.fwdMu.Lock()
	defer m.fwdMu.Unlock()
	if m.fwdFree == nil {
		m.fwdFree = map[int][]*forward{}
	}
	m.fwdFree[f.from] = append(m.fwdFree[f.from], f)
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
		normalise(out[i*s*s:(i+1)*s*s], g.Pix, m.Arch.Trunk != "")
	}
	return out, nil
}

// normalise maps pixels in [0, 1] to the network's input: (v − PixelMean)
// / PixelStd, or for the MobileNet v2 trunk its own scale, the uint8 pixel
// 255·v read as (q − 128) / 128 (the TFLite input's quantisation).
func normalise(dst, pix []float32, trunk bool) {
	for k, v := range pix {
		if trunk {
			dst[k] = (255*v - 128) / 128
		} else {
			dst[k] = (v - PixelMean) / PixelStd
		}
	}
}

// forward is an inference graph for a fixed batch size. Its input is the
// image (from = -1) or the output of stage from, and it computes the later
// stages and the logits.
type forward struct {
	bs     int
	from   int
	x      *G.Node
	vm     G.VM
	stages [4]G.Value // nil for stages ≤ from
	logits G.Value
}

// inputShape is the shape of one sample entering after stage from.
func (m *Model) inputShape(from int) []int {
	if from < 0 {
		return []int{1, m.Arch.Input, m.Arch.Input}
	}
	side := m.Arch.MapSize(from)
	return []int{m.Arch.Channels[from], side, side}
}

func (m *Model) newForward(bs, from int) (*forward, error) {
	g := G.NewGraph()
	f := &forward{bs: bs, from: from}
	f.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(append([]int{bs}, m.inputShape(from)...)...), G.WithName("x"))
	n := bind(g, m.Params)
	var out [4]*G.Node
	h := f.x
	for st := from + 1; st < 4; st++ {
		var err error
		if h, err = applyStage(h, n, m.Arch, st); err != nil {
			return nil, fmt.Errorf("vision: stage %s: %w", StageNames[st], err)
		}
		out[st] = h
		G.Read(out[st], &f.stages[st])
	}
	if from == 3 {
		out[3] = f.x
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

// run evaluates one batch of input (padded to bs with zeros).
func (f *forward) run(x []float32) error {
	shape := f.x.Shape().Clone()
	buf := make([]float32, shape.TotalSize())
	copy(buf, x)
	if err := G.Let(f.x, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(buf))); err != nil {
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
	x, err := m.Input(imgs)
	if err != nil {
		return nil, err
	}
	if m.store == nil {
		return m.run(-1, x, len(imgs), keep)
	}
	key := m.store.Key(m.storeSHA, keep, -1, x, len(imgs))
	if a, ok := m.store.Load(key); ok {
		return a, nil
	}
	a, err := m.run(-1, x, len(imgs), keep)
	if err != nil {
		return nil, err
	}
	if err := m.store.Store(key, a); err != nil {
		return nil, err
	}
	return a, nil
}

// RunFrom continues the network from the output of stage from (0–3 for
// V1–IT): acts[i] is image i's (possibly perturbed) activity of that
// stage, flattened in (C, H, W) order. Only the later stages and the head
// are computed. Stages up to from are not returned.
func (m *Model) RunFrom(from int, acts [][]float32, keep [4]bool) (*Activations, error) {
	if from < 0 || from > 3 {
		return nil, fmt.Errorf("vision: RunFrom stage %d: want 0–3 (V1–IT)", from)
	}
	u := m.Arch.Units(from)
	x := make([]float32, len(acts)*u)
	for i, a := range acts {
		if len(a) != u {
			return nil, fmt.Errorf("vision: RunFrom %s: image %d has %d units, want %d", StageNames[from], i, len(a), u)
		}
		copy(x[i*u:], a)
	}
	for s := 0; s <= from; s++ {
		keep[s] = false
	}
	return m.run(from, x, len(acts), keep)
}

func (m *Model) run(from int, x []float32, n int, keep [4]bool) (*Activations, error) {
	const bs = 32
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
	per := tensorSize(m.inputShape(from))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			f, err := m.getForward(bs, from)
			if err != nil {
				errs[w] = err
				for range jobs {
				}
				return
			}
			defer m.putForward(f)
			for b := range jobs {
				lo, hi := b*bs, min((b+1)*bs, n)
				if err := f.run(x[lo*per : hi*per]); err != nil {
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

func tensorSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
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

// Float64s converts activations (one row per image) to float64, as the
// readouts and statistics take them.
func Float64s(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i, r := range x {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			out[i][j] = float64(v)
		}
	}
	return out
}
