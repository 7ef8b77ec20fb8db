// Package vision is microstim's topographic vision network, built on gorgonia.
//
// The network takes a 64×64 grayscale image through four convolutional
// stages named after the ventral-stream areas they stand for — V1, V2, V4 and
// IT — each a convolution, ReLU and 2×2 max-pool, so IT keeps a coarse 4×4
// retinotopic map. A linear categorisation head (and an optional face-gender
// head) sits on IT for training. Every unit has a position in mm on its
// area's hemisphere sheet (package topography).
//
// The package also trains the network (with the TDANN spatial loss), reads
// and writes versioned weight files, loads image folders, and embeds the
// default trained model.
package vision
