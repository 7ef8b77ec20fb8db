package actcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

// DefaultMaxBytes bounds a cache folder (2 GiB).
const DefaultMaxBytes = 2 << 30

// Cache is a folder of activation entries.
type Cache struct {
	Dir      string
	MaxBytes int64 // evict oldest entries beyond this total (0: DefaultMaxBytes)
	// Warn receives what the cache found wrong (a damaged entry, an entry
	// holding another key, a folder it cannot write); nil: standard error.
	Warn func(msg string)
	// ReadOnly is set when the folder cannot be written: entries are still
	// read (each checked against its key) and nothing is stored.
	ReadOnly bool
	// StaleTemps counts the temporary files of killed writers that Open
	// removed.
	StaleTemps int
}

// staleAfter: a temporary file older than this is a killed writer's.
const staleAfter = 10 * time.Minute

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

// Open makes the folder if needed and removes the temporary files of
// killed writers. A folder that exists but cannot be written opens
// ReadOnly, with a warning.
func Open(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	c := &Cache{Dir: dir, MaxBytes: maxBytes}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("activation cache: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		c.ReadOnly = true
		c.warn(fmt.Sprintf("activation cache %s is not writable (%v): reading its entries, storing none", dir, unwrapPath(err)))
		return c, nil
	}
	probe.Close()
	os.Remove(probe.Name())
	c.StaleTemps = c.removeStaleTemps()
	return c, nil
}

const (
	magic      = "MSACT2\n"
	blobMagic  = "MSBLOB2\n"
	suffix     = ".act"
	blobSuffix = ".blob"
	maxKeyLen  = 256 // Key gives 64 hex digits
)

func (c *Cache) warn(msg string) {
	if c.Warn != nil {
		c.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, "warning: "+msg)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// removeStaleTemps removes temporary files older than staleAfter.
func (c *Cache) removeStaleTemps() int {
	ents, _ := os.ReadDir(c.Dir)
	n := 0
	for _, e := range ents {
		if info, err := e.Info(); err == nil && resultdir.IsTemp(e.Name()) && time.Since(info.ModTime()) > staleAfter {
			if os.Remove(filepath.Join(c.Dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

// reject removes a bad entry and says why; the caller recomputes it.
func (c *Cache) reject(p string, err error) {
	if os.Remove(p) == nil || c.ReadOnly {
		c.warn(fmt.Sprintf("activation cache: %s: %v; recomputing it", filepath.Base(p), err))
	}
}

// failedStore turns the cache read-only after a write fails, with one
// warning: the run goes on without storing.
func (c *Cache) failedStore(err error) error {
	c.ReadOnly = true
	c.warn(fmt.Sprintf("activation cache %s: cannot store (%v): the run goes on, storing nothing more", c.Dir, unwrapPath(err)))
	return nil
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+suffix) }

// Load returns the entry for key (false when absent: the caller
// recomputes). An entry that is damaged, or holds another key's data (a
// copied or linked file), is reported, removed and missed. A hit refreshes
// the entry's age.
func (c *Cache) Load(key string) (*vision.Activations, bool) {
	p := c.path(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	a, err := decode(data, key)
	if err != nil {
		c.reject(p, err)
		return nil, false
	}
	c.touch(p)
	return a, true
}

func (c *Cache) touch(p string) {
	if !c.ReadOnly {
		now := time.Now()
		os.Chtimes(p, now, now)
	}
}

// Store writes the entry for key atomically, then evicts the oldest
// entries while the folder exceeds MaxBytes. A cache that cannot be
// written warns once and stores nothing more; the run goes on.
func (c *Cache) Store(key string, a *vision.Activations) error {
	if c.ReadOnly {
		return nil
	}
	data, err := encode(a, key)
	if err != nil {
		return err
	}
	if int64(len(data)) > c.MaxBytes {
		return nil // larger than the whole cache: not kept
	}
	if err := resultdir.WriteFile(c.path(key), data); err != nil {
		return c.failedStore(err)
	}
	return c.evict()
}

// LoadBlob returns the bytes stored under key (false when absent), for
// results derived from activations, such as fitted readouts. A blob that
// is damaged or holds another key is reported, removed and missed.
func (c *Cache) LoadBlob(key string) ([]byte, bool) {
	p := filepath.Join(c.Dir, key+blobSuffix)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	body, err := checkFramed(data, blobMagic, key)
	if err != nil {
		c.reject(p, err)
		return nil, false
	}
	c.touch(p)
	return body, true
}

// StoreBlob writes data under key atomically (framed by its key and a
// SHA-256 trailer), then evicts as Store does.
func (c *Cache) StoreBlob(key string, data []byte) error {
	if c.ReadOnly {
		return nil
	}
	if err := resultdir.WriteFile(filepath.Join(c.Dir, key+blobSuffix), frame(blobMagic, key, data)); err != nil {
		return c.failedStore(err)
	}
	return c.evict()
}

// frame is magic, key, newline, body and the SHA-256 of all of it.
func frame(magic, key string, body []byte) []byte {
	out := make([]byte, 0, len(magic)+len(key)+1+len(body)+sha256.Size)
	out = append(append(append(append(out, magic...), key...), '\n'), body...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// checkFramed returns the body of a framed file, checking its magic, its
// checksum and that it holds key.
func checkFramed(data []byte, magic, key string) ([]byte, error) {
	if len(data) < len(magic)+1+sha256.Size || string(data[:len(magic)]) != magic {
		return nil, errDamaged
	}
	all, trailer := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if sum := sha256.Sum256(all); !bytes.Equal(sum[:], trailer) {
		return nil, errDamaged
	}
	rest := all[len(magic):]
	end := bytes.IndexByte(rest[:min(len(rest), maxKeyLen+1)], '\n')
	if end < 0 {
		return nil, errDamaged
	}
	if got := string(rest[:end]); got != key {
		return nil, &KeyMismatchError{Want: key, Got: got}
	}
	return rest[end+1:], nil
}

// KeyMismatchError is an entry that holds another key's data.
type KeyMismatchError struct{ Want, Got string }

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("entry holds the data of key %.12s…, not %.12s…", e.Got, e.Want)
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
		temp := resultdir.IsTemp(e.Name())
		if !temp && !strings.HasSuffix(e.Name(), suffix) && !strings.HasSuffix(e.Name(), blobSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed by another process
		}
		total += info.Size() // a live writer's temporary file counts, and is never evicted
		if !temp {
			list = append(list, entry{filepath.Join(c.Dir, e.Name()), info.Size(), info.ModTime()})
		}
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

// encode frames (magic, key) the image count, class count, units per stage
// (0 when not kept) and the float32 values (stages, then logits).
func encode(a *vision.Activations, key string) ([]byte, error) {
	n := len(a.Logits)
	var b bytes.Buffer
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
	return frame(magic, key, b.Bytes()), nil
}

var errDamaged = errors.New("damaged, or written by an older microstim")

func decode(data []byte, key string) (*vision.Activations, error) {
	const hdrLen = 6 * 4
	body, err := checkFramed(data, magic, key)
	if err != nil {
		return nil, err
	}
	if len(body) < hdrLen {
		return nil, errDamaged
	}
	var hdr [6]uint32
	for i := range hdr {
		hdr[i] = binary.LittleEndian.Uint32(body[4*i:])
	}
	n, classes := int(hdr[0]), int(hdr[1])
	want := int64(0)
	for _, w := range hdr[1:] {
		if int64(w) > int64(len(body)) || int64(n) > int64(len(body)) {
			return nil, errDamaged
		}
		want += int64(n) * int64(w)
	}
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
