package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/microstim/microstim/actcache"
	"github.com/microstim/microstim/vision"
)

// noCacheFlag adds --no-cache to a command's flags.
func noCacheFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("no-cache", false, "neither read nor write the activation cache (user cache folder, or $MICROSTIM_CACHE_DIR; 2 GiB at most)")
}

// useCache makes m read and write the activation cache unless off. A
// cache folder that cannot be made is reported; the run goes on without.
func useCache(m *vision.Model, sha string, off bool) {
	if off {
		return
	}
	dir, err := actcache.DefaultDir()
	if err == nil {
		var c *actcache.Cache
		if c, err = actcache.Open(dir, 0); err == nil {
			if c.StaleTemps > 0 {
				fmt.Fprintf(os.Stderr, "activation cache: removed %d temporary file(s) left by killed runs\n", c.StaleTemps)
			}
			m.UseStore(c, sha)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "warning: no activation cache (%v); computing every activation\n", err)
}
