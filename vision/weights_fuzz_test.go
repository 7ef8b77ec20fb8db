package vision

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
)

// reheader rewrites a weight file's JSON header with edit and fixes the
// header length and the checksum, so that only the reader's size and bound
// checks stand between a crafted header and an allocation.
func reheader(t testing.TB, data []byte, edit func(h map[string]any)) []byte {
	t.Helper()
	le := binary.LittleEndian
	hl := int(le.Uint32(data[8:12]))
	var h map[string]any
	if err := json.Unmarshal(data[12:12+hl], &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	hj, _ := json.Marshal(h)
	var b bytes.Buffer
	b.Write(data[:8])
	binary.Write(&b, le, uint32(len(hj)))
	b.Write(hj)
	b.Write(data[12+hl : len(data)-sha256.Size])
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

func setArch(key string, i int, v any) func(map[string]any) {
	return func(h map[string]any) {
		a := h["arch"].(map[string]any)
		if i < 0 {
			a[key] = v
			return
		}
		a[key].([]any)[i] = v
	}
}

// Crafted headers are refused with an error before anything is allocated
// (issue 11, case 3: Channels[3] = 400000000 ran out of memory and
// Kernels[0] = 2000001 panicked in makeslice).
func TestWeightsRejectCraftedHeaders(t *testing.T) {
	good, _ := tinyModel(t).Encode(nil)
	manyClasses := make([]any, MaxClasses+1)
	for i := range manyClasses {
		manyClasses[i] = "c"
	}
	for _, tc := range []struct {
		name, want string
		edit       func(map[string]any)
	}{
		{"huge channels", "want 1–4096 channels", setArch("Channels", 3, 400000000)},
		{"huge kernel", "odd kernel of 1–15", setArch("Kernels", 0, 2000001)},
		{"negative channels", "want 1–4096 channels", setArch("Channels", 1, -8)},
		{"huge input", "multiple of 16 in [32, 1024]", setArch("Input", -1, 1<<30)},
		{"too many classes", "want 2–10000", setArch("Classes", -1, manyClasses)},
		{"empty class name", "class name", setArch("Classes", -1, []any{"a", ""})},
		// Within the bounds, but the file is far smaller than the header says.
		{"large but truncated", "architecture wants", setArch("Channels", 3, 4096)},
		{"sheet NaN-like", "sheet", func(h map[string]any) {
			h["layouts"].([]any)[3].(map[string]any)["sheet"].(map[string]any)["Width_mm"] = -1
		}},
	} {
		_, _, _, err := Decode("w.mstw", reheader(t, good, tc.edit))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "w.mstw") {
			t.Errorf("%s: %v, want an error naming the file and saying %q", tc.name, err, tc.want)
		}
	}
	// A header whose tensor list matches a large architecture, with a file
	// too short for it, is refused by the size check.
	big := reheader(t, good, func(h map[string]any) {
		setArch("Channels", 3, 4096)(h)
		ts := h["tensors"].([]any)
		for _, x := range ts {
			m := x.(map[string]any)
			switch m["name"] {
			case "w_IT":
				m["shape"] = []any{4096, 8, 3, 3}
			case "b_IT":
				m["shape"] = []any{4096}
			case "w_head":
				m["shape"] = []any{4096 * 4, 3}
			}
		}
		h["layouts"].([]any)[3].(map[string]any)["channels"] = 4096
	})
	if _, _, _, err := Decode("w.mstw", big); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("large header, small file: %v, want truncated", err)
	}
}

// TensorShapes is the order and shape of Params.Named for every option.
func TestTensorShapesMatchParams(t *testing.T) {
	for _, opt := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		a := tinyArch([]string{"a", "b", "c"})
		a.LocalIT, a.FaceHead, a.Gender = opt[0], opt[1], opt[1]
		named := NewParams(a, 1).Named()
		shapes := a.TensorShapes()
		if len(named) != len(shapes) {
			t.Fatalf("%v: %d tensors, %d shapes", opt, len(named), len(shapes))
		}
		var total int64
		for i := range named {
			if named[i].Name != shapes[i].Name || !named[i].T.Shape().Eq(shapes[i].Shape) {
				t.Errorf("%v: tensor %d is %s %v, shape list says %s %v", opt, i, named[i].Name, named[i].T.Shape(), shapes[i].Name, shapes[i].Shape)
			}
			total += int64(named[i].T.Shape().TotalSize())
		}
		if total != a.ParamCount() {
			t.Errorf("%v: ParamCount %d, tensors hold %d", opt, a.ParamCount(), total)
		}
	}
}

// FuzzDecodeFile: no weight file or checkpoint, however crafted, panics or
// allocates beyond its size; a file that decodes re-encodes to itself.
// Run: go test -run '^$' -fuzz FuzzDecodeFile -fuzztime 60s -fuzzminimizetime 10s ./vision
func FuzzDecodeFile(f *testing.F) {
	m, _ := NewModel(Arch{Input: 32, Channels: [4]int{2, 2, 2, 2}, Kernels: [4]int{3, 1, 1, 1}, Classes: []string{"a", "b"}}, 1)
	good, _ := m.Encode(map[string]string{"seed": "1"})
	f.Add(good)
	f.Add(reheader(f, good, setArch("Channels", 3, 400000000)))
	f.Add(reheader(f, good, setArch("Kernels", 0, 2000001)))
	f.Add([]byte{0xfc, 0x7f, 0xff, 0xff, 0xff, 0x03}) // a gob frame claiming 2 GB
	f.Fuzz(func(t *testing.T, data []byte) {
		m, meta, _, err := DecodeFile("fuzz.mstw", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.mstw") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if bytes.HasPrefix(data, []byte(weightsMagic)) {
			again, err := m.Encode(meta)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("decoded file does not re-encode to itself (%v)", err)
			}
		}
	})
}
