package vision

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/microstim/microstim/topography"
	"gorgonia.org/tensor"
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
	m := &Model{Arch: h.Arch, Params: NewParams(h.Arch, 0)}
	named := m.Params.Named()
	if len(named) != len(h.Tensors) {
		return fail("architecture needs %d tensors, header lists %d", len(named), len(h.Tensors))
	}
	body := 0
	for i, th := range h.Tensors {
		if th.Name != named[i].Name || !tensor.Shape(th.Shape).Eq(named[i].T.Shape()) {
			return fail("tensor %d is %s %v, architecture wants %s %v", i, th.Name, th.Shape, named[i].Name, named[i].T.Shape())
		}
		body += 4 * named[i].T.Shape().TotalSize()
	}
	if len(h.Layouts) != 4 {
		return fail("%d layouts, want 4", len(h.Layouts))
	}
	for s, lh := range h.Layouts {
		side := h.Arch.MapSize(s)
		if lh.Stage != StageNames[s] || lh.Channels != h.Arch.Channels[s] || lh.Rows != side || lh.Cols != side {
			return fail("layout %d is %s %d×%d×%d, architecture wants %s %d×%d×%d", s, lh.Stage, lh.Channels, lh.Rows, lh.Cols, StageNames[s], h.Arch.Channels[s], side, side)
		}
		body += 8 * (2*lh.Channels + 2*h.Arch.Units(s))
	}
	want := 12 + hl + body + sha256.Size
	if len(data) < want {
		return fail("truncated: %d bytes, header describes %d", len(data), want)
	}
	if len(data) > want {
		return fail("%d bytes, header describes %d (trailing data)", len(data), want)
	}
	sum := sha256.Sum256(data[:want-sha256.Size])
	if !bytes.Equal(sum[:], data[want-sha256.Size:]) {
		return fail("checksum mismatch: the file is corrupt (SHA-256 of the content does not match the stored one)")
	}
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
	fs := sha256.Sum256(data)
	return m, h.Meta, hex.EncodeToString(fs[:]), nil
}

// Load reads a weight file from disk. A training checkpoint
// (checkpoint.gob) is accepted too: its current weights are loaded.
func Load(path string) (*Model, map[string]string, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("weight file: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(weightsMagic)) {
		var ck checkpoint
		if gob.NewDecoder(bytes.NewReader(data)).Decode(&ck) == nil && len(ck.Weights) > 0 {
			return Decode(path+" (checkpoint)", ck.Weights)
		}
	}
	return Decode(path, data)
}

// Save writes the model atomically (temporary file, then rename).
func (m *Model) Save(path string, meta map[string]string) error {
	b, err := m.Encode(meta)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// WriteFileAtomic writes data to a temporary file in path's folder, syncs
// it and renames it over path, so readers see the old or the new file, never
// a partial one.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	merr := f.Chmod(0o644)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, merr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
