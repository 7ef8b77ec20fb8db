// Package actcache keeps network activations on disk so that a second run
// of an experiment skips the network: entries are keyed by content (the
// model's SHA-256, the stages kept and the exact input pixels), written
// atomically, checked on read, and evicted oldest-first beyond a size
// bound. Concurrent runs and Slurm shards may share one folder.
package actcache
