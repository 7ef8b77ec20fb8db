package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/microstim/microstim/vision"
)

func runTrain(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	recipe := fs.String("recipe", vision.DefaultRecipe, "training recipe: "+strings.Join(vision.RecipeNames(), ", ")+" (flags below override it)")
	dataRoot := fs.String("data-root", "../shared/data", "folder with caltech101/, floc/ and labels/ (default data set; the teacher is read from ../models/ beside it)")
	data := fs.String("data", "", "comma-separated folders of category folders (overrides the default Caltech-101 + fLoc)")
	out := fs.String("out", "train_out", "output folder: model.mstw, training_record.json, checkpoint.gob")
	resume := fs.Bool("resume", false, "continue the run in --out from its checkpoint")
	epochs := fs.Int("epochs", 0, "epochs (0: the recipe's)")
	seed := fs.Uint64("seed", 0, "seed (0: the recipe's)")
	alpha := fs.String("alpha", "", "spatial-loss weight: one value for IT, or four for V1,V2,V4,IT (0 for the α = 0 control)")
	swap := fs.Int("swap-steps", -1, "pre-training swap steps per stage (-1: the recipe's)")
	maxMin := fs.Float64("max-minutes", 0, "stop after this many minutes, with a checkpoint (0: no limit)")
	ckptMin := fs.Float64("checkpoint-minutes", 3, "checkpoint interval in minutes")
	quiet := fs.Bool("quiet", false, "no progress bar")
	views := fs.Int("views", -1, "augmented views per training image (0: a fresh random view every time; -1: the recipe's)")
	decay := fs.Float64("weight-decay", -1, "decoupled weight decay on conv and head weights (-1: the recipe's)")
	snapshot := fs.String("snapshot", "", "write the model of the checkpoint in --out to this weight file and stop (to characterise a run in progress)")
	faceRepeat := fs.Int("face-repeat", 0, "show each face image (class Faces_easy) this many times per epoch (0: the recipe's)")
	localIT := fs.Bool("local-it", true, "add an IT layer without weight sharing (own weights per retinotopic position; default: the recipe's)")
	faceHead := fs.Bool("face-head", true, "add an auxiliary face-detection loss (weight 0.5, as gender): the training classes that show faces (Faces_easy with the fLoc adults, cougar_face) against all others (default: the recipe's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg, err := vision.Recipe(*recipe, *dataRoot)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = strings.Split(*data, ",")
		cfg.GenderLabels = ""
	}
	if *epochs > 0 {
		cfg.Epochs = *epochs
	}
	if *seed > 0 {
		cfg.Seed = *seed
	}
	if *swap >= 0 {
		cfg.SwapSteps = *swap
	}
	if *views >= 0 {
		cfg.Views = *views
	}
	if *decay >= 0 {
		cfg.WeightDecay = *decay
	}
	if *snapshot != "" {
		return vision.SnapshotCheckpoint(*out, *snapshot)
	}
	if set["local-it"] {
		cfg.LocalIT = *localIT
	}
	if *faceRepeat == 1 {
		cfg.Repeat = nil
	} else if *faceRepeat > 1 {
		cfg.Repeat = map[string]int{"Faces_easy": *faceRepeat}
	}
	faceWeight := cfg.FaceWeight
	wantFaceHead := len(cfg.FaceClasses) > 0 && cfg.FaceWeight > 0
	if set["face-head"] {
		wantFaceHead = *faceHead
	}
	if faceWeight == 0 {
		faceWeight = 0.5
	}
	cfg.FaceClasses, cfg.FaceWeight = nil, 0
	if *alpha != "" {
		parts := strings.Split(*alpha, ",")
		var v []float64
		for _, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || f < 0 {
				return fmt.Errorf("--alpha %q: want non-negative numbers", *alpha)
			}
			v = append(v, f)
		}
		switch len(v) {
		case 1:
			cfg.Alpha = [4]float64{0, 0, 0, v[0]}
		case 4:
			copy(cfg.Alpha[:], v)
		default:
			return fmt.Errorf("--alpha %q: want 1 value (IT) or 4 (V1,V2,V4,IT)", *alpha)
		}
	}
	fmt.Fprintf(os.Stderr, "loading images from %s …\n", strings.Join(cfg.Data, ", "))
	t0 := time.Now()
	ds, err := vision.LoadDataset(cfg, cfg.Input())
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d training and %d held-out images in %d classes (%.0f s); file list %.12s…\n",
		len(ds.Train), len(ds.Heldout), len(ds.Classes), time.Since(t0).Seconds(), ds.FilesHash)
	if cfg.Repeat != nil && !slices.Contains(ds.Classes, "Faces_easy") && !set["face-repeat"] {
		cfg.Repeat = nil // a user's folders without the Faces_easy class: no face diet
	}
	if wantFaceHead {
		for _, c := range ds.Classes {
			if vision.IsFaceCategory(c) {
				cfg.FaceClasses = append(cfg.FaceClasses, c)
			}
		}
		cfg.FaceWeight = faceWeight
		if len(cfg.FaceClasses) == 0 {
			if set["face-head"] {
				return fmt.Errorf("--face-head: none of the %d training classes shows faces (Faces, Faces_easy, cougar_face)", len(ds.Classes))
			}
			fmt.Fprintln(os.Stderr, "no face class among the training classes: training without the face-detection loss")
		}
	}
	var tr *vision.Trainer
	if *resume {
		if tr, err = vision.ResumeTrainer(cfg, ds, *out); err != nil {
			return err
		}
	} else {
		if _, err := os.Stat(vision.CheckpointPath(*out)); err == nil {
			return fmt.Errorf("%s holds a checkpoint: add --resume to continue it, or choose another --out", *out)
		}
		if tr, err = vision.NewTrainer(cfg, ds, *out); err != nil {
			return err
		}
		tr.Record.Recipe = *recipe
	}
	if !*quiet {
		tr.Progress = os.Stderr
	}
	tr.CkptEvery = time.Duration(*ckptMin * float64(time.Minute))
	tr.StopAfter = time.Duration(*maxMin * float64(time.Minute))
	if err := tr.Run(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", filepath.Join(*out, "model.mstw"))
	return nil
}
