package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/experiments/modelinfo"
	"github.com/microstim/microstim/resultdir"
)

// DefaultControl is the embedded default model's α = 0 control, drawn
// beside it by the gallery (a file of the repository).
const DefaultControl = "models/control_alpha0.mstw"

// galleryHardware are the hardware configs whose sweeps the gallery draws.
var galleryHardware = []string{"current_pitch", "single_vs_utah", "targeting", "aim_profile"}

// runGallery rebuilds docs/figures/ and the README's generated blocks
// from scratch on the embedded default model: the face maps, the Afraz
// 2006 run, the hardware sweeps and the benchmark scorecards.
func runGallery(args []string) error {
	fs := flag.NewFlagSet("gallery", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("docs", "figures"), "figure folder to rebuild (replaced as a whole)")
	readme := fs.String("readme", "README.md", "README whose generated blocks (<!-- gallery:NAME --> … <!-- /gallery:NAME -->) are rewritten; \"\" to leave it")
	control := fs.String("control", DefaultControl, "the default model's α = 0 control, drawn beside it")
	configDir := fs.String("configs", "configs", "folder of the shipped configs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := resultdir.Create(*out)
	if err != nil {
		return err
	}
	defer dir.Abort()
	tmp, err := os.MkdirTemp("", "microstim-gallery-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	step := func(name string, run func([]string) error, args ...string) error {
		fmt.Fprintf(os.Stderr, "gallery: %s …\n", name)
		if err := run(args); err != nil {
			return fmt.Errorf("gallery: %s: %w", name, err)
		}
		return nil
	}
	if err := step("face maps", runModelMap, "--compare", *control, "--out", filepath.Join(tmp, "model")); err != nil {
		return err
	}
	if err := step("Afraz 2006", runRun, filepath.Join(*configDir, "afraz2006.toml"), "--out", filepath.Join(tmp, "afraz2006"), "--quiet"); err != nil {
		return err
	}
	for _, h := range galleryHardware {
		cfg := filepath.Join(*configDir, "hardware_"+h+".toml")
		if err := step("hardware "+h, runSweep, cfg, "--out", filepath.Join(tmp, "hardware_"+h), "--quiet"); err != nil {
			return err
		}
	}
	if err := step("benchmarks", runBench, "--out", filepath.Join(tmp, "bench"), "--quiet"); err != nil {
		return err
	}
	copies := []struct{ from, to string }{
		{"model/*.png", "model"}, {"model/*.svg", "model"}, {"model/model_info*.json", "model"},
		{"afraz2006/summary.json", "afraz2006"}, {"afraz2006/*.png", "afraz2006"},
		{"bench/scorecard.*", "benchmarks"},
	}
	for _, h := range galleryHardware {
		copies = append(copies, struct{ from, to string }{"hardware_" + h + "/*.png", "hardware/" + h + "_"}, struct{ from, to string }{"hardware_" + h + "/*.svg", "hardware/" + h + "_"})
	}
	for _, b := range experiments.Benchmarks() {
		for _, f := range b.Figures {
			copies = append(copies, struct{ from, to string }{"bench/" + b.Name + "/" + f.File, "benchmarks/" + b.Name + "_"})
		}
	}
	copies = append(copies, struct{ from, to string }{"bench/calibrated/scorecard.csv", "benchmarks/calibrated_"})
	for _, c := range copies {
		if err := copyGlob(filepath.Join(tmp, c.from), filepath.Join(dir.Path, c.to)); err != nil {
			return err
		}
	}
	if *readme != "" {
		if err := rewriteReadme(*readme, tmp); err != nil {
			return err
		}
	}
	if err := writeGalleryManifest(dir.Path, tmp); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gallery: rebuilt %s%s\n", *out, map[bool]string{true: " and the generated blocks of " + *readme}[*readme != ""])
	return nil
}

// copyGlob copies the files matching pattern; to ending in "/" or naming
// a folder receives them under their own names, otherwise to is a prefix.
func copyGlob(pattern, to string) error {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		return fmt.Errorf("gallery: no file matches %s", pattern)
	}
	for _, f := range files {
		dst := filepath.Join(to, filepath.Base(f))
		if strings.HasSuffix(to, "_") {
			dst = to + filepath.Base(f)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := resultdir.WriteFile(dst, b); err != nil {
			return err
		}
	}
	return nil
}

// rewriteReadme replaces the README's generated blocks with tables built
// from the gallery's fresh outputs in tmp.
func rewriteReadme(path, tmp string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var fixed, cal galleryScorecard
	for file, sc := range map[string]*galleryScorecard{"bench/scorecard.json": &fixed, "bench/calibrated/scorecard.json": &cal} {
		b, err := os.ReadFile(filepath.Join(tmp, file))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, sc); err != nil {
			return fmt.Errorf("gallery: %s: %w", file, err)
		}
	}
	var info modelinfo.ModelInfo
	b, err := os.ReadFile(filepath.Join(tmp, "model", "model_info.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return fmt.Errorf("gallery: model_info.json: %w", err)
	}
	blocks := map[string]string{"scorecard": scorecardBlock(&fixed, &cal), "default-model": modelBlock(&info)}
	for name, body := range blocks {
		re := regexp.MustCompile(`(?s)(<!-- gallery:` + name + ` -->\n).*?(<!-- /gallery:` + name + ` -->)`)
		if !re.Match(text) {
			return fmt.Errorf("gallery: %s has no <!-- gallery:%s --> … <!-- /gallery:%s --> block", path, name, name)
		}
		text = re.ReplaceAll(text, []byte("${1}"+strings.ReplaceAll(body, "$", "$$")+"${2}"))
	}
	return resultdir.WriteFile(path, text)
}

// galleryScorecard is scorecard.json as read back (JSON null for a
// measure that could not be computed).
type galleryScorecard struct {
	Criteria []struct {
		ID     string   `json:"id"`
		Model  *float64 `json:"model"`
		ModelP *float64 `json:"model_p"`
		Monkey *float64 `json:"monkey"`
		Pass   bool     `json:"pass"`
	} `json:"criteria"`
	Passed    int     `json:"passed"`
	MeanScore float64 `json:"mean_score"`
}

// scorecardBlock is the README table of both scorecards.
func scorecardBlock(fixed, cal *galleryScorecard) string {
	var b bytes.Buffer
	b.WriteString("| # | criterion | model, C = 1e-3 (p) | verdict | model, calibrated (p) | verdict | monkeys |\n|---|---|---|---|---|---|---|\n")
	verdict := func(pass bool) string {
		if pass {
			return "pass"
		}
		return "fail"
	}
	for i, c := range fixed.Criteria {
		k := c
		if i < len(cal.Criteria) {
			k = cal.Criteria[i]
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s (p = %s) | %s | %s (p = %s) | %s | %s |\n", i+1, c.ID, gnum(c.Model), gnum(c.ModelP), verdict(c.Pass),
			gnum(k.Model), gnum(k.ModelP), verdict(k.Pass), gnum(c.Monkey))
	}
	fmt.Fprintf(&b, "\nFixed readout: **%d of %d** pass, mean score %.2f. Calibrated readout: **%d of %d** pass, mean score %.2f.\n",
		fixed.Passed, len(fixed.Criteria), fixed.MeanScore, cal.Passed, len(cal.Criteria), cal.MeanScore)
	return b.String()
}

// modelBlock is the README table of the default model's characterisation.
func modelBlock(m *modelinfo.ModelInfo) string {
	var b bytes.Buffer
	b.WriteString("| measure | default model |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("input, IT positions", fmt.Sprintf("%d px, %d × %d", m.InputPx, m.ITPositions[0], m.ITPositions[1]))
	row("held-out top-1", fmt.Sprintf("%.3f", m.HeldoutTop1))
	row("face decoding", fmt.Sprintf("%.3f", m.FaceDecodingAccuracy))
	row("hemifield gender decoding", fmt.Sprintf("%.3f", m.HemifieldGender))
	row("ipsi/contra response", fmt.Sprintf("%.2f", m.IpsiContraRatio))
	row("smoothed face-d′ peak L, R", fmt.Sprintf("%.2f, %.2f", m.FaceDPrimePeak["L"], m.FaceDPrimePeak["R"]))
	var patches []string
	for _, p := range m.FacePatches {
		patches = append(patches, fmt.Sprintf("%s %.1f mm²", p.Hemisphere, p.Area_mm2))
	}
	row("face patches above the null", strings.Join(patches, ", "))
	row("Afraz sites d′ ≥ 1", fmt.Sprintf("%d of %d", m.SitesDPrimeGT1, m.SitesTotal))
	row("near − far response correlation", fmt.Sprintf("%.3f", m.CorrNearMinusFar))
	row("RSA with monkey IT (Kiani 92)", fmt.Sprintf("%.3f", m.RSAMonkeyITSpearman))
	return b.String()
}

// gnum prints a measure to 3 significant digits ("n/a" when absent).
func gnum(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3g", *v)
}

// writeGalleryManifest records what the figures were made from (program
// version, the models' SHA-256), without the temporary paths of the steps.
func writeGalleryManifest(dir, tmp string) error {
	b, err := os.ReadFile(filepath.Join(tmp, "model", "manifest.json"))
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	out := map[string]any{"program": "microstim", "version": Version, "command": []string{"gallery"},
		"model_sha256": m["model_sha256"], "control_sha256": m["model_compare_sha256"], "seed": m["seed"]}
	js, err := experiments.MarshalJSONSafe(out)
	if err != nil {
		return err
	}
	return resultdir.WriteFile(filepath.Join(dir, "manifest.json"), js)
}
