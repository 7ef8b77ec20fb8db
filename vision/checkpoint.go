package vision

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/microstim/microstim/resultdir"
)

// writeFinal writes the trained model and the training record into the
// run's folder.
func (tr *Trainer) writeFinal() error {
	if err := tr.Model.Save(filepath.Join(tr.Dir, "model.mstw"), tr.Meta()); err != nil {
		return err
	}
	rec, err := json.MarshalIndent(tr.Record, "", "  ")
	if err != nil {
		return err
	}
	return resultdir.WriteFile(filepath.Join(tr.Dir, "training_record.json"), rec)
}

// CheckpointPath is where a run in dir keeps its checkpoint.
func CheckpointPath(dir string) string { return filepath.Join(dir, "checkpoint.gob") }

func (tr *Trainer) saveCheckpoint() error {
	w, err := tr.Model.Encode(tr.Meta())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	ck := checkpoint{Weights: w, M: tr.m, V: tr.v, T: tr.t, Epoch: tr.epoch, Step: tr.step, Sums: tr.sums, Record: tr.Record}
	for _, d := range tr.distil {
		ck.Distil = append(ck.Distil, Data(d.T))
	}
	if err := gob.NewEncoder(&b).Encode(&ck); err != nil {
		return err
	}
	if err := resultdir.WriteFile(CheckpointPath(tr.Dir), b.Bytes()); err != nil {
		return err
	}
	rec, _ := json.MarshalIndent(tr.Record, "", "  ")
	return resultdir.WriteFile(filepath.Join(tr.Dir, "training_record.json"), rec)
}

// SnapshotCheckpoint writes the model in dir's checkpoint to path as a
// weight file, to characterise a run in progress.
func SnapshotCheckpoint(dir, path string) error {
	f, err := os.Open(CheckpointPath(dir))
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	var ck checkpoint
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&ck); err != nil {
		return fmt.Errorf("snapshot: checkpoint %s: %w", CheckpointPath(dir), err)
	}
	if _, _, _, err := Decode(CheckpointPath(dir), ck.Weights); err != nil {
		return err
	}
	return resultdir.WriteFile(path, ck.Weights)
}

// ResumeTrainer restores a run from dir's checkpoint. The dataset must be
// the one the run started with (checked by its file-list hash) and the
// configuration must be identical.
func ResumeTrainer(cfg TrainConfig, ds *Dataset, dir string) (*Trainer, error) {
	path := CheckpointPath(dir)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	var ck checkpoint
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&ck); err != nil {
		return nil, fmt.Errorf("resume: checkpoint %s: %w", path, err)
	}
	if ck.Record.FilesHash != ds.FilesHash {
		return nil, fmt.Errorf("resume: checkpoint %s was trained on a different file list (hash %.12s…, now %.12s…)", path, ck.Record.FilesHash, ds.FilesHash)
	}
	a, _ := json.Marshal(ck.Record.Config)
	b, _ := json.Marshal(cfg)
	if !bytes.Equal(a, b) {
		return nil, fmt.Errorf("resume: checkpoint %s has a different training config:\n  checkpoint %s\n  now        %s", path, a, b)
	}
	m, _, _, err := Decode(path, ck.Weights)
	if err != nil {
		return nil, err
	}
	m.Params.TrainTrunk[3] = cfg.Trunk != nil && cfg.Trunk.FineTuneIT
	tr := &Trainer{Cfg: cfg, Data: ds, Model: m, Record: ck.Record, Dir: dir, CkptEvery: 3 * time.Minute,
		m: ck.M, v: ck.V, t: ck.T, epoch: ck.Epoch, step: ck.Step, sums: ck.Sums}
	if cfg.Distil != nil {
		tr.distil = newDistilParams(m.Arch, cfg)
		if len(ck.Distil) != len(tr.distil) {
			return nil, fmt.Errorf("resume: checkpoint %s has %d distillation tensors, want %d", path, len(ck.Distil), len(tr.distil))
		}
		for i, d := range tr.distil {
			if len(ck.Distil[i]) != len(Data(d.T)) {
				return nil, fmt.Errorf("resume: checkpoint %s: %s has %d values, want %d", path, d.Name, len(ck.Distil[i]), len(Data(d.T)))
			}
			copy(Data(d.T), ck.Distil[i])
		}
	}
	if len(tr.m) != len(tr.trainables()) {
		return nil, fmt.Errorf("resume: checkpoint %s has optimiser state for %d tensors, want %d", path, len(tr.m), len(tr.trainables()))
	}
	return tr, nil
}
