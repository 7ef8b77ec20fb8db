package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/vision"
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
func fitReadout(m *vision.Model, t TaskConfig, x [][]float64, y []int, classes int, seed uint64) (*ReadoutFit, error) {
	fit := &ReadoutFit{C: t.DecoderC}
	if t.Readout == ReadoutCalibrated {
		cal, err := calibrate(m, x, y, classes, t.ControlAccuracy_pct/100, seed)
		if err != nil {
			return nil, fmt.Errorf("readout calibration: %w", err)
		}
		fit.C, fit.Calibration = cal.C, cal
	}
	dec, err := fitLogistic(m, x, y, classes, fit.C)
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

// blobStore is the byte store of an activation cache (actcache.Cache).
type blobStore interface {
	LoadBlob(key string) ([]byte, bool)
	StoreBlob(key string, data []byte) error
}

// fitLogistic is sim.FitLogistic, kept in the model's activation cache
// when it has one: the key covers every input of the fit, so a hit is the
// decoder the fit would return.
func fitLogistic(m *vision.Model, x [][]float64, y []int, classes int, C float64) (*sim.Logistic, error) {
	return cached(m, fitKey("logistic v1", x, y, classes, C), func() (*sim.Logistic, error) { return sim.FitLogistic(x, y, classes, C) })
}

// calibrate is sim.CalibrateC (5 folds), kept in the model's activation
// cache like fitLogistic.
func calibrate(m *vision.Model, x [][]float64, y []int, classes int, target float64, seed uint64) (*sim.Calibration, error) {
	key := fitKey(fmt.Sprintf("calibration v1 seed %d target %x", seed, math.Float64bits(target)), x, y, classes, 0)
	return cached(m, key, func() (*sim.Calibration, error) { return sim.CalibrateC(x, y, classes, target, 5, seed) })
}

// cached returns the gob-encoded value under key in the model's activation
// cache, or computes and stores it (computes only, without a cache).
func cached[T any](m *vision.Model, key string, compute func() (*T, error)) (*T, error) {
	bs, ok := m.Store().(blobStore)
	if !ok {
		return compute()
	}
	if data, ok := bs.LoadBlob(key); ok {
		var v T
		if gob.NewDecoder(bytes.NewReader(data)).Decode(&v) == nil {
			return &v, nil
		}
	}
	v, err := compute()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return v, bs.StoreBlob(key, buf.Bytes())
}

// fitKey covers every input of a fit: what, classes, C and the samples.
func fitKey(what string, x [][]float64, y []int, classes int, C float64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nclasses %d\nC %x\nn %d\n", what, classes, math.Float64bits(C), len(y))
	var b [8]byte
	for i, row := range x {
		binary.LittleEndian.PutUint64(b[:], uint64(y[i]))
		h.Write(b[:])
		binary.LittleEndian.PutUint64(b[:], uint64(len(row)))
		h.Write(b[:])
		buf := make([]byte, 8*len(row))
		for j, v := range row {
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// perturbedProbs is r's class probabilities per image under pert at sites,
// from the units the perturbation changes (sim.Engine.PerturbedProbabilities).
func perturbedProbs(eng *sim.Engine, r *sim.Readout, pert sim.Perturbation, sites []sim.Site) ([][]float64, error) {
	ps, err := eng.PerturbedProbabilities(pert, sites, []*sim.Readout{r})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// classProbs returns the readout's class probabilities per item ([P(non-face), P(face)] for the face task).
func classProbs(dec *sim.Logistic, it [][]float32) [][]float64 {
	out := make([][]float64, len(it))
	x := make([]float64, len(it[0]))
	for i, r := range it {
		for k, v := range r {
			x[k] = float64(v)
		}
		out[i] = dec.Probabilities(x)
	}
	return out
}

// sensitivityC are the decoder C values of the sensitivity analysis.
var sensitivityC = []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}
