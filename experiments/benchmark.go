package experiments

import (
	"fmt"
	"io"
	"math"

	"github.com/microstim/microstim/vision"
)

// Criterion is one qualitative benchmark criterion with the model's value,
// the monkeys' value, the verdict as the published benchmark defines it
// (docs/references.md#schrimpf2024) and a quantitative score in [0, 1].
type Criterion struct {
	ID        string     `json:"id"`        // Brain-Score registry id, e.g. "Afraz2006-shift_significant"
	Benchmark string     `json:"benchmark"` // protocol that measures it
	Measure   string     `json:"measure"`   // what Model and Monkey are
	Unit      string     `json:"unit"`
	Model     float64    `json:"model"`
	ModelCI   [2]float64 `json:"model_ci95"` // NaN when not computed
	ModelP    float64    `json:"model_p"`    // p of the test the verdict uses
	Monkey    float64    `json:"monkey"`
	MonkeyErr float64    `json:"monkey_error"` // SEM or as reported; NaN when none
	Source    string     `json:"monkey_source"`
	Rule      string     `json:"rule"` // the pass criterion
	Pass      bool       `json:"pass"`
	Verdict   string     `json:"verdict"`
	Score     float64    `json:"score"`      // quantitative agreement in [0, 1]
	ScoreRule string     `json:"score_rule"` // how Score is computed
}

// Outcome is a finished protocol run.
type Outcome interface {
	// Criteria lists the benchmark criteria the run decides.
	Criteria() []Criterion
	// Write stores the results, figures and report.html in dir.
	Write(dir string, c *Config, m Manifest) error
	// Print writes a short terminal summary.
	Print(w io.Writer)
}

// Run runs the config's protocol on model m with a stimulus pool.
func Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	p, ok := Lookup(c.Protocol)
	if !ok {
		return nil, fmt.Errorf("protocol %q is not registered", c.Protocol)
	}
	if progress == nil {
		progress = func(int, int, string) {}
	}
	return p.Run(c, m, pool, progress)
}

// DifferenceOfCorrelations is 1 − |r_model − r_data|, clipped to [0, 1]
// (Brain-Score's quantitative Afraz metrics).
func DifferenceOfCorrelations(model, data float64) float64 {
	return clip01(1 - math.Abs(model-data))
}

// RetainedFraction is (perturbed − chance) / (unperturbed − chance): the
// fraction of above-chance performance left under perturbation.
func RetainedFraction(perturbed, unperturbed, chance float64) float64 {
	return (perturbed - chance) / (unperturbed - chance)
}

// DifferenceOfFractions is 1 − |f_model − f_data| for retained fractions,
// clipped to [0, 1] (after Brain-Score's DifferenceOfFractions).
func DifferenceOfFractions(model, data float64) float64 {
	return clip01(1 - math.Abs(model-data))
}

// RelativeEffectScore is 1 − |model − data| / |data|, clipped to [0, 1]:
// 1 when the effect sizes agree, 0 when they differ by the data's size.
func RelativeEffectScore(model, data float64) float64 {
	return clip01(1 - math.Abs(model-data)/math.Abs(data))
}

func clip01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Max(0, math.Min(1, v))
}

func verdictText(pass bool, rule string) string {
	if pass {
		return "pass: " + rule
	}
	return "fail: not met: " + rule
}

var nan2 = [2]float64{math.NaN(), math.NaN()}

// Progress reports the steps of a long run.
type Progress func(done, total int, what string)

// printCriteria writes one line per criterion.
func printCriteria(w io.Writer, cs []Criterion) {
	for _, c := range cs {
		v := "FAIL"
		if c.Pass {
			v = "PASS"
		}
		fmt.Fprintf(w, "  %s %s: model %.3g (p = %s), monkeys %.3g; score %.2f\n", v, c.ID, c.Model, pnum(c.ModelP), c.Monkey, c.Score)
	}
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
