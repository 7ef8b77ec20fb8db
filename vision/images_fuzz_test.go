package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
)

// craftedPNG is a PNG of a few dozen bytes whose header claims w × h
// pixels: a valid signature and IHDR chunk, an empty IDAT and IEND.
func craftedPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func tinyPNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	img.Pix = []uint8{0, 51, 102, 153, 204, 255}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// A header claiming 100000 × 100000 pixels is refused before any pixel is
// decoded; a real image decodes to its hand-computed grey levels.
func TestDecodeGrayBounds(t *testing.T) {
	crafted := craftedPNG(100000, 100000)
	_, err := DecodeGray(bytes.NewReader(crafted))
	var se *ImageSizeError
	if !errors.As(err, &se) || se.W != 100000 || se.H != 100000 {
		t.Errorf("%d-byte PNG claiming 100000 × 100000: %v, want an *ImageSizeError", len(crafted), err)
	}
	g, err := DecodeGray(bytes.NewReader(tinyPNG()))
	if err != nil {
		t.Fatal(err)
	}
	if g.W != 3 || g.H != 2 || g.Pix[1] != 0.2 || g.Pix[5] != 1 {
		t.Errorf("decoded %d × %d %v, want 3 × 2 with 51/255 = 0.2 and 1", g.W, g.H, g.Pix)
	}
}

// FuzzDecodeGray: no input makes the image reader panic or decode an
// image beyond MaxImagePixels.
func FuzzDecodeGray(f *testing.F) {
	f.Add(tinyPNG())
	f.Add(craftedPNG(100000, 100000))
	f.Add(craftedPNG(4, 4))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := DecodeGray(bytes.NewReader(data))
		if err == nil && (g.W*g.H > MaxImagePixels || len(g.Pix) != g.W*g.H) {
			t.Fatalf("decoded %d × %d with %d values", g.W, g.H, len(g.Pix))
		}
	})
}
