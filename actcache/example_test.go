package actcache_test

import (
	"fmt"
	"os"

	"github.com/microstim/microstim/actcache"
	"github.com/microstim/microstim/vision"
)

// A model that uses the cache computes a stimulus set once; the second
// run reads it back, bit for bit.
func Example() {
	dir, _ := os.MkdirTemp("", "actcache-example")
	defer os.RemoveAll(dir)
	c, err := actcache.Open(dir, 0)
	if err != nil {
		panic(err)
	}
	a := vision.Arch{Input: 32, Channels: [4]int{4, 8, 8, 16}, Kernels: [4]int{3, 3, 3, 3}, Classes: []string{"a", "b"}}
	m, _ := vision.NewModel(a, 1)
	m.UseStore(c, "sha-of-the-weight-file")
	img := &vision.Gray{W: 32, H: 32, Pix: make([]float32, 32*32)}
	first, _ := m.Run([]*vision.Gray{img}, [4]bool{false, false, false, true})
	second, _ := m.Run([]*vision.Gray{img}, [4]bool{false, false, false, true})
	entries, _ := os.ReadDir(dir)
	fmt.Println(len(entries), "entry;", first.Logits[0][0] == second.Logits[0][0])
	// Output: 1 entry; true
}
