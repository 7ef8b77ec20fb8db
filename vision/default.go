package vision

import (
	"embed"
	"fmt"
	"io/fs"
)

// defaultFS holds the default model (default/model.mstw) and its training
// record.
//
//go:embed default
var defaultFS embed.FS

// DefaultModelName names the embedded default model in messages.
const DefaultModelName = "embedded default model (vision/default/model.mstw)"

// Default decodes the embedded default model. It returns the model, its
// metadata and the weight file's SHA-256.
func Default() (*Model, map[string]string, string, error) {
	b, err := fs.ReadFile(defaultFS, "default/model.mstw")
	if err != nil {
		return nil, nil, "", fmt.Errorf("no default model embedded in this build: %w", err)
	}
	return Decode(DefaultModelName, b)
}

// DefaultTrainingRecord returns the embedded training record (JSON).
func DefaultTrainingRecord() ([]byte, error) {
	return fs.ReadFile(defaultFS, "default/training_record.json")
}

// LoadModel loads path, or the embedded default model when path is "".
func LoadModel(path string) (*Model, map[string]string, string, error) {
	if path == "" {
		return Default()
	}
	return Load(path)
}
