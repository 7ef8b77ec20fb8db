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

// The embedded default model's architecture.
func ExampleArch_Describe() {
	m, _, _, err := vision.Default()
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Arch.Describe())
	// Output: MobileNet v2 (frozen): V1 blocks 1–3, V2 4–6, V4 7–13; IT 3×3/256, IT unshared per position; heads: categorisation (100), gender, face detection
}
