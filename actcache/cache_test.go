package actcache

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/microstim/microstim/vision"
)

func randomActs(n int, seed uint64) *vision.Activations {
	r := rand.New(rand.NewPCG(seed, 1))
	rows := func(w int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = make([]float32, w)
			for j := range out[i] {
				out[i][j] = r.Float32()
			}
		}
		return out
	}
	a := &vision.Activations{Logits: rows(3)}
	a.Stages[1], a.Stages[3] = rows(5), rows(7)
	return a
}

// An entry reads back bit for bit; a damaged entry is a miss and is
// removed; an absent key is a miss.
func TestStoreLoad(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	a := randomActs(4, 1)
	key := Key("sha", [4]bool{false, true, false, true}, -1, []float32{1, 2, 3}, 1)
	if err := c.Store(key, a); err != nil {
		t.Fatal(err)
	}
	b, ok := c.Load(key)
	if !ok || !reflect.DeepEqual(a, b) {
		t.Fatalf("read back %v, %+v; want %+v", ok, b, a)
	}
	if _, ok := c.Load(Key("sha", [4]bool{false, true, false, true}, -1, []float32{1, 2, 4}, 1)); ok {
		t.Error("another input hit the entry")
	}
	data, _ := os.ReadFile(c.path(key))
	data[len(data)/2] ^= 1
	os.WriteFile(c.path(key), data, 0o644)
	if _, ok := c.Load(key); ok {
		t.Error("damaged entry loaded")
	}
	if _, err := os.Stat(c.path(key)); !os.IsNotExist(err) {
		t.Errorf("damaged entry kept: %v", err)
	}
}

// Keys differ with the model, the kept stages, the entry stage and every
// input value.
func TestKeyCoversInputs(t *testing.T) {
	base := Key("m", [4]bool{false, false, false, true}, -1, []float32{0.5, 0.25}, 1)
	for name, k := range map[string]string{
		"model": Key("n", [4]bool{false, false, false, true}, -1, []float32{0.5, 0.25}, 1),
		"keep":  Key("m", [4]bool{true, false, false, true}, -1, []float32{0.5, 0.25}, 1),
		"from":  Key("m", [4]bool{false, false, false, true}, 2, []float32{0.5, 0.25}, 1),
		"input": Key("m", [4]bool{false, false, false, true}, -1, []float32{0.5, 0.2500001}, 1),
		"n":     Key("m", [4]bool{false, false, false, true}, -1, []float32{0.5, 0.25}, 2),
	} {
		if k == base {
			t.Errorf("changing the %s leaves the key unchanged", name)
		}
	}
}

// Beyond MaxBytes the least recently used entries go first.
func TestEviction(t *testing.T) {
	dir := t.TempDir()
	a := randomActs(10, 2)
	data, _ := encode(a, "a")
	c, _ := Open(dir, int64(2*len(data)+10)) // room for two entries
	for _, k := range []string{"a", "b"} {
		if err := c.Store(k, a); err != nil {
			t.Fatal(err)
		}
	}
	old := filepath.Join(dir, "a"+suffix)
	past := mustTime(t, old).Add(-3600e9)
	os.Chtimes(old, past, past)
	os.Chtimes(filepath.Join(dir, "b"+suffix), past.Add(1e9), past.Add(1e9))
	if _, ok := c.Load("a"); !ok { // refreshes a: b is now the oldest
		t.Fatal("a missing")
	}
	if err := c.Store("c", a); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, err := os.Stat(filepath.Join(dir, k+suffix)); (err == nil) != want {
			t.Errorf("entry %s present = %v, want %v", k, err == nil, want)
		}
	}
}

func mustTime(t *testing.T, p string) time.Time {
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.ModTime()
}

// counting wraps a Cache and counts hits.
type counting struct {
	*Cache
	hits int
}

func (c *counting) Load(key string) (*vision.Activations, bool) {
	a, ok := c.Cache.Load(key)
	if ok {
		c.hits++
	}
	return a, ok
}

// A model run through the cache gives the network's own numbers, bit for
// bit; the second run is a hit; other images miss.
func TestModelRunUsesCache(t *testing.T) {
	a := vision.Arch{Input: 32, Channels: [4]int{4, 8, 8, 16}, Kernels: [4]int{3, 3, 3, 3}, Classes: []string{"a", "b"}}
	m, err := vision.NewModel(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([]*vision.Gray, 5)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range imgs {
		imgs[i] = &vision.Gray{W: 32, H: 32, Pix: make([]float32, 32*32)}
		for k := range imgs[i].Pix {
			imgs[i].Pix[k] = r.Float32()
		}
	}
	keep := [4]bool{false, true, false, true}
	want, err := m.Run(imgs, keep)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Open(t.TempDir(), 0)
	cc := &counting{Cache: c}
	m.UseStore(cc, "model-sha")
	for run := 0; run < 2; run++ {
		got, err := m.Run(imgs, keep)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d through the cache differs from the network", run)
		}
	}
	if cc.hits != 1 {
		t.Errorf("%d hits over two identical runs, want 1", cc.hits)
	}
	if _, err := m.Run(imgs[:4], keep); err != nil || cc.hits != 1 {
		t.Errorf("other images: hits %d, err %v", cc.hits, err)
	}
}

