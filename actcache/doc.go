// Package actcache keeps network activations on disk so that a second run
// of an experiment skips the network: entries are keyed by content (the
// model's SHA-256, the stages kept and the exact input pixels), written
// atomically, and evicted oldest-first beyond a size bound. Concurrent runs
// and Slurm shards may share one folder.
//
// Every entry and blob records its full key and a SHA-256 of its content;
// a read checks both, so a damaged file or one holding another key's data
// (copied or linked under the wrong name) is reported, removed and
// recomputed, never used. A folder that cannot be written is read but not
// written, with one warning, and the run goes on. Temporary files of killed
// writers are removed when the cache opens; live ones count against the
// size bound.
package actcache
