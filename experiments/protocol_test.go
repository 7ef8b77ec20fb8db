package experiments

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/microstim/microstim/vision"
)

// toyProtocol is a protocol written in this file alone: it shows that a
// new protocol needs no edit of a shared file, only its own code and one
// Register call.
type toyProtocol struct{ named }

func (toyProtocol) Defaults() Config {
	c := genericDefaults()
	c.Protocol = "toy"
	return c
}

func (p toyProtocol) TaskKeys(*Config) ([]string, string) {
	return []string{"trials_per_image", "lapse_rate"}, p.reader()
}

func (toyProtocol) Validate(c *Config) error {
	return checkRange("task.trials_per_image", float64(c.Task.TrialsPerImage), 1, 7, " trials")
}

func (toyProtocol) CheckStimuli(*Config, []vision.Stimulus) error { return errToyStimuli }

func (toyProtocol) Work(c *Config, sites int) Work {
	w := BaseWork()
	w.ImagesPerSite = 10
	return w
}

func (toyProtocol) Run(c *Config, _ *vision.Model, _ []vision.Stimulus, _ Progress) (Outcome, error) {
	return toyOutcome{c.Task.TrialsPerImage}, nil
}

var errToyStimuli = errors.New("toy: no stimuli")

type toyOutcome struct{ trials int }

func (toyOutcome) Criteria() []Criterion                 { return nil }
func (toyOutcome) Write(string, *Config, Manifest) error { return nil }
func (toyOutcome) Print(io.Writer)                       {}

func registerToy(t *testing.T) {
	t.Helper()
	Register(toyProtocol{named{"toy", "A protocol of the tests."}})
	t.Cleanup(func() { delete(protocols, "toy") })
}

// A protocol registered from its own file is parsed, validated, checked,
// estimated and run by the shared code, which refuses the keys and tables
// it does not read.
func TestRegisteredProtocolNeedsNoSharedEdit(t *testing.T) {
	registerToy(t)
	c, err := ParseConfig("toy.toml", []byte("protocol = \"toy\"\n[task]\ntrials_per_image = 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Workload(4096).ImagesPerSite; got != 10 {
		t.Errorf("workload: %d images per site, want the protocol's 10", got)
	}
	if err := CheckStimuli(c, nil); !errors.Is(err, errToyStimuli) {
		t.Errorf("CheckStimuli: %v, want the protocol's error", err)
	}
	if Calibratable(c) || c.IsSweep() {
		t.Error("a protocol without those abilities is calibratable or a sweep")
	}
	out, err := Run(c, nil, nil, nil)
	if err != nil || out.(toyOutcome).trials != 3 {
		t.Errorf("Run: %v, %v; want the protocol's outcome with 3 trials", out, err)
	}
	if slices.Contains(BenchmarkNames(), "toy") {
		t.Error("a protocol without benchmarks joined the scorecard")
	}
	for _, tc := range []struct {
		doc, key, allowed string
		line              int
	}{
		{"protocol = \"toy\"\n[task]\ntrials_per_image = 9\n", "task.trials_per_image", "[1, 7]", 3}, // its own validation
		{"protocol = \"toy\"\n[task]\ndecoder_C = 1\n", "task.decoder_C", `protocol "toy"`, 3},       // a key it does not read
		{"protocol = \"toy\"\n[device]\nn_electrodes = 4\n", "device", `"hardware"`, 0},              // a table only hardware reads
		{"protocol = \"toy\"\n[[condition]]\nname = \"a\"\n", "condition", `"generic"`, 0},           // a table only generic reads
	} {
		_, err := ParseConfig("toy.toml", []byte(tc.doc))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || ce.File != "toy.toml" || (tc.line > 0 && ce.Line != tc.line) ||
			!strings.Contains(ce.Allowed, tc.allowed) {
			t.Errorf("%q: %v, want a ConfigError at toy.toml:%d on %s naming %s", tc.doc, err, tc.line, tc.key, tc.allowed)
		}
	}
}

// The scorecard's benchmarks come from the protocols, in the order of the
// nine criteria of Schrimpf et al. (2024), each ID once.
func TestBenchmarksFromProtocols(t *testing.T) {
	want := []string{"Afraz2006-shift_significant",
		"Afraz2015.optogenetics-contra_accuracy_significant", "Afraz2015.optogenetics-ipsi_accuracy_insignificant",
		"Afraz2015.optogenetics-delta_accuracy_correlated", "Afraz2015.muscimol-delta_accuracy_significant",
		"Moeller2017.experiment1-same_decrease_different_increase",
		"Rajalingham2019-global_deficits_significant", "Rajalingham2019-lateral_deficit_difference",
		"Rajalingham2019-spatial_correlation_significant"}
	var got []string
	for _, b := range Benchmarks() {
		if len(b.Figures) == 0 {
			t.Errorf("benchmark %s shows no figure", b.Name)
		}
		got = append(got, b.Criteria...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("criteria %q\nwant %q", got, want)
	}
}
