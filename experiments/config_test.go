package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShippedConfigsValidate(t *testing.T) {
	files, _ := filepath.Glob("../configs/*.toml")
	if len(files) == 0 {
		t.Fatal("no configs")
	}
	for _, f := range files {
		c, err := LoadConfig(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// the resolved config parses back to the same config
		b, err := c.ResolvedTOML()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig("resolved", b)
		if err != nil {
			t.Fatalf("%s resolved: %v\n%s", f, err, b)
		}
		if c.ConfigHash() != c2.ConfigHash() {
			t.Errorf("%s: resolved config does not round-trip", f)
		}
	}
}

// Every kind of bad input is refused with the file, the line, the key, the
// value and what is allowed.
func TestConfigErrors(t *testing.T) {
	base := func(extra string) string {
		return "protocol = \"afraz2006\"\nseed = 3\n[perturbation]\ncurrent_uA = 50\n" + extra
	}
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", base("curent_uA = 40\n"), []string{"f.toml:5", "perturbation.curent_uA", "unknown key"}},
		{"unknown table", base("[stimulation]\nx = 1\n"), []string{"f.toml:5", "stimulation", "unknown key"}},
		{"wrong type", base("frequency_Hz = \"fast\"\n"), []string{"f.toml:5", "frequency_Hz"}},
		{"negative current", "protocol = \"afraz2006\"\n[perturbation]\ncurrent_uA = -5\n", []string{"f.toml:3", "perturbation.current_uA", "-5", "[0, 5000]"}},
		{"current below the law", "protocol = \"afraz2006\"\n[perturbation]\ncurrent_uA = 3\n", []string{"f.toml:3", "perturbation.current_uA", "3", "> 5.26"}},
		{"unknown law", base("spread_law = \"cubic\"\n"), []string{"f.toml:5", "perturbation.spread_law", "cubic", "exp_kumaravelu2022"}},
		{"volume", "protocol = \"afraz2006\"\n[perturbation]\nkind = \"muscimol\"\nvolume_uL = 9\n", []string{"f.toml:4", "perturbation.volume_uL", "9", "[0, 5]"}},
		{"signal level", "protocol = \"afraz2006\"\n[task]\nsignal_levels_pct = [-80, 120]\n", []string{"f.toml:3", "task.signal_levels_pct", "120", "[-100, 100]"}},
		{"decoder C", "protocol = \"afraz2006\"\n[task]\ndecoder_C = 0\n", []string{"f.toml:3", "task.decoder_C", "0"}},
		{"stage", "protocol = \"afraz2006\"\n[perturbation]\nstage = \"MT\"\n", []string{"f.toml:3", "perturbation.stage", "MT", "\"IT\""}},
		{"missing weights", "protocol = \"afraz2006\"\n[model]\nweights = \"nope.mstw\"\n", []string{"f.toml:3", "model.weights", "nope.mstw", "not found"}},
		{"missing folder", "protocol = \"afraz2006\"\n[stimuli]\nset = \"folder\"\nfolder = \"/no/such\"\n", []string{"f.toml:4", "stimuli.folder", "not found"}},
		{"unknown protocol", "protocol = \"afraz2099\"\n", []string{"f.toml:1", "protocol", "afraz2099", "afraz2006"}},
		{"syntax", "protocol = \"afraz2006\"\n[task\n", []string{"f.toml:", "table name"}},
		{"explicit without sites", "protocol = \"afraz2006\"\n[sites]\nrule = \"explicit\"\n", []string{"sites.site", "at least one"}},
		{"site off sheet", "protocol = \"afraz2006\"\n[sites]\nrule = \"explicit\"\n[[sites.site]]\nhemisphere = \"L\"\nx_mm = 12\ny_mm = 1\n", []string{"sites.site[1].x_mm", "12", "[0, 10]"}},
	} {
		_, err := ParseConfig("f.toml", []byte(tc.doc))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T %v, want a *ConfigError", tc.name, err, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}

func TestDefaultsFillOmittedKeys(t *testing.T) {
	c, err := ParseConfig("f.toml", []byte("protocol = \"afraz2006\"\n[perturbation]\ncurrent_uA = 80\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Perturbation.Current_uA != 80 || c.Perturbation.Frequency_Hz != 200 || c.Sites.NSelective != 31 || c.Task.DecoderC != 1e-3 {
		t.Errorf("resolved %+v", c.Perturbation)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "none.toml"))
	if err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseConfig: parsing and validation never panic, and any config that
// validates writes a resolved config that validates to the same run (the
// property that would have caught seed = -1, issue 11 case 5).
// Run: go test -run '^$' -fuzz FuzzParseConfig -fuzztime 60s -fuzzminimizetime 100x ./experiments
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("../configs/*.toml")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Add([]byte("protocol = \"afraz2006\"\n[sites]\nrule = \"explicit\"\n[[sites.site]]\nhemisphere = \"L\"\n"))
	f.Add([]byte("protocol = 5\n[task]\nsignal_levels_pct = \"x\"\n"))
	f.Add([]byte("protocol = \"afraz2006\"\nseed = -1\n"))
	f.Add([]byte("protocol = \"hardware\"\n[sweep]\ncurrent_uA = [[1, 2]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.toml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("not a *ConfigError: %T %v", err, err)
			}
			return
		}
		b, err := c.ResolvedTOML()
		if err != nil {
			t.Fatalf("valid config does not render: %v", err)
		}
		c2, err := ParseConfig("elsewhere/resolved.toml", b)
		if err != nil {
			t.Fatalf("the resolved config is refused: %v\n%s", err, b)
		}
		if c.ConfigHash() != c2.ConfigHash() {
			t.Fatalf("the resolved config describes another run:\n%s", b)
		}
	})
}
