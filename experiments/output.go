package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/microstim/microstim/plots"
)

// Afraz2006Summary is summary.json.
type Afraz2006Summary struct {
	Protocol            string           `json:"protocol"`
	RShiftDPrime        float64          `json:"r_shift_dprime"`
	PShiftDPrime        float64          `json:"p_shift_dprime"`
	RCI                 [2]float64       `json:"r_shift_dprime_ci95"`
	MeanShiftFace_pct   float64          `json:"mean_shift_face_sites_pct"`
	SEMShiftFace_pct    float64          `json:"sem_shift_face_sites_pct"`
	MeanShiftOther_pct  float64          `json:"mean_shift_other_sites_pct"`
	SEMShiftOther_pct   float64          `json:"sem_shift_other_sites_pct"`
	NFaceSites          int              `json:"n_face_sites"`
	NOtherSites         int              `json:"n_other_sites"`
	DecoderAccuracy     float64          `json:"decoder_accuracy_unperturbed"`
	MonkeyR             float64          `json:"monkey_r_shift_dprime"`
	MonkeyP             float64          `json:"monkey_p_shift_dprime"`
	MonkeyMeanFace_pct  float64          `json:"monkey_mean_shift_face_sites_pct"`
	MonkeySEMFace_pct   float64          `json:"monkey_sem_shift_face_sites_pct"`
	MonkeyMeanOther_pct float64          `json:"monkey_mean_shift_other_sites_pct"`
	MonkeySEMOther_pct  float64          `json:"monkey_sem_shift_other_sites_pct"`
	Verdict             string           `json:"verdict"`
	Pass                bool             `json:"pass"`
	DeltaR              float64          `json:"delta_r_model_minus_monkey"`
	ShiftRatioFace      float64          `json:"shift_ratio_face_sites_model_over_monkey"`
	ShiftRatioOther     float64          `json:"shift_ratio_other_sites_model_over_monkey"`
	Sensitivity         []SensitivityRow `json:"sensitivity"`
	Notes               []string         `json:"notes"`
}

// Score computes the scorecard: the qualitative verdict as Brain-Score
// scores this benchmark (a significant correlation, p < 0.05, of the same
// sign as the monkeys') and the quantitative distances.
func (r *Afraz2006Result) Score() Afraz2006Summary {
	s := Afraz2006Summary{
		Protocol: "afraz2006", RShiftDPrime: r.Corr.R, PShiftDPrime: r.Corr.P, RCI: [2]float64{r.Corr.CILo, r.Corr.CIHi},
		MeanShiftFace_pct: r.MeanFace[0], SEMShiftFace_pct: r.MeanFace[1], MeanShiftOther_pct: r.MeanOther[0], SEMShiftOther_pct: r.MeanOther[1],
		NFaceSites: r.NFaceSites, NOtherSites: len(r.Sites) - r.NFaceSites, DecoderAccuracy: r.DecoderAcc,
		MonkeyR: r.Monkey.Corr.R, MonkeyP: r.Monkey.Corr.P,
		MonkeyMeanFace_pct: r.Monkey.MeanFace[0], MonkeySEMFace_pct: r.Monkey.MeanFace[1],
		MonkeyMeanOther_pct: r.Monkey.MeanOther[0], MonkeySEMOther_pct: r.Monkey.MeanOther[1],
		Sensitivity: r.Sensitivity, Notes: append([]string{}, r.Notes...),
	}
	s.Pass = r.Corr.P < 0.05 && sign(r.Corr.R) == sign(r.Monkey.Corr.R)
	switch {
	case s.Pass:
		s.Verdict = "pass: significant correlation of shift with d′, same sign as the monkeys"
	case r.Corr.P < 0.05:
		s.Verdict = "fail: significant correlation of the opposite sign"
	default:
		s.Verdict = "fail: no significant correlation of shift with d′ (p ≥ 0.05)"
	}
	s.DeltaR = r.Corr.R - r.Monkey.Corr.R
	s.ShiftRatioFace = r.MeanFace[0] / r.Monkey.MeanFace[0]
	s.ShiftRatioOther = r.MeanOther[0] / r.Monkey.MeanOther[0]
	return s
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

// Manifest identifies a run: what produced it and from what.
type Manifest struct {
	Program      string `json:"program"`
	Version      string `json:"version"`
	ConfigFile   string `json:"config_file"`
	ConfigSHA256 string `json:"config_sha256"`
	ModelSHA256  string `json:"model_sha256"`
	Model        string `json:"model"`
	Seed         uint64 `json:"seed"`
	BLAS         string `json:"blas"`
	GoVersion    string `json:"go_version"`
	GOMAXPROCS   int    `json:"gomaxprocs,omitempty"` // cores used (results do not depend on it; 0 when not recorded)
}

// ResolvedTOML renders the fully resolved config (defaults filled in).
func (c *Config) ResolvedTOML() ([]byte, error) {
	var enc bytes.Buffer
	if err := toml.NewEncoder(&enc).Encode(c); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Resolved configuration: every key that applies, with defaults filled in.\n")
	b.Write(dropInapplicable(c, enc.Bytes()))
	return b.Bytes(), nil
}

// dropInapplicable removes the [task] and [perturbation] lines of keys
// that the protocol or the perturbation kind does not read.
func dropInapplicable(c *Config, text []byte) []byte {
	var out bytes.Buffer
	table := ""
	for _, line := range strings.SplitAfter(string(text), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			table = strings.Trim(t, "[]")
		}
		if k, _, ok := strings.Cut(t, " = "); ok && !applies(c, table, k) {
			continue
		}
		out.WriteString(line)
	}
	return out.Bytes()
}

