package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

// runStimuli builds the shipped stimulus pool from ../shared/data (a
// developer step; the product reads only the shipped copy).
func runStimuli(args []string) error {
	fs := flag.NewFlagSet("stimuli", flag.ContinueOnError)
	dataRoot := fs.String("data-root", "../shared/data", "folder with caltech101/, floc/ and kiani92/")
	out := fs.String("out", "vision/stimuli", "output folder")
	side := fs.Int("side", defaultInput(), "image side in px (the model's input; default: the default recipe's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := vision.Recipe(vision.DefaultRecipe, *dataRoot) // the default model's held-out split
	if err != nil {
		return err
	}
	type row struct{ file, dataset, source, category, face, role string }
	var rows []row
	write := func(g *vision.Gray, rel string) error {
		path := filepath.Join(*out, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		img := image.NewGray(image.Rect(0, 0, g.W, g.H))
		for i, v := range g.Pix {
			img.Pix[i] = uint8(min(255, max(0, v*255+0.5)))
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		return resultdir.WriteFile(path, b.Bytes())
	}
	pngName := func(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) + ".png" }
	// Caltech-101 and fLoc: the held-out files of the training split, and every fLoc body.
	for _, d := range cfg.Data {
		items, err := vision.ListFolder(d)
		if err != nil {
			return err
		}
		excluded := map[string]bool{}
		for _, e := range cfg.Exclude {
			excluded[e] = true
		}
		var trainable, held []vision.Item
		for _, it := range items {
			if excluded[it.Category] { // never trained on: all of it is held out
				held = append(held, it)
			} else {
				trainable = append(trainable, it)
			}
		}
		_, h := vision.Split(trainable, cfg.HeldoutFrac, cfg.HeldoutFracs)
		held = append(held, h...)
		isFloc := strings.Contains(d, "floc")
		for _, it := range held {
			g, err := vision.LoadGray(it.Path)
			if err != nil {
				return err
			}
			if f, ok := cfg.CropFrac[it.Category]; ok {
				g = g.CropCentre(f)
			}
			g = g.SquareResize(*side)
			dataset, role, face := "caltech101", "caltech_heldout", "0"
			if isFloc {
				dataset, role = "floc", "floc_"+it.Category
			}
			if it.Category == "Faces_easy" || it.Category == "adult" {
				face = "1"
			}
			rel := filepath.Join(dataset, it.Category, pngName(filepath.Base(it.Path)))
			src, _ := filepath.Rel(*dataRoot, it.Path)
			if err := write(g, rel); err != nil {
				return err
			}
			rows = append(rows, row{rel, dataset, src, it.Category, face, role})
		}
	}
	// Kiani 92: all images, in stimulus order, with the monkey-IT RDM.
	lf, err := os.Open(filepath.Join(*dataRoot, "kiani92/labels.csv"))
	if err != nil {
		return err
	}
	recs, err := csv.NewReader(lf).ReadAll()
	lf.Close()
	if err != nil {
		return err
	}
	for _, r := range recs[1:] {
		g, err := vision.LoadGray(filepath.Join(*dataRoot, "kiani92", r[1]))
		if err != nil {
			return err
		}
		g = g.SquareResize(*side)
		cat := strings.ReplaceAll(r[2], " ", "_")
		rel := filepath.Join("kiani92", cat, pngName(filepath.Base(r[1])))
		if err := write(g, rel); err != nil {
			return err
		}
		rows = append(rows, row{rel, "kiani92", filepath.Join("kiani92", r[1]), cat, r[4], "kiani92"})
	}
	rdm, err := os.ReadFile(filepath.Join(*dataRoot, "kiani92/rdm_monkeyIT_kiani2007_674neurons.csv"))
	if err != nil {
		return err
	}
	if err := resultdir.WriteFile(filepath.Join(*out, "kiani92/rdm_monkeyIT_kiani2007_674neurons.csv"), rdm); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"file", "dataset", "source_file", "category", "face", "role"})
	for _, r := range rows {
		w.Write([]string{filepath.ToSlash(r.file), r.dataset, filepath.ToSlash(r.source), r.category, r.face, r.role})
	}
	w.Flush()
	if err := resultdir.WriteFile(filepath.Join(*out, "manifest.csv"), b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d stimuli and manifest.csv to %s\n", len(rows), *out)
	return nil
}

// defaultInput is the default recipe's input side in pixels.
func defaultInput() int {
	c, _ := vision.Recipe(vision.DefaultRecipe, "")
	return c.Input()
}
