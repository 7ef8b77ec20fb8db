// Package tflite reads TensorFlow Lite flatbuffer models (schema
// tensorflow/lite/schema/schema.fbs) and runs per-tensor uint8-quantised
// convolutional networks in float: weights and biases are dequantised,
// every operator computes in float32, and its output is re-quantised to
// its tensor's uint8 grid, as the quantised reference kernels round.
//
// It supports the handful of operators of MobileNet v2 (Sandler et al.
// 2018): CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, RESHAPE and
// SOFTMAX. microstim uses it at training time only: to distil an
// ImageNet-trained teacher into the topographic network (model v2), and to
// read MobileNet v2's weights into model v3's trunk (package vision), which
// the weight file then holds; the product binary never reads a TFLite file.
package tflite
