package experiments

import (
	"fmt"
	"slices"
	"sort"

	"github.com/microstim/microstim/vision"
)

// Protocol is a registered experiment. It owns everything that depends on
// the experiment: its defaults, the keys it reads, its checks, the cost of
// a run, the run itself and the benchmarks it decides. Shared code reaches
// a protocol only through this interface and the registry, never by name.
//
// Optional abilities are found by type assertion: Calibrator, Benchmarker,
// TableReader, PatchCentreSiter and SiteChecker.
type Protocol interface {
	// Name is the protocol's key in configs ("afraz2006").
	Name() string
	// Citation is the paper the protocol follows, as a reference line.
	Citation() string
	// Defaults is a complete config with the paper's values.
	Defaults() Config
	// TaskKeys lists the [task] keys a run of c reads, and names the
	// reader for a refusal ("protocol \"afraz2006\""). Nil keys: any key
	// (the task is not known yet and is refused by Validate).
	TaskKeys(c *Config) (keys []string, reader string)
	// Validate checks the protocol's own keys.
	Validate(c *Config) error
	// CheckStimuli builds the run's tasks on pool without the network, so
	// that a pool that cannot carry them is refused before the run.
	CheckStimuli(c *Config, pool []vision.Stimulus) error
	// Work is what a run of c on sites sites does, for Workload.
	Work(c *Config, sites int) Work
	// Run runs c on model m with the stimulus pool.
	Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error)
}

// Calibrator is a protocol whose logistic readout can be calibrated to
// the monkeys' control accuracy.
type Calibrator interface {
	Calibratable(c *Config) bool
}

// Benchmarker is a protocol that decides criteria of the scorecard.
type Benchmarker interface {
	// Benchmarks lists its benchmarks in the criteria's published order.
	Benchmarks() []Benchmark
}

// TableReader is a protocol that reads optional top-level tables of a
// config ("device", "condition"); a config that sets one of them for a
// protocol that does not read it is refused.
type TableReader interface {
	Tables() []string
}

// PatchCentreSiter is a protocol whose face_patch_centre rule picks other
// than one site per hemisphere.
type PatchCentreSiter interface {
	PatchCentreSites(hemispheres int) int
}

// SiteChecker is a protocol that places its sites before a run (on the
// model's face patches), so that validate can refuse a model without them.
type SiteChecker interface {
	CheckSites(c *Config, m *vision.Model, pool []vision.Stimulus) error
}

// Work is what a protocol's run does, for Workload. BaseWork gives the
// common case, which protocols then adjust.
type Work struct {
	ImagesPerSite int     // test images whose perturbed responses are read out per site
	FitImages     float64 // images each readout is fitted on
	ReadoutFits   int     // logistic readouts fitted
	Decoders      float64 // readouts applied to each perturbed response
	KeptBytes     float64 // bytes kept per site and image (all decoders together)
	Fits          float64 // psychometric fits, bootstraps included
	Trials        float64 // simulated choices; 0: two per site, image and trial per image
	Repeats       float64 // repeats of the sites' readouts and trials (placements × seeds)
}

// BaseWork is one readout fitted on about 500 images, one decoder, nothing
// kept, no psychometric fit, no repeat.
func BaseWork() Work {
	return Work{FitImages: 500, ReadoutFits: 1, Decoders: 1, Repeats: 1}
}

// protocols is the registry, by name.
var protocols = map[string]Protocol{}

// Register adds p to the registry; a protocol registers itself from its
// own file's init.
func Register(p Protocol) {
	if _, dup := protocols[p.Name()]; dup {
		panic("experiments: protocol " + p.Name() + " registered twice")
	}
	protocols[p.Name()] = p
}

// Lookup returns the registered protocol called name.
func Lookup(name string) (Protocol, bool) {
	p, ok := protocols[name]
	return p, ok
}

// ProtocolNames lists the registered protocols, sorted.
func ProtocolNames() []string {
	var n []string
	for k := range protocols {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// protocol is c's registered protocol; ParseConfig refuses any other.
func (c *Config) protocol() Protocol {
	p, ok := protocols[c.Protocol]
	if !ok {
		panic(fmt.Sprintf("experiments: config of unregistered protocol %q", c.Protocol))
	}
	return p
}

// Calibratable reports whether c's readout can be calibrated: a protocol
// with a logistic readout and a control accuracy to match.
func Calibratable(c *Config) bool {
	cal, ok := c.protocol().(Calibrator)
	return ok && cal.Calibratable(c)
}

// readersOf lists the protocols that read the optional table.
func readersOf(table string) []string {
	var out []string
	for _, name := range ProtocolNames() {
		if t, ok := protocols[name].(TableReader); ok && slices.Contains(t.Tables(), table) {
			out = append(out, name)
		}
	}
	return out
}

// reads reports whether c's protocol reads the optional table.
func (c *Config) reads(table string) bool {
	t, ok := c.protocol().(TableReader)
	return ok && slices.Contains(t.Tables(), table)
}

// named gives a protocol its Name and Citation.
type named struct{ name, citation string }

func (n named) Name() string     { return n.name }
func (n named) Citation() string { return n.citation }

// reader names the protocol as the reader of its task keys, for a refusal.
func (n named) reader() string { return fmt.Sprintf("protocol %q", n.name) }
