package vision

import (
	"fmt"
	"path/filepath"
	"sort"
)

// DefaultRecipe names the recipe of the embedded default model.
const DefaultRecipe = "v3b"

// recipes are the named training recipes; each takes the data root (the
// folder holding caltech101/, floc/ and labels/, beside ../models/).
var recipes = map[string]func(dataRoot string) TrainConfig{
	// v1 is the v0.1 default: 64 px, 4 × 4 IT positions.
	"v1": DefaultTrainConfig,
	// v2a is model v2 with v1's losses: 128 px (8 × 8 IT positions), a
	// 144-px training side (v1's 72/64 ratio), 30 % of the training images
	// at half scale in one hemifield, 4 fixed views per image, and
	// neighbourhoods of 1,280 IT units for the spatial loss (≈ 16 mm² at
	// 82 units/mm², v1's disc of 320 units at 20 units/mm²).
	"v2a": recipeV2A,
	// v2b is v2a with distillation from MobileNet v2 (weight 1).
	"v2b": func(dataRoot string) TrainConfig {
		c := recipeV2A(dataRoot)
		c.Distil = MobileNetV2Distil(filepath.Join(dataRoot, "..", "models", "mobilenet_v2", "mobilenet_v2_1.0_224_quant.tflite"))
		return c
	},
	// v2c answers v2a's overfitting (train 0.95, held out 0.63): a fresh
	// random view at every showing (as v1), decoupled weight decay 0.05,
	// and spatial-loss weight 2 on IT.
	"v2c": recipeV2C,
	// v2d is v2c at v1's spatial-loss weight 1 on IT: v2c's α = 0 control
	// has ipsi/contra 0.18 against v2c's 0.37, so α = 2 is what raises the
	// ipsilateral response above the 0.30.
	"v2d": func(dataRoot string) TrainConfig {
		c := recipeV2C(dataRoot)
		c.Alpha[3] = 1
		return c
	},
	// v2e is v2c at spatial-loss weight 1.25 on IT, between v2d (α = 1:
	// ipsi/contra 0.255, near − far 0.206) and v2c (α = 2: 0.372, 0.319),
	// where quadratics through α = 0, 1, 2 put both inside the issue's
	// thresholds (0.28 and 0.24).
	"v2e": func(dataRoot string) TrainConfig {
		c := recipeV2C(dataRoot)
		c.Alpha[3] = 1.25
		return c
	},
	// v2f is v2d trained for 20 epochs instead of 16: held-out top-1 of
	// v2c, v2d and v2e gained 0.001–0.006 over their last four epochs.
	"v2f": recipeV2F,
	// v2g is v2f with seed 2: whether v2f's one-site miss of the Afraz-site
	// threshold (30 of 31) is seed noise (it has 42). The last seed drawn for
	// selection; the default.
	"v2g": func(dataRoot string) TrainConfig {
		c := recipeV2F(dataRoot)
		c.Seed = 2
		return c
	},
	// v3b is model v3's candidate B: MobileNet v2's blocks 1–13
	// (ImageNet-trained, frozen) as V1, V2 and V4, and a new IT (3 × 3
	// convolution to 256 channels on V4's 8 × 8 grid, then the unshared
	// per-position layer) trained from scratch under the spatial loss
	// (α = 1, v2g's) with v2g's heads and face diet; 8 fixed views per
	// image (the trunk's responses are computed once per view), decoupled
	// weight decay 0.05, 20 epochs.
	"v3b": recipeV3B,
	// v3a is model v3's candidate A: MobileNet v2's blocks 1–13 frozen as
	// in v3b, and IT = its 160- and 320-channel blocks 14–17 (block 14 at
	// stride 1, so IT keeps V4's 8 × 8 grid; 20,480 units), initialised
	// from ImageNet and fine-tuned with the spatial loss (α = 1) and v3b's
	// task losses, heads and IT at 1e-4.
	//
	// Its heads learn at v3p's 1e-4, not v3b's 1e-3: at its first step A is
	// v3p's network (the same 20,480 dense, signed ImageNet units) plus the
	// spatial loss, and with heads at 1e-3 (IT at 1e-4) the first run
	// diverged (NaN at epoch 6, step 102) as v3p's had.
	"v3a": func(dataRoot string) TrainConfig {
		c := recipeV3B(dataRoot)
		c.Trunk.IT, c.Trunk.FineTuneIT, c.Trunk.LRScaleIT, c.LR = true, true, 1, 1e-4
		return c
	},
	// v3p is the post-hoc control: MobileNet v2's blocks 1–17, all frozen
	// (block 14 at stride 1, so IT keeps an 8 × 8 grid of 320 channels),
	// with IT positions from the swap optimisation alone and only the
	// heads trained; no spatial loss ever shaped its IT.
	//
	// Its heads learn at a tenth of v3b's rate (1e-4): on 20,480 dense,
	// signed units, Adam's per-weight steps at 1e-3 moved the logits by
	// tens per step and the first run diverged (NaN at epoch 1, step 33).
	"v3p": func(dataRoot string) TrainConfig {
		c := recipeV3B(dataRoot)
		c.Trunk.IT, c.Alpha[3], c.LR = true, 0, 1e-4
		return c
	},
}

// Recipe returns the named training recipe with data under dataRoot.
func Recipe(name, dataRoot string) (TrainConfig, error) {
	f, ok := recipes[name]
	if !ok {
		return TrainConfig{}, fmt.Errorf("vision: unknown recipe %q (want one of %v)", name, RecipeNames())
	}
	return f(dataRoot), nil
}

// RecipeNames lists the recipes, sorted.
func RecipeNames() []string {
	var out []string
	for k := range recipes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func recipeV2A(dataRoot string) TrainConfig {
	c := DefaultTrainConfig(dataRoot)
	c.InputPx, c.TrainSide, c.HemifieldFrac, c.Views, c.Neighbours = 128, 144, 0.3, 4, 1280
	c.Epochs = 16
	return c
}

func recipeV2C(dataRoot string) TrainConfig {
	c := recipeV2A(dataRoot)
	c.Views, c.WeightDecay, c.Alpha[3] = 0, 0.05, 2
	return c
}

func recipeV2F(dataRoot string) TrainConfig {
	c := recipeV2C(dataRoot)
	c.Alpha[3], c.Epochs = 1, 20
	return c
}

func recipeV3B(dataRoot string) TrainConfig {
	c := recipeV2F(dataRoot)
	c.Views, c.WeightDecay, c.Seed = 8, 0.05, 1
	c.Trunk = MobileNetV2Trunk(filepath.Join(dataRoot, "..", "models", "mobilenet_v2", "mobilenet_v2_1.0_224_quant.tflite"), 256)
	return c
}
