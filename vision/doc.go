// Package vision is microstim's topographic vision network, built on gorgonia.
//
// The network takes a square grayscale image (128×128 for the default
// model v2, 64×64 for v1) through four convolutional stages named after the
// ventral-stream areas they stand for — V1, V2, V4 and IT — each a
// convolution, ReLU and 2×2 max-pool, so IT keeps a coarse retinotopic map
// (8×8 positions at 128 px); IT may add a layer without weight sharing (its
// own weights at each position), as the default model does. A linear
// categorisation head, and optional face-gender and face-detection heads,
// sit on IT for training. Every unit has a position in mm on its
// area's hemisphere sheet (package topography).
//
// Each stage, the unshared layer and each head is one custom gorgonia op
// (stageop.go, localop.go, linearop.go) with its own backward pass, built on
// package gemm's SIMD matrix product; their forward passes equal gorgonia's
// own ops exactly, so the graph, training, Run and RunFrom are those of a
// plain gorgonia network, only faster.
//
// The package also trains the network (with the TDANN spatial loss), reads
// and writes versioned weight files, loads image folders, and embeds the
// default trained model.
package vision
