package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/experiments/modelinfo"
	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

func runModel(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("model: want a subcommand: info, map, list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(os.Stderr, "Usage: microstim model info [flags] | microstim model map [flags] | microstim model list\n\nRun \"microstim model info -h\" or \"microstim model map -h\" for the flags.")
		return flag.ErrHelp
	case "info":
		return runModelInfo(args[1:])
	case "map":
		return runModelMap(args[1:])
	case "list":
		return runModelList(os.Stdout)
	}
	return fmt.Errorf("model: unknown subcommand %q (want info, map or list)", args[0])
}

// runModelList prints the shipped models a config can name ([model] name),
// with the file each resolves to and its SHA-256.
func runModelList(w io.Writer) error {
	for _, sm := range vision.ShippedModels {
		file, err := vision.FindShipped(sm.Name)
		where := file
		switch {
		case err != nil:
			where = "not found: " + err.Error()
		case file == "":
			where = "embedded in the binary"
		}
		sha := ""
		if err == nil {
			if _, _, s, lerr := vision.LoadModel(file); lerr == nil {
				sha = fmt.Sprintf(" (SHA-256 %.12s…)", s)
			}
		}
		fmt.Fprintf(w, "%-15s %s\n                %s%s\n", sm.Name, sm.Description, where, sha)
	}
	fmt.Fprintln(w, "\nIn a config: [model] name = \"control_alpha0\" (or weights = \"path/to/file.mstw\").")
	return nil
}

// characterise loads a model and measures it on the shipped pool (or the
// pool in folder poolDir, as "microstim stimuli" writes one).
func characterise(weights, poolDir string, seed uint64) (*modelinfo.ModelInfo, *vision.Model, error) {
	m, meta, sha, err := vision.LoadModel(weights)
	if err != nil {
		return nil, nil, err
	}
	useCache(m, sha, false)
	var pool []vision.Stimulus
	if poolDir != "" {
		pool, err = vision.LoadStimuli(os.DirFS(poolDir))
	} else {
		pool, err = vision.Stimuli()
	}
	if err != nil {
		return nil, nil, err
	}
	pool = vision.AtSide(pool, m.Arch.Input)
	info, err := modelinfo.Characterise(m, sha, meta, pool, seed)
	return info, m, err
}

