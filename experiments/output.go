package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

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
	table, cond, cc := "", 0, c
	for _, line := range strings.SplitAfter(string(text), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			table = strings.Trim(t, "[]")
			if table == "condition" { // [[condition]]: its tables apply to its own task and kind
				cond++
				cc = c.conditionConfig(cond - 1)
			}
			if !strings.HasPrefix(table, "condition") {
				cc = c
			}
		}
		if k, _, ok := strings.Cut(t, " = "); ok && !applies(cc, strings.TrimPrefix(table, "condition."), k) {
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
		if keys, _ := c.protocol().TaskKeys(c); keys != nil {
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
				n, opts, _ := strings.Cut(tag, ",")
				if n == "-" || opts == "omitempty" && v.Field(i).IsZero() {
					continue
				}
				if n != "" {
					name = n
				}
			}
			sub := jsonTree(v.Field(i))
			if m, ok := sub.(map[string]any); ok && f.Anonymous && f.Tag.Get("json") == "" {
				for k, x := range m { // an embedded struct's fields stand beside the others, as encoding/json puts them
					out[k] = x
				}
				continue
			}
			out[name] = sub
		}
		return out
	}
	return v.Interface()
}
