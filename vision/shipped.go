package vision

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ShippedModel is a model that ships with microstim, named so that a
// config anywhere can select it ([model] name = "…").
type ShippedModel struct {
	Name        string
	File        string // path in the repository; "" for the embedded default
	Description string
}

// ShippedModels are the named models (docs/model_v3.md and docs/model_v2.md
// describe each).
var ShippedModels = []ShippedModel{
	{"default", "", "the embedded default model: model v3, run B, recipe v3b (MobileNet v2 trunk; seed 1)"},
	{"control_alpha0", "models/control_alpha0.mstw", "B0: the default's recipe without the spatial loss (α = 0), the topography control"},
	{"v2g", "models/v2g_default.mstw", "model v2, run G, recipe v2g: the default before v3"},
}

// ModelsDirEnv names the environment variable that points at a folder
// holding the shipped model files (default: the models/ folder beside the
// binary, or above the working directory).
const ModelsDirEnv = "MICROSTIM_MODELS"

// FindShipped returns the weight file of the shipped model name ("" for
// the embedded default). It looks in $MICROSTIM_MODELS, in models/ beside
// the binary, then in models/ of the working directory and its parents.
func FindShipped(name string) (string, error) {
	var sm *ShippedModel
	var names []string
	for i, m := range ShippedModels {
		names = append(names, fmt.Sprintf("%q", m.Name))
		if m.Name == name {
			sm = &ShippedModels[i]
		}
	}
	if sm == nil {
		return "", fmt.Errorf("no shipped model %q; want one of %s (microstim model list)", name, strings.Join(names, ", "))
	}
	if sm.File == "" {
		return "", nil
	}
	base := filepath.Base(sm.File)
	var tried []string
	try := func(dir string) string {
		p := filepath.Join(dir, base)
		tried = append(tried, p)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		return ""
	}
	if d := os.Getenv(ModelsDirEnv); d != "" {
		if p := try(d); p != "" {
			return p, nil
		}
	}
	if exe, err := os.Executable(); err == nil {
		if p := try(filepath.Join(filepath.Dir(exe), "models")); p != "" {
			return p, nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if p := try(filepath.Join(d, "models")); p != "" {
				return p, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("shipped model %q (%s) not found; looked in %s (set $%s to the folder holding it)", name, sm.File, strings.Join(tried, ", "), ModelsDirEnv)
}
