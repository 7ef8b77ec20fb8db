// Package configs holds the experiment files users run, embedded so that
// `microstim bench` works from any directory.
package configs

import "embed"

// FS holds every *.toml experiment file of this folder.
//
//go:embed *.toml
var FS embed.FS

// Read returns the embedded experiment file name (e.g. "afraz2006.toml").
func Read(name string) ([]byte, error) { return FS.ReadFile(name) }
