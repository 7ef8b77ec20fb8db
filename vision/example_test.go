package vision_test

import (
	"fmt"

	"github.com/microstim/microstim/vision"
)

// Split holds out a fixed fraction of each category, chosen by file name
// alone.
func ExampleSplit() {
	var items []vision.Item
	for _, cat := range []string{"cup", "face"} {
		for i := 0; i < 10; i++ {
			rel := fmt.Sprintf("%s/img_%02d.jpg", cat, i)
			items = append(items, vision.Item{Rel: rel, Category: cat})
		}
	}
	train, held := vision.Split(items, 0.2, map[string]float64{"face": 0.5})
	fmt.Println(len(train), len(held))
	// Output: 13 7
}
