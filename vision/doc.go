// Package vision is microstim's topographic vision network, built on gorgonia.
//
// The network takes a square grayscale image (128×128 for the default
// model v3 and for v2, 64×64 for v1) through four stages named after the
// ventral-stream areas they stand for — V1, V2, V4 and IT — and keeps a
// coarse retinotopic map in IT (8×8 positions at 128 px). In the default
// model v3, V1, V2 and V4 are an ImageNet-trained MobileNet v2 trunk
// (Sandler et al. 2018; mobilenet.go, trunkop.go), frozen, and IT is a
// convolution on V4's grid trained under the spatial loss; in v1 and v2
// each stage is the network's own convolution, ReLU and 2×2 max-pool. IT
// may add a layer without weight sharing (its own weights at each
// position), as the default models do. A linear categorisation head, and
// optional face-gender and face-detection heads, sit on IT for training.
// Every unit has a position in mm on its area's hemisphere sheet (package
// topography).
//
// Each stage, the unshared layer and each head is one custom gorgonia op
// (stageop.go, localop.go, linearop.go; the trunk's stages trunkop.go, and
// trunkgrad.go where they train) with its own backward pass, built on
// package gemm's SIMD matrix product; their forward passes equal gorgonia's
// own ops exactly, so the graph, training, Run and RunFrom are those of a
// plain gorgonia network, only faster.
//
// The package also trains the network (with the TDANN spatial loss), reads
// and writes versioned weight files, loads image folders, and embeds the
// default trained model.
package vision
