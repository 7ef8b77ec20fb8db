package experiments

import (
	"testing"

	"github.com/microstim/microstim/configs"
	"github.com/microstim/microstim/sim"
)

// benchSweep prepares the current × pitch example sweep on the default model.
func benchSweep(b *testing.B) (*Config, SweepPlan, *hardwareTask) {
	data, err := configs.Read("hardware_current_pitch.toml")
	if err != nil {
		b.Fatal(err)
	}
	c, err := ParseConfig("hardware_current_pitch.toml", data)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := NewSweepPlan(c, KeyLines(data))
	if err != nil {
		b.Fatal(err)
	}
	m, _, _, pool := defaultModelAndPool(b)
	task, err := newHardwareTask(c, m, pool)
	if err != nil {
		b.Fatal(err)
	}
	return c, plan, task
}

// Sweep points per second, one at a time (16 placements × seeds each, 4×4
// electrode grid, 352 test images).
func BenchmarkSweepPoint(b *testing.B) {
	c, plan, task := benchSweep(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := runPoint(c, plan, task, i%plan.Points); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// Sweep points per second with the points spread over the cores, as
// microstim sweep runs them.
func BenchmarkSweepParallel(b *testing.B) {
	c, plan, task := benchSweep(b)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		err := sim.ParallelFor(plan.Points, func(k int) error {
			_, err := runPoint(c, plan, task, k)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		n += plan.Points
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
}