// applies reports whether key of table is read by c's protocol and kind.
func applies(c *Config, table, key string) bool {
	switch table {
	case "task":
		if keys, ok := taskKeys[c.Protocol]; ok {
			return slices.Contains(keys, key)
		}
	case "perturbation":
		if keys, ok := perturbationKeys[c.Perturbation.Kind]; ok {
			return key == "kind" || key == "stage" || slices.Contains(keys, key)
		}
	}
	return true
}

// ConfigHash is the SHA-256 of the resolved configuration.
func (c *Config) ConfigHash() string {
	b, _ := c.ResolvedTOML()
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// WriteAfraz2006 writes summary.json, sites.csv, config.resolved.toml and
// manifest.json into dir, each atomically.
func WriteAfraz2006(dir string, c *Config, r *Afraz2006Result, m Manifest) error {
	sum := r.Score()
	files := map[string][]byte{}
	var err error
	if files["summary.json"], err = marshalJSON(sum); err != nil {
		return err
	}
	if files["manifest.json"], err = marshalJSON(m); err != nil {
		return err
	}
	if files["config.resolved.toml"], err = c.ResolvedTOML(); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"site", "hemisphere", "x_mm", "y_mm", "dprime", "face_selective", "units", "shift_pct", "shift_ci95_lo", "shift_ci95_hi",
		"control_alpha", "control_beta", "stim_alpha", "stim_beta"})
	for i, s := range r.Sites {
		w.Write([]string{fmt.Sprint(i + 1), s.Hemi.String(), f4(s.X_mm), f4(s.Y_mm), f4(s.DPrime), fmt.Sprint(s.Selective), fmt.Sprint(s.Units),
			f4(s.Shift_pct), f4(s.CILo), f4(s.CIHi), f4(s.Control.Alpha), f4(s.Control.Beta), f4(s.Stim.Alpha), f4(s.Stim.Beta)})
	}
	w.Flush()
	files["sites.csv"] = b.Bytes()
	for name, data := range files {
		if err := plots.WriteAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

func f4(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return fmt.Sprintf("%.4f", v)
}

// marshalJSON encodes v as indented JSON with NaN and ±Inf written as
// null (encoding/json refuses them).
func marshalJSON(v any) ([]byte, error) {
	return json.MarshalIndent(jsonTree(reflect.ValueOf(v)), "", "  ")
}

// MarshalJSONSafe is marshalJSON for other packages.
func MarshalJSONSafe(v any) ([]byte, error) { return marshalJSON(v) }

func jsonTree(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return jsonTree(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonTree(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(k.Interface())] = jsonTree(v.MapIndex(k))
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("json"); tag != "" {
				n := strings.Split(tag, ",")[0]
				if n == "-" {
					continue
				}
				if n != "" {
					name = n
				}
			}
			out[name] = jsonTree(v.Field(i))
		}
		return out
	}
	return v.Interface()
}

// Criteria returns benchmark 1 of docs/references.md#schrimpf2024.
func (r *Afraz2006Result) Criteria() []Criterion {
	s := r.Score()
	return []Criterion{{
		ID: "Afraz2006-shift_significant", Benchmark: "afraz2006",
		Measure: "r(psychometric shift toward \"face\", site face d′)", Unit: "",
		Model: s.RShiftDPrime, ModelCI: s.RCI, ModelP: s.PShiftDPrime,
		Monkey: s.MonkeyR, MonkeyErr: math.NaN(), Source: "Afraz et al. 2006, digitised shift-vs-d′ scatter (n = 86)",
		Rule: "correlation significant (p < 0.05) with the monkeys' sign", Pass: s.Pass, Verdict: s.Verdict,
		Score: DifferenceOfCorrelations(s.RShiftDPrime, s.MonkeyR), ScoreRule: "1 − |r_model − r_monkey|",
	}}
}

// Write stores summary.json, sites.csv, the figures and report.html.
func (r *Afraz2006Result) Write(dir string, c *Config, m Manifest) error {
	if err := WriteAfraz2006(dir, c, r, m); err != nil {
		return err
	}
	if err := Afraz2006Figures(dir, c, r, r.Model); err != nil {
		return err
	}
	return Afraz2006Report(dir, c, r, m)
}

// Print writes the scorecard lines.
func (r *Afraz2006Result) Print(w io.Writer) {
	s := r.Score()
	fmt.Fprintf(w, "Afraz et al. 2006 — %s\n", s.Verdict)
	fmt.Fprintf(w, "  r(shift, d′) = %.3f (p = %.3g, 95%% CI %.2f…%.2f; monkeys %.2f)\n", s.RShiftDPrime, s.PShiftDPrime, s.RCI[0], s.RCI[1], s.MonkeyR)
	fmt.Fprintf(w, "  mean shift, d′ > 1 sites (n = %d): %+.2f ± %.2f %%  (monkeys %+.1f ± %.1f %%)\n", s.NFaceSites, s.MeanShiftFace_pct, s.SEMShiftFace_pct, s.MonkeyMeanFace_pct, s.MonkeySEMFace_pct)
	fmt.Fprintf(w, "  mean shift, other sites (n = %d): %+.2f ± %.2f %%  (monkeys %+.1f ± %.1f %%)\n", s.NOtherSites, s.MeanShiftOther_pct, s.SEMShiftOther_pct, s.MonkeyMeanOther_pct, s.MonkeySEMOther_pct)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
