package vision

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	_ "image/jpeg" // decoders for image folders
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/microstim/microstim/resultdir"
)

// Input normalisation applied to pixel values in [0, 1] before the network.
const (
	PixelMean = 0.5
	PixelStd  = 0.25
)

// Gray is a grayscale image with values in [0, 1], row-major.
type Gray struct {
	W, H int
	Pix  []float32
}

// MaxImagePixels bounds the images DecodeGray accepts (width × height):
// 40 megapixels, far above any stimulus, far below what would exhaust
// memory. The header is checked before the pixels are decoded.
const MaxImagePixels = 40_000_000

// ImageSizeError is an image whose header claims more pixels than
// MaxImagePixels (or none).
type ImageSizeError struct {
	W, H int
}

func (e *ImageSizeError) Error() string {
	return fmt.Sprintf("image header claims %d × %d pixels; want 1 to %d pixels", e.W, e.H, MaxImagePixels)
}

// LoadGray decodes a JPEG or PNG file into grayscale (ITU-R BT.601 luma).
func LoadGray(path string) (*Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := DecodeGray(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// DecodeGray decodes a JPEG or PNG into grayscale after checking its
// header's size against MaxImagePixels, so a crafted header cannot make
// the decoder allocate beyond the bound.
func DecodeGray(r io.Reader) (*Gray, error) {
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, err
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, &ImageSizeError{W: cfg.Width, H: cfg.Height}
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, err
	}
	return ToGray(img), nil
}

// ToGray converts any image to grayscale in [0, 1].
func ToGray(img image.Image) *Gray {
	b := img.Bounds()
	g := &Gray{W: b.Dx(), H: b.Dy(), Pix: make([]float32, b.Dx()*b.Dy())}
	if gi, ok := img.(*image.Gray); ok {
		for y := 0; y < g.H; y++ {
			for x := 0; x < g.W; x++ {
				g.Pix[y*g.W+x] = float32(gi.Pix[(y)*gi.Stride+x]) / 255
			}
		}
		return g
	}
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			g.Pix[y*g.W+x] = float32((0.299*float64(r) + 0.587*float64(gg) + 0.114*float64(bb)) / 65535)
		}
	}
	return g
}

// CropCentre returns the centred crop of fraction frac of each side.
func (g *Gray) CropCentre(frac float64) *Gray {
	w, h := int(math.Round(float64(g.W)*frac)), int(math.Round(float64(g.H)*frac))
	return g.Crop((g.W-w)/2, (g.H-h)/2, w, h)
}

// Crop returns the w×h sub-image at (x0, y0).
func (g *Gray) Crop(x0, y0, w, h int) *Gray {
	out := &Gray{W: w, H: h, Pix: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		copy(out.Pix[y*w:(y+1)*w], g.Pix[(y0+y)*g.W+x0:(y0+y)*g.W+x0+w])
	}
	return out
}

// SquareResize scales the shorter side to side pixels with area averaging
// and takes the centred side×side crop.
func (g *Gray) SquareResize(side int) *Gray {
	s := min(g.W, g.H)
	sq := g.Crop((g.W-s)/2, (g.H-s)/2, s, s)
	return sq.Resize(side, side)
}

// Resize resamples to w×h by area averaging (box filter over the exact
// source footprint of each destination pixel).
func (g *Gray) Resize(w, h int) *Gray {
	out := &Gray{W: w, H: h, Pix: make([]float32, w*h)}
	sx, sy := float64(g.W)/float64(w), float64(g.H)/float64(h)
	for y := 0; y < h; y++ {
		y0, y1 := float64(y)*sy, float64(y+1)*sy
		for x := 0; x < w; x++ {
			x0, x1 := float64(x)*sx, float64(x+1)*sx
			var sum, area float64
			for yy := int(y0); yy < int(math.Ceil(y1)) && yy < g.H; yy++ {
				fy := math.Min(y1, float64(yy+1)) - math.Max(y0, float64(yy))
				for xx := int(x0); xx < int(math.Ceil(x1)) && xx < g.W; xx++ {
					fx := math.Min(x1, float64(xx+1)) - math.Max(x0, float64(xx))
					a := fx * fy
					sum += a * float64(g.Pix[yy*g.W+xx])
					area += a
				}
			}
			out.Pix[y*w+x] = float32(sum / area)
		}
	}
	return out
}

