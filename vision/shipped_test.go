package vision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every shipped model resolves from inside the repository and loads; an
// unknown name lists the names; $MICROSTIM_MODELS is looked in first.
func TestShippedModels(t *testing.T) {
	for _, sm := range ShippedModels {
		p, err := FindShipped(sm.Name)
		if err != nil {
			t.Fatalf("%s: %v", sm.Name, err)
		}
		if sm.File == "" {
			if p != "" {
				t.Errorf("default: %q, want the embedded model", p)
			}
			continue
		}
		if !strings.HasSuffix(p, sm.File) {
			t.Errorf("%s: %s, want …/%s", sm.Name, p, sm.File)
		}
		if _, _, _, err := Load(p); err != nil {
			t.Errorf("%s: %v", sm.Name, err)
		}
	}
	if _, err := FindShipped("nope"); err == nil || !strings.Contains(err.Error(), `"control_alpha0"`) {
		t.Errorf("unknown name: %v, want the names listed", err)
	}
	dir := t.TempDir()
	real, _ := FindShipped("control_alpha0")
	os.Symlink(real, filepath.Join(dir, "control_alpha0.mstw"))
	t.Setenv(ModelsDirEnv, dir)
	if p, err := FindShipped("control_alpha0"); err != nil || p != filepath.Join(dir, "control_alpha0.mstw") {
		t.Errorf("with $%s: %q, %v", ModelsDirEnv, p, err)
	}
}
