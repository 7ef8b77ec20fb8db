package experiments_test

import (
	"fmt"

	"github.com/microstim/microstim/experiments"
)

// A config names its protocol and overrides only what differs from the
// protocol's defaults; mistakes are reported with file, line, key and range.
func ExampleParseConfig() {
	good := []byte("protocol = \"afraz2006\"\n[perturbation]\ncurrent_uA = 80\n")
	c, err := experiments.ParseConfig("mine.toml", good)
	fmt.Println(c.Perturbation.Current_uA, c.Perturbation.Frequency_Hz, err)

	bad := []byte("protocol = \"afraz2006\"\n[perturbation]\nfrequency_Hz = 5000\n")
	_, err = experiments.ParseConfig("mine.toml", bad)
	fmt.Println(err)
	// Output:
	// 80 200 <nil>
	// mine.toml:3: perturbation.frequency_Hz = 5000: allowed range [0, 1000] Hz
}