func runModelInfo(args []string) error {
	fs := flag.NewFlagSet("model info", flag.ContinueOnError)
	weights := fs.String("weights", "", "weight file (default: the embedded default model)")
	asJSON := fs.Bool("json", false, "print JSON")
	seed := fs.Uint64("seed", 1, "seed for the shuffle null, pair sampling and decoder folds")
	poolDir := fs.String("pool", "", "stimulus pool folder with manifest.csv, as \"microstim stimuli\" writes it (default: the shipped pool)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	info, _, err := characterise(*weights, *poolDir, *seed)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := experiments.MarshalJSONSafe(info)
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	name := *weights
	if name == "" {
		name = vision.DefaultModelName
	}
	fmt.Fprintf(w, "model\t%s\n", name)
	fmt.Fprintf(w, "weights SHA-256\t%s\n", info.WeightsSHA256)
	fmt.Fprintf(w, "architecture\t%s\n", info.Architecture)
	fmt.Fprintf(w, "IT\t%d units on two %g × %g mm sheets\n", info.ITUnits, info.ITSheet_mm[0], info.ITSheet_mm[1])
	fmt.Fprintf(w, "held-out top-1\t%.3f (%d Caltech-101 images)\n", info.HeldoutTop1, info.HeldoutImages)
	fmt.Fprintf(w, "face decoding\t%.3f (balanced %.3f; %d faces, %d non-faces, 5-fold CV, C = %g)\n",
		info.FaceDecodingAccuracy, info.FaceDecodingBalanced, info.FaceImages, info.NonFaceImages, modelinfo.DecoderC)
	if info.Trunk != "" {
		fmt.Fprintf(w, "trunk\t%s, SHA-256 %.12s…\n", info.Trunk, info.TrunkSHA256)
	}
	fmt.Fprintf(w, "face-selective units\t%.4f with d′ > 1 (max unit d′ %.2f); channels %.3f with d′ > 1 (max channel d′ %.2f, channel mean over positions)\n",
		info.FaceSelectiveFraction, info.MaxUnitDPrime, info.ChannelsDPrimeGT1, info.MaxChannelDPrime)
	fmt.Fprintf(w, "smoothed face d′ max\tL %.2f, R %.2f (σ = %g mm); null p95 L %.2f, R %.2f\n",
		info.MaxSmoothedDPrime[0], info.MaxSmoothedDPrime[1], topography.MapSigma_mm, info.NullThreshold[0], info.NullThreshold[1])
	for _, p := range info.FacePatches {
		fmt.Fprintf(w, "  face patch\t%s (%.1f, %.1f) mm, %.2f mm², mean d′ %.2f\n", p.Hemisphere, p.X_mm, p.Y_mm, p.Area_mm2, p.MeanDPrime)
	}
	fmt.Fprintf(w, "body-selective units\t%.4f with d′ > 1 (max unit d′ %.2f; %d fLoc bodies against the rest)\n", info.BodySelectiveFraction, info.MaxUnitBodyDPrime, info.BodyImages)
	fmt.Fprintf(w, "smoothed body d′ max\tL %.2f, R %.2f; null p95 L %.2f, R %.2f\n", info.BodyDPrimePeak["L"], info.BodyDPrimePeak["R"], info.BodyNullThreshold[0], info.BodyNullThreshold[1])
	for _, p := range info.BodyPatches {
		fmt.Fprintf(w, "  body patch\t%s (%.1f, %.1f) mm, %.2f mm², mean d′ %.2f\n", p.Hemisphere, p.X_mm, p.Y_mm, p.Area_mm2, p.MeanDPrime)
	}
	fmt.Fprintf(w, "Afraz sites d′ ≥ 1\t%d of %d (0.5 mm grid, units within 0.5 mm pooled); max %.2f\n", info.SitesDPrimeGT1, info.SitesTotal, info.MaxSiteDPrime)
	fmt.Fprintf(w, "response correlation\t%.3f (< 1 mm) − %.3f (> 5 mm) = %.3f\n", info.CorrNear, info.CorrFar, info.CorrNearMinusFar)
	fmt.Fprintf(w, "RSA vs monkey IT\t%.3f (Spearman, Kiani 92 images)\n", info.RSAMonkeyITSpearman)
	fmt.Fprintf(w, "input, IT positions\t%d px, %d × %d\n", info.InputPx, info.ITPositions[0], info.ITPositions[1])
	fmt.Fprintf(w, "hemifield gender decoding\t%.3f (%d labelled faces at scale %g in one hemifield, contralateral IT, 5-fold CV)\n",
		info.HemifieldGender, info.HemifieldGenderFaces, modelinfo.HemifieldScale)
	fmt.Fprintf(w, "ipsi/contra response\t%.3f (held-out Caltech images at scale %g)\n", info.IpsiContraRatio, modelinfo.HemifieldScale)
	q := info.SiteDPrimeQuantiles
	fmt.Fprintf(w, "site d′ distribution\tmin %.2f, p10 %.2f, median %.2f, p90 %.2f, max %.2f\n", q["min"], q["p10"], q["median"], q["p90"], q["max"])
	return w.Flush()
}

func runModelMap(args []string) error {
	fs := flag.NewFlagSet("model map", flag.ContinueOnError)
	weights := fs.String("weights", "", "weight file (default: the embedded default model)")
	compare := fs.String("compare", "", "a second weight file (e.g. the α = 0 control) drawn beside the first")
	out := fs.String("out", "model_map", "output folder")
	seed := fs.Uint64("seed", 1, "seed for the shuffle null, pair sampling and decoder folds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := resultdir.Create(*out)
	if err != nil {
		return err
	}
	defer dir.Abort()
	files := []string{*weights}
	if *compare != "" {
		files = append(files, *compare)
	}
	var series []plots.Series
	manifest := map[string]any{"program": "microstim", "version": Version, "command": append([]string{"model", "map"}, args...), "seed": *seed}
	for k, wf := range files {
		info, _, err := characterise(wf, "", *seed)
		if err != nil {
			return err
		}
		name, suffix := "default model", ""
		if wf != "" {
			name = filepath.Base(wf)
		}
		if k == 1 {
			suffix = "_compare"
		}
		manifest["model"+suffix+"_sha256"] = info.WeightsSHA256
		if err := writeFaceMap(filepath.Join(dir.Path, "it_face_dprime"+suffix), name, info); err != nil {
			return err
		}
		if err := writeBodyMap(filepath.Join(dir.Path, "it_body_dprime"+suffix), name, info); err != nil {
			return err
		}
		var xs, ys []float64
		for _, c := range info.CorrVsDistance {
			if !math.IsNaN(c.Corr) {
				xs = append(xs, c.Distance_mm)
				ys = append(ys, c.Corr)
			}
		}
		series = append(series, plots.Series{Name: fmt.Sprintf("%s (α = %s)", strings.TrimSuffix(name, ".mstw"), info.Meta["alpha"]), X: xs, Y: ys})
		b, err := experiments.MarshalJSONSafe(info)
		if err != nil {
			return err
		}
		if err := resultdir.WriteFile(filepath.Join(dir.Path, "model_info"+suffix+".json"), b); err != nil {
			return err
		}
	}
	if err := plots.WriteLinePlot(filepath.Join(dir.Path, "it_corr_vs_distance"), "IT response correlation against cortical distance",
		"cortical distance (mm)", "mean pairwise response r (held-out images)", series); err != nil {
		return err
	}
	b, err := experiments.MarshalJSONSafe(manifest)
	if err != nil {
		return err
	}
	if err := resultdir.WriteFile(filepath.Join(dir.Path, "manifest.json"), b); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote face maps, it_corr_vs_distance, model_info and manifest.json to %s\n", *out)
	return nil
}

func writeFaceMap(base, name string, info *modelinfo.ModelInfo) error {
	return writeSelectivityMap(base, name, info, "face", "faces vs non-faces", info.Maps, info.Patches, info.NullThreshold)
}

// writeBodyMap draws the body d′ map (fLoc bodies against the rest) as
// writeFaceMap draws faces.
func writeBodyMap(base, name string, info *modelinfo.ModelInfo) error {
	return writeSelectivityMap(base, name, info, "body", "bodies vs the rest", info.BodyMaps, info.BodyPatchList, info.BodyNullThreshold)
}

func writeSelectivityMap(base, name string, info *modelinfo.ModelInfo, kind, contrast string, maps [2]*topography.Map, patches []topography.Patch, thr [2]float64) error {
	panels := plots.HemispherePanels(maps, patches, thr, [2][]plots.SiteMark{},
		[2]string{"Left hemisphere IT (right visual field)", "Right hemisphere IT (left visual field)"})
	label := strings.ToUpper(kind[:1]) + kind[1:]
	opt := plots.SheetMapOptions{
		Title: fmt.Sprintf("%s d′ (σ = %g mm), %s %.8s, α = %s; outlines: above the within-cell shuffle null (p95)",
			label, topography.MapSigma_mm, name, info.WeightsSHA256, info.Meta["alpha"]),
		ValueLabel: fmt.Sprintf("%s d′ (%s)", kind, contrast), Min: -1, Max: 1,
	}
	return plots.WriteSheetMap(base, panels, opt)
}
