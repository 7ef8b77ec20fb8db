package sim

import (
	"fmt"
	"sync"

	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// Engine holds a model's unperturbed activity for a stimulus set. A
// perturbation of stage S reuses the cached activity of S and recomputes
// only the later stages, so the network up to S runs once per stimulus set.
type Engine struct {
	Model *vision.Model
	Stage int         // perturbed stage, 0–3 (V1–IT)
	Base  [][]float32 // unperturbed activity of Stage, [image][unit]
	IT    [][]float32 // unperturbed IT activity
	Ref   []float64   // each unit's mean unperturbed activity of Stage

	colOnce sync.Once
	cols    [][]float32 // IT by unit, for sparse readouts
	nzOnce  sync.Once
	nz      []sparseColumn // IT's non-zero activities by unit
}

// NewEngine runs the network once on imgs and caches the activity of stage
// (0–3 for V1–IT) and of IT.
func NewEngine(m *vision.Model, stage int, imgs []*vision.Gray) (*Engine, error) {
	if stage < 0 || stage > 3 {
		return nil, fmt.Errorf("stage %d: want 0–3 (V1, V2, V4, IT)", stage)
	}
	var keep [4]bool
	keep[stage], keep[3] = true, true
	act, err := m.Run(imgs, keep)
	if err != nil {
		return nil, err
	}
	e := &Engine{Model: m, Stage: stage, Base: act.Stages[stage], IT: act.Stages[3]}
	e.Ref = make([]float64, m.Arch.Units(stage))
	for _, r := range e.Base {
		for k, v := range r {
			e.Ref[k] += float64(v)
		}
	}
	for k := range e.Ref {
		e.Ref[k] /= float64(len(e.Base))
	}
	return e, nil
}

// StageIndex returns the index of a stage name ("V1", "V2", "V4", "IT").
func StageIndex(name string) (int, error) {
	for i, s := range vision.StageNames {
		if s == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("stage %q: want one of %v", name, vision.StageNames)
}

// Layout returns the perturbed stage's layout.
func (e *Engine) Layout() *topography.Layout { return e.Model.Layouts[e.Stage] }

// Perturb applies p at sites to the cached stage and returns the resulting
// IT activity. An identity effect returns IT equal, bit for bit, to the
// unperturbed activity.
func (e *Engine) Perturb(p Perturbation, sites []Site) ([][]float32, error) {
	eff, err := p.Effect(e.Layout(), sites, e.Ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name(), err)
	}
	return e.Propagate(eff)
}

// Propagate applies an effect to the cached stage and computes IT.
func (e *Engine) Propagate(eff Effect) ([][]float32, error) {
	pert := eff.Apply(e.Base)
	if e.Stage == 3 {
		return pert, nil
	}
	act, err := e.Model.RunFrom(e.Stage, pert, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	return act.Stages[3], nil
}
