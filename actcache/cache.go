package actcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/microstim/microstim/vision"
)

// DefaultMaxBytes bounds a cache folder (2 GiB).
const DefaultMaxBytes = 2 << 30

// Cache is a folder of activation entries.
type Cache struct {
	Dir      string
	MaxBytes int64 // evict oldest entries beyond this total (0: DefaultMaxBytes)
}

// DefaultDir is the user's cache folder for activations
// ($XDG_CACHE_HOME/microstim/activations or ~/.cache/…), or
// $MICROSTIM_CACHE_DIR when set.
func DefaultDir() (string, error) {
	if d := os.Getenv("MICROSTIM_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("activation cache: %w", err)
	}
	return filepath.Join(d, "microstim", "activations"), nil
}

// Open makes the folder if needed.
func Open(dir string, maxBytes int64) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("activation cache: %w", err)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Cache{Dir: dir, MaxBytes: maxBytes}, nil
}

const (
	magic      = "MSACT1\n"
	suffix     = ".act"
	blobSuffix = ".blob"
)

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+suffix) }

// Load returns the entry for key (false when absent, damaged or
// unreadable: the caller recomputes). A hit refreshes the entry's age.
func (c *Cache) Load(key string) (*vision.Activations, bool) {
	p := c.path(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	a, err := decode(data)
	if err != nil {
		os.Remove(p) // damaged: recompute and rewrite
		return nil, false
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return a, true
}

// Store writes the entry for key atomically, then evicts the oldest
// entries while the folder exceeds MaxBytes.
func (c *Cache) Store(key string, a *vision.Activations) error {
	data, err := encode(a)
	if err != nil {
		return err
	}
	if int64(len(data)) > c.MaxBytes {
		return nil // larger than the whole cache: not kept
	}
	if err := vision.WriteFileAtomic(c.path(key), data); err != nil {
		return fmt.Errorf("activation cache: %w", err)
	}
	return c.evict()
}

// LoadBlob returns the bytes stored under key (false when absent or
// damaged), for results derived from activations, such as fitted readouts.
func (c *Cache) LoadBlob(key string) ([]byte, bool) {
	p := filepath.Join(c.Dir, key+blobSuffix)
	data, err := os.ReadFile(p)
	if err != nil || len(data) < sha256.Size {
		return nil, false
	}
	body := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], data[len(body):]) {
		os.Remove(p)
		return nil, false
	}
	now := time.Now()
	os.Chtimes(p, now, now)
	return body, true
}

// StoreBlob writes data under key atomically (with a SHA-256 trailer),
// then evicts as Store does.
func (c *Cache) StoreBlob(key string, data []byte) error {
	sum := sha256.Sum256(data)
	if err := vision.WriteFileAtomic(filepath.Join(c.Dir, key+blobSuffix), append(append([]byte(nil), data...), sum[:]...)); err != nil {
		return fmt.Errorf("activation cache: %w", err)
	}
	return c.evict()
}

// evict removes the least recently used entries beyond MaxBytes.
func (c *Cache) evict() error {
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return err
	}
	type entry struct {
		path string
		size int64
		mod  time.Time
	}
	var list []entry
	var total int64
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), suffix) && !strings.HasSuffix(e.Name(), blobSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed by another process
		}
		list = append(list, entry{filepath.Join(c.Dir, e.Name()), info.Size(), info.ModTime()})
		total += info.Size()
	}
	sort.Slice(list, func(i, j int) bool { return list[i].mod.Before(list[j].mod) })
	for _, e := range list {
		if total <= c.MaxBytes {
			break
		}
		if err := os.Remove(e.path); err == nil || errors.Is(err, os.ErrNotExist) {
			total -= e.size
		}
	}
	return nil
}

// Key implements vision.ActivationStore with the package's Key.
func (c *Cache) Key(modelSHA string, keep [4]bool, from int, input []float32, n int) string {
	return Key(modelSHA, keep, from, input, n)
}

// Key is the content key of a run: the model's SHA-256, the stages kept,
// the stage the input enters after (−1 for images) and the input values.
func Key(modelSHA string, keep [4]bool, from int, input []float32, n int) string {
	h := sha256.New()
	fmt.Fprintf(h, "microstim activations v1\nmodel %s\nkeep %v\nfrom %d\nn %d\n", modelSHA, keep, from, n)
	var b [4]byte
	buf := make([]byte, 0, 1<<16)
	for _, v := range input {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		buf = append(buf, b[:]...)
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// encode: magic, image count, class count, units per stage (0 when not
// kept), the float32 values (stages, then logits), SHA-256 of all that.
func encode(a *vision.Activations) ([]byte, error) {
	n := len(a.Logits)
	var b bytes.Buffer
	b.WriteString(magic)
	classes := 0
	if n > 0 {
		classes = len(a.Logits[0])
	}
	hdr := []uint32{uint32(n), uint32(classes)}
	for s := 0; s < 4; s++ {
		u := 0
		if a.Stages[s] != nil {
			if len(a.Stages[s]) != n {
				return nil, fmt.Errorf("activation cache: stage %d has %d images, logits %d", s, len(a.Stages[s]), n)
			}
			if n > 0 {
				u = len(a.Stages[s][0])
			}
		}
		hdr = append(hdr, uint32(u))
	}
	binary.Write(&b, binary.LittleEndian, hdr)
	var w [4]byte
	put := func(rows [][]float32, width int) error {
		for _, r := range rows {
			if len(r) != width {
				return fmt.Errorf("activation cache: ragged rows (%d, want %d)", len(r), width)
			}
			for _, v := range r {
				binary.LittleEndian.PutUint32(w[:], math.Float32bits(v))
				b.Write(w[:])
			}
		}
		return nil
	}
	for s := 0; s < 4; s++ {
		if a.Stages[s] != nil {
			if err := put(a.Stages[s], int(hdr[2+s])); err != nil {
				return nil, err
			}
		}
	}
	if err := put(a.Logits, classes); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

var errDamaged = errors.New("activation cache: damaged entry")

func decode(data []byte) (*vision.Activations, error) {
	const hdrLen = len(magic) + 6*4
	if len(data) < hdrLen+sha256.Size || string(data[:len(magic)]) != magic {
		return nil, errDamaged
	}
	body, trailer := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], trailer) {
		return nil, errDamaged
	}
	var hdr [6]uint32
	for i := range hdr {
		hdr[i] = binary.LittleEndian.Uint32(body[len(magic)+4*i:])
	}
	n, classes := int(hdr[0]), int(hdr[1])
	want := int64(0)
	for s := 0; s < 4; s++ {
		want += int64(n) * int64(hdr[2+s])
	}
	want += int64(n) * int64(classes)
	if int64(len(body)-hdrLen) != 4*want {
		return nil, errDamaged
	}
	off := hdrLen
	get := func(width int) [][]float32 {
		rows := make([][]float32, n)
		flat := make([]float32, n*width)
		for i := range flat {
			flat[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[off+4*i:]))
		}
		off += 4 * len(flat)
		for i := range rows {
			rows[i] = flat[i*width : (i+1)*width : (i+1)*width]
		}
		return rows
	}
	a := &vision.Activations{}
	for s := 0; s < 4; s++ {
		if hdr[2+s] > 0 {
			a.Stages[s] = get(int(hdr[2+s]))
		}
	}
	a.Logits = get(classes)
	return a, nil
}
