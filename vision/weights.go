package vision

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"gorgonia.org/tensor"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/topography"
)

// Weight file layout (version 1), all little-endian:
//
//	"MSTW" | u32 version | u32 header length | header (JSON) |
//	tensors: float32 data in header order |
//	layouts: per stage, channel offsets then X_mm then Y_mm as float64 |
//	SHA-256 of everything before it (32 bytes)
const (
	weightsMagic   = "MSTW"
	WeightsVersion = 1
)

// header is the JSON header of a weight file.
type header struct {
	Arch    Arch              `json:"arch"`
	Tensors []tensorHeader    `json:"tensors"`
	Layouts []layoutHeader    `json:"layouts"`
	Meta    map[string]string `json:"meta"`
}

type tensorHeader struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type layoutHeader struct {
	Stage    string           `json:"stage"`
	Channels int              `json:"channels"`
	Rows     int              `json:"rows"`
	Cols     int              `json:"cols"`
	Sheet    topography.Sheet `json:"sheet"`
}

// Encode serialises the model with its metadata (free-form key/values such
// as the training seed) into the version-1 weight format.
func (m *Model) Encode(meta map[string]string) ([]byte, error) {
	h := header{Arch: m.Arch, Meta: meta}
	for _, nt := range m.Params.Named() {
		h.Tensors = append(h.Tensors, tensorHeader{nt.Name, []int(nt.T.Shape().Clone())})
	}
	for _, l := range m.Layouts {
		h.Layouts = append(h.Layouts, layoutHeader{l.Stage, l.Channels, l.Rows, l.Cols, l.Sheet})
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString(weightsMagic)
	binary.Write(&b, le, uint32(WeightsVersion))
	binary.Write(&b, le, uint32(len(hj)))
	b.Write(hj)
	for _, nt := range m.Params.Named() {
		binary.Write(&b, le, Data(nt.T))
	}
	for _, l := range m.Layouts {
		for _, o := range l.Offset {
			binary.Write(&b, le, o[:])
		}
		binary.Write(&b, le, l.X_mm)
		binary.Write(&b, le, l.Y_mm)
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

// Decode reads a version-1 weight file. name labels errors (usually the
// file path). It returns the model, its metadata and the file's SHA-256
// (hex, of the whole file).
func Decode(name string, data []byte) (*Model, map[string]string, string, error) {
	fail := func(format string, a ...any) (*Model, map[string]string, string, error) {
		return nil, nil, "", fmt.Errorf("weight file %s: %s", name, fmt.Sprintf(format, a...))
	}
	if len(data) < 12+sha256.Size {
		return fail("truncated: %d bytes, too short for a header", len(data))
	}
	if string(data[:4]) != weightsMagic {
		return fail("not a microstim weight file (magic %q, want %q)", data[:4], weightsMagic)
	}
	le := binary.LittleEndian
	if v := le.Uint32(data[4:8]); v != WeightsVersion {
		return fail("format version %d, this program reads version %d", v, WeightsVersion)
	}
	hl := int(le.Uint32(data[8:12]))
	if 12+hl+sha256.Size > len(data) {
		return fail("truncated: header of %d bytes but the file has %d", hl, len(data))
	}
	var h header
	if err := json.Unmarshal(data[12:12+hl], &h); err != nil {
		return fail("corrupt header: %v", err)
	}
	if err := h.Arch.Validate(); err != nil {
		return fail("header: %v", err)
	}
	// Every size is checked against the file before anything is allocated.
	shapes := h.Arch.TensorShapes()
	if len(shapes) != len(h.Tensors) {
		return fail("architecture needs %d tensors, header lists %d", len(shapes), len(h.Tensors))
	}
	body := int64(0)
	for i, th := range h.Tensors {
		if th.Name != shapes[i].Name || !tensor.Shape(th.Shape).Eq(tensor.Shape(shapes[i].Shape)) {
			return fail("tensor %d is %s %v, architecture wants %s %v", i, th.Name, th.Shape, shapes[i].Name, shapes[i].Shape)
		}
	}
	body += 4 * h.Arch.ParamCount()
	if len(h.Layouts) != 4 {
		return fail("%d layouts, want 4", len(h.Layouts))
	}
	for s, lh := range h.Layouts {
		side := h.Arch.MapSize(s)
		if lh.Stage != StageNames[s] || lh.Channels != h.Arch.Channels[s] || lh.Rows != side || lh.Cols != side {
			return fail("layout %d is %s %d×%d×%d, architecture wants %s %d×%d×%d", s, lh.Stage, lh.Channels, lh.Rows, lh.Cols, StageNames[s], h.Arch.Channels[s], side, side)
		}
		if !(lh.Sheet.Width_mm > 0 && lh.Sheet.Width_mm <= 1000 && lh.Sheet.Height_mm > 0 && lh.Sheet.Height_mm <= 1000) {
			return fail("layout %s: sheet %g × %g mm: want sides in (0, 1000] mm", lh.Stage, lh.Sheet.Width_mm, lh.Sheet.Height_mm)
		}
		body += 8 * int64(2*lh.Channels+2*h.Arch.Units(s))
	}
	want := int64(12+hl) + body + sha256.Size
	if int64(len(data)) < want {
		return fail("truncated: %d bytes, header describes %d", len(data), want)
	}
	if int64(len(data)) > want {
		return fail("%d bytes, header describes %d (trailing data)", len(data), want)
	}
	sum := sha256.Sum256(data[:want-sha256.Size])
	if !bytes.Equal(sum[:], data[want-sha256.Size:]) {
		return fail("checksum mismatch: the file is corrupt (SHA-256 of the content does not match the stored one)")
	}
	m := &Model{Arch: h.Arch, Params: NewParams(h.Arch, 0)}
	named := m.Params.Named()
	r := bytes.NewReader(data[12+hl : want-sha256.Size])
	for _, nt := range named {
		if err := binary.Read(r, le, Data(nt.T)); err != nil {
			return fail("tensor %s: %v", nt.Name, err)
		}
	}
	for s, lh := range h.Layouts {
		l := &topography.Layout{Stage: lh.Stage, Channels: lh.Channels, Rows: lh.Rows, Cols: lh.Cols, Sheet: lh.Sheet,
			Offset: make([][2]float64, lh.Channels)}
		n := l.Units()
		l.X_mm, l.Y_mm, l.Hemi = make([]float64, n), make([]float64, n), make([]topography.Hemisphere, n)
		for c := range l.Offset {
			if err := binary.Read(r, le, l.Offset[c][:]); err != nil {
				return fail("layout %s: %v", lh.Stage, err)
			}
		}
		if err := binary.Read(r, le, l.X_mm); err != nil {
			return fail("layout %s: %v", lh.Stage, err)
		}
		if err := binary.Read(r, le, l.Y_mm); err != nil {
			return fail("layout %s: %v", lh.Stage, err)
		}
		for i := range l.Hemi {
			_, col := l.Cell(i)
			l.Hemi[i] = l.HemisphereOfCol(col)
		}
		m.Layouts[s] = l
	}
	for _, nt := range named {
		for _, v := range Data(nt.T) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fail("tensor %s holds NaN or Inf", nt.Name)
			}
		}
	}
	for _, l := range m.Layouts {
		for i := range l.X_mm {
			if math.IsNaN(l.X_mm[i]) || math.IsInf(l.X_mm[i], 0) || math.IsNaN(l.Y_mm[i]) || math.IsInf(l.Y_mm[i], 0) {
				return fail("layout %s: unit %d has no finite position", l.Stage, i)
			}
		}
	}
	fs := sha256.Sum256(data)
	return m, h.Meta, hex.EncodeToString(fs[:]), nil
}

// Load reads a weight file from disk. A training checkpoint
// (checkpoint.gob) is accepted too: its current weights are loaded.
func Load(path string) (*Model, map[string]string, string, error) {
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		return nil, nil, "", fmt.Errorf("weight file %s: not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("weight file: %w", err)
	}
	return DecodeFile(path, data)
}

// DecodeFile decodes the content of a weight file or of a training
// checkpoint (whose current weights it returns).
func DecodeFile(name string, data []byte) (*Model, map[string]string, string, error) {
	if !bytes.HasPrefix(data, []byte(weightsMagic)) && gobFramesFit(data) {
		var ck checkpoint
		if gob.NewDecoder(bytes.NewReader(data)).Decode(&ck) == nil && len(ck.Weights) > 0 {
			return Decode(name+" (checkpoint)", ck.Weights)
		}
	}
	return Decode(name, data)
}

// gobFramesFit reports whether every message of a gob stream claims no more
// bytes than the stream holds, so decoding a crafted file cannot allocate
// more than its size.
func gobFramesFit(data []byte) bool {
	for len(data) > 0 {
		n, w := uint64(data[0]), 1
		if n >= 0x80 { // a negated byte count, then the big-endian value
			k := int(-int8(data[0]))
			if k < 1 || k > 8 || len(data) < 1+k {
				return false
			}
			n = 0
			for _, b := range data[1 : 1+k] {
				n = n<<8 | uint64(b)
			}
			w = 1 + k
		}
		if n > uint64(len(data)-w) {
			return false
		}
		data = data[w+int(n):]
	}
	return true
}

// Save writes the model atomically (temporary file, then rename).
func (m *Model) Save(path string, meta map[string]string) error {
	b, err := m.Encode(meta)
	if err != nil {
		return err
	}
	return resultdir.WriteFile(path, b)
}