// Item is one labelled image file in a folder of category folders.
type Item struct {
	Path     string // file path
	Rel      string // "category/file", the key of the held-out split
	Category string
}

// ListFolder lists the images of a folder of category folders, sorted by
// Rel. Files other than .jpg, .jpeg and .png are ignored, and so are
// folders that are not categories: hidden ones (".name") and microstim's
// result folders, finished or being written (a run's --out inside the set
// never becomes a category of the next run).
func ListFolder(root string) ([]Item, error) {
	cats, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	var items []Item
	for _, c := range cats {
		if !c.IsDir() || !isCategoryFolder(root, c.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, c.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			ext := strings.ToLower(filepath.Ext(f.Name()))
			if f.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") {
				continue
			}
			items = append(items, Item{Path: filepath.Join(root, c.Name(), f.Name()), Rel: c.Name() + "/" + f.Name(), Category: c.Name()})
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("image folder %s: no category folders with .jpg/.png images", root)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Rel < items[j].Rel })
	return items, nil
}

// isCategoryFolder reports whether root/name may be a category: not
// hidden, not a result folder (resultdir.Marker) and not a result folder's
// staging or swap folder.
func isCategoryFolder(root, name string) bool {
	if strings.HasPrefix(name, ".") || strings.Contains(name, ".incomplete-") || strings.Contains(name, ".replaced-") {
		return false
	}
	return !resultdir.IsResult(filepath.Join(root, name))
}

// SplitKey is the FNV-1a 64-bit hash of an item's Rel path. The held-out
// split ranks each category's files by this key.
func SplitKey(rel string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()
}

// Split divides items into training and held-out sets: within each
// category the files are ranked by SplitKey and the first
// round(frac·n) are held out, where frac is fracs[category] if present and
// def otherwise. The split depends only on file names, not on listing order
// or on other categories.
func Split(items []Item, def float64, fracs map[string]float64) (train, heldout []Item) {
	by := map[string][]Item{}
	var cats []string
	for _, it := range items {
		if _, ok := by[it.Category]; !ok {
			cats = append(cats, it.Category)
		}
		by[it.Category] = append(by[it.Category], it)
	}
	sort.Strings(cats)
	for _, c := range cats {
		list := by[c]
		sort.Slice(list, func(i, j int) bool {
			ki, kj := SplitKey(list[i].Rel), SplitKey(list[j].Rel)
			if ki != kj {
				return ki < kj
			}
			return list[i].Rel < list[j].Rel
		})
		f, ok := fracs[c]
		if !ok {
			f = def
		}
		k := int(math.Round(f * float64(len(list))))
		heldout = append(heldout, list[:k]...)
		train = append(train, list[k:]...)
	}
	sort.Slice(train, func(i, j int) bool { return train[i].Rel < train[j].Rel })
	sort.Slice(heldout, func(i, j int) bool { return heldout[i].Rel < heldout[j].Rel })
	return train, heldout
}

// InHemifield returns a frame of g's size filled with bg, with g shrunk by
// scale (side fraction, at most one half) and centred in the left (or, if
// right, the right) half of the frame, vertically centred: how the
// hemifield tasks show an image (Afraz et al. 2015; Rajalingham & DiCarlo
// 2019), and how training shows a fraction of its images.
func (g *Gray) InHemifield(right bool, scale float64, bg float32) *Gray {
	out := &Gray{W: g.W, H: g.H, Pix: make([]float32, g.W*g.H)}
	for i := range out.Pix {
		out.Pix[i] = bg
	}
	s := min(int(math.Round(float64(g.W)*scale)), g.W/2)
	if s < 1 {
		return out
	}
	small := g.Resize(s, s)
	x0, y0 := (g.W/2-s)/2, (g.H-s)/2
	if right {
		x0 += g.W / 2
	}
	for y := 0; y < s; y++ {
		copy(out.Pix[(y0+y)*out.W+x0:(y0+y)*out.W+x0+s], small.Pix[y*s:(y+1)*s])
	}
	return out
}