// An entry or blob file that holds another key's data — copied or linked
// under the wrong name — is reported, removed and missed, never loaded.
func TestEntryHoldingAnotherKey(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir, 0)
	var warned []string
	c.Warn = func(m string) { warned = append(warned, m) }
	ka := Key("sha", [4]bool{false, true, false, true}, -1, []float32{1}, 1)
	kb := Key("sha", [4]bool{false, true, false, true}, -1, []float32{2}, 1)
	kc := Key("sha", [4]bool{false, true, false, true}, -1, []float32{3}, 1)
	if err := c.Store(ka, randomActs(3, 1)); err != nil {
		t.Fatal(err)
	}
	if err := c.StoreBlob(ka, []byte("fitted readout of a")); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(c.path(ka))
	os.WriteFile(c.path(kb), data, 0o644) // copied
	os.Symlink(c.path(ka), c.path(kc))    // linked
	blob, _ := os.ReadFile(filepath.Join(dir, ka+blobSuffix))
	os.WriteFile(filepath.Join(dir, kb+blobSuffix), blob, 0o644)
	for _, k := range []string{kb, kc} {
		if _, ok := c.Load(k); ok {
			t.Errorf("key %.8s loaded another key's entry", k)
		}
		if _, err := os.Lstat(c.path(k)); !os.IsNotExist(err) {
			t.Errorf("key %.8s: the wrong entry was kept", k)
		}
	}
	if _, ok := c.LoadBlob(kb); ok {
		t.Error("a blob holding another key was loaded")
	}
	if _, ok := c.Load(ka); !ok {
		t.Error("the right entry was lost")
	}
	if len(warned) != 3 || !strings.Contains(warned[0], "another key") && !strings.Contains(warned[0], "holds the data of key") {
		t.Errorf("warnings %q, want three naming the mismatch", warned)
	}
}

// A cache that cannot be written warns once and the run goes on: Store
// returns nil and stores nothing more.
func TestUnwritableCacheGoesOn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	c.Warn = func(m string) { warned = append(warned, m) }
	os.RemoveAll(dir)
	os.WriteFile(dir, []byte("not a folder"), 0o644) // every write now fails
	for i := 0; i < 3; i++ {
		if err := c.Store(Key("m", [4]bool{}, -1, []float32{float32(i)}, 1), randomActs(2, 1)); err != nil {
			t.Fatalf("Store on an unwritable cache: %v, want nil (the run goes on)", err)
		}
	}
	if !c.ReadOnly || len(warned) != 1 {
		t.Errorf("read-only %v after %d warnings, want read-only after one", c.ReadOnly, len(warned))
	}
}

// A read-only mount opens ReadOnly with a warning (needs root and mount).
func TestReadOnlyMountOpens(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o755)
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "ro", "tmpfs", ro).Run(); err != nil {
		t.Skip("cannot mount a read-only tmpfs here:", err)
	}
	defer exec.Command("umount", ro).Run()
	c, err := Open(ro, 0)
	if err != nil || !c.ReadOnly {
		t.Fatalf("Open(read-only mount): %+v, %v; want a read-only cache", c, err)
	}
	if err := c.Store("k", randomActs(2, 1)); err != nil {
		t.Errorf("Store: %v", err)
	}
}

// Temporary files of killed writers are removed by Open and counted; a
// live writer's temporary file counts against MaxBytes.
func TestStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".abc.act.tmp123")
	live := filepath.Join(dir, ".def.act.tmp456")
	os.WriteFile(stale, make([]byte, 1000), 0o644)
	os.WriteFile(live, make([]byte, 1000), 0o644)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(stale, past, past)
	c, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.StaleTemps != 1 {
		t.Errorf("StaleTemps %d, want 1", c.StaleTemps)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temp file kept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live writer's temp file was removed")
	}
	a := randomActs(2, 1)
	data, _ := encode(a, "k1")
	c.MaxBytes = int64(len(data) + 500) // room for the entry alone, not with the live temp file
	c.Store("k1", a)
	if _, err := os.Stat(c.path("k1")); !os.IsNotExist(err) {
		t.Error("the live temp file was not counted against MaxBytes")
	}
}
