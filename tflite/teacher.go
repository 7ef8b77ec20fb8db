package tflite

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"os"
)

// MobileNetV2SHA256 is the SHA-256 of the teacher microstim distils from:
// mobilenet_v2_1.0_224_quant.tflite of google-coral/test_data (Sandler et
// al. 2018; Apache-2.0).
const MobileNetV2SHA256 = "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776"

// EmbeddingTensor names MobileNet v2's 1,280-value global-average-pooled
// embedding.
const EmbeddingTensor = "MobilenetV2/Logits/AvgPool"

// Classifier is an image classifier with an embedding layer, such as
// MobileNet v2: RGB input of Side×Side, real values in [−1, 1].
type Classifier struct {
	Net       *Net
	SHA256    string
	Side      int
	input     int
	embedding int
	output    int
}

// LoadClassifier reads a TFLite image classifier whose input is
// (1, side, side, 3) and whose embedding tensor is named embedding.
func LoadClassifier(path, embedding string) (*Classifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n, err := NewNet(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	c := &Classifier{Net: n, SHA256: hex.EncodeToString(sum[:]), input: m.Inputs[0], output: m.Outputs[0]}
	s := m.Tensors[c.input].Shape
	if len(s) != 4 || s[0] != 1 || s[1] != s[2] || s[3] != 3 {
		return nil, fmt.Errorf("%s: input shape %v, want (1, side, side, 3)", path, s)
	}
	c.Side = s[1]
	if c.embedding = m.TensorByName(embedding); c.embedding < 0 {
		return nil, fmt.Errorf("%s: no tensor %q", path, embedding)
	}
	return c, nil
}

// Run classifies rgb (Side×Side×3, interleaved, values in [0, 1]) and
// returns the embedding and the class probabilities (fresh slices).
func (c *Classifier) Run(rgb []float32) (embedding, probs []float32, err error) {
	if len(rgb) != c.Side*c.Side*3 {
		return nil, nil, fmt.Errorf("tflite: %d input values, want %d", len(rgb), c.Side*c.Side*3)
	}
	t := c.Net.M.Tensors[c.input]
	x := make([]float32, len(rgb))
	for i, v := range rgb { // the uint8 pixel, then its real value
		q := math.Round(float64(v) * 255)
		x[i] = t.Scale * (float32(q) - float32(t.ZeroPoint))
	}
	if err := c.Net.Run(x); err != nil {
		return nil, nil, err
	}
	return append([]float32(nil), c.Net.Value(c.embedding)...), append([]float32(nil), c.Net.Value(c.output)...), nil
}

// ResizeBilinear resamples a w×h image of ch interleaved channels to
// side×side, bilinear with half-pixel centres.
func ResizeBilinear(pix []float32, w, h, ch, side int) []float32 {
	out := make([]float32, side*side*ch)
	sx, sy := float64(w)/float64(side), float64(h)/float64(side)
	for y := 0; y < side; y++ {
		fy := math.Max((float64(y)+0.5)*sy-0.5, 0)
		y0 := min(int(fy), h-1)
		y1 := min(y0+1, h-1)
		dy := float32(fy - float64(y0))
		for x := 0; x < side; x++ {
			fx := math.Max((float64(x)+0.5)*sx-0.5, 0)
			x0 := min(int(fx), w-1)
			x1 := min(x0+1, w-1)
			dx := float32(fx - float64(x0))
			for c := 0; c < ch; c++ {
				a := pix[(y0*w+x0)*ch+c]*(1-dx) + pix[(y0*w+x1)*ch+c]*dx
				b := pix[(y1*w+x0)*ch+c]*(1-dx) + pix[(y1*w+x1)*ch+c]*dx
				out[(y*side+x)*ch+c] = a*(1-dy) + b*dy
			}
		}
	}
	return out
}

// RGB returns img's pixels as interleaved RGB values in [0, 1].
func RGB(img image.Image) (pix []float32, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]float32, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := (y*w + x) * 3
			pix[i], pix[i+1], pix[i+2] = float32(r)/65535, float32(g)/65535, float32(bl)/65535
		}
	}
	return pix, w, h
}

// EmbedGray returns the embedding of a grayscale image (w×h, values in
// [0, 1]), copied to three channels and resized bilinearly to Side.
func (c *Classifier) EmbedGray(pix []float32, w, h int) ([]float32, error) {
	small := ResizeBilinear(pix, w, h, 1, c.Side)
	rgb := make([]float32, len(small)*3)
	for i, v := range small {
		rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
	}
	e, _, err := c.Run(rgb)
	return e, err
}

// clone returns a classifier sharing c's constants with its own
// activation buffers, for another goroutine.
func (c *Classifier) clone() *Classifier {
	d := *c
	d.Net = &Net{M: c.Net.M, w: c.Net.w, act: map[int][]float32{}, shape: map[int][]int{}}
	return &d
}

// EmbedGrayAll embeds n grayscale images of w×h (image i from img(i)) on
// workers goroutines and returns the embeddings in order.
func (c *Classifier) EmbedGrayAll(n, w, h, workers int, img func(i int) []float32) ([][]float32, error) {
	out := make([][]float32, n)
	errs := make([]error, workers)
	next := make(chan int)
	done := make(chan struct{})
	for k := 0; k < workers; k++ {
		go func(k int) {
			cc := c.clone()
			for i := range next {
				if errs[k] == nil {
					out[i], errs[k] = cc.EmbedGray(img(i), w, h)
				}
			}
			done <- struct{}{}
		}(k)
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for k := 0; k < workers; k++ {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
