package experiments

import (
	"fmt"

	"github.com/microstim/microstim/sim"
)

// Readout modes (task.readout).
const (
	ReadoutFixed      = "fixed"      // decoder_C as configured (Brain-Score's 1e-3 by default)
	ReadoutCalibrated = "calibrated" // C matched to the monkeys' control accuracy
)

// ReadoutFit is a fitted logistic readout and, when calibrated, how its C
// was chosen.
type ReadoutFit struct {
	Decoder     *sim.Logistic
	C           float64
	Calibration *sim.Calibration // nil for a fixed readout
}

// fitReadout fits the task's logistic readout on unperturbed responses x
// with labels y. A calibrated readout first sets C with sim.CalibrateC
// (5-fold cross-validation on these unperturbed samples only) to the
// task's control accuracy.
func fitReadout(t TaskConfig, x [][]float64, y []int, classes int, seed uint64) (*ReadoutFit, error) {
	fit := &ReadoutFit{C: t.DecoderC}
	if t.Readout == ReadoutCalibrated {
		cal, err := sim.CalibrateC(x, y, classes, t.ControlAccuracy_pct/100, 5, seed)
		if err != nil {
			return nil, fmt.Errorf("readout calibration: %w", err)
		}
		fit.C, fit.Calibration = cal.C, cal
	}
	dec, err := sim.FitLogistic(x, y, classes, fit.C)
	if err != nil {
		return nil, err
	}
	fit.Decoder = dec
	return fit, nil
}

// readoutNote describes a calibrated readout for a result's notes.
func (f *ReadoutFit) note() string {
	if f.Calibration == nil {
		return ""
	}
	return fmt.Sprintf("readout calibrated: C = %.3g gives a cross-validated unperturbed expected accuracy of %.1f %% (monkeys' control %.1f %%)",
		f.C, 100*f.Calibration.Accuracy, 100*f.Calibration.Target)
}

// Calibratable reports whether c's readout can be calibrated: a protocol
// with a logistic readout and a control accuracy to match.
func Calibratable(c *Config) bool {
	return (c.Protocol == "afraz2015" || c.Protocol == "rajalingham2019") && c.Task.ControlAccuracy_pct > 0
}
