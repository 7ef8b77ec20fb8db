package vision

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func tinyModel(t *testing.T) *Model {
	t.Helper()
	m, err := NewModel(tinyArch([]string{"a", "b", "c"}), 5)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Writing and reading a weight file is bit-identical, positions included.
func TestWeightsRoundTrip(t *testing.T) {
	m := tinyModel(t)
	path := filepath.Join(t.TempDir(), "m.mstw")
	if err := m.Save(path, map[string]string{"seed": "5"}); err != nil {
		t.Fatal(err)
	}
	got, meta, sha, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["seed"] != "5" || len(sha) != 64 {
		t.Errorf("meta %v, sha %q", meta, sha)
	}
	a, _ := m.Encode(map[string]string{"seed": "5"})
	b, _ := got.Encode(meta)
	if !bytes.Equal(a, b) {
		t.Error("re-encoding the loaded model differs from the original file")
	}
	for s := 0; s < 4; s++ {
		for i := range m.Layouts[s].X_mm {
			if m.Layouts[s].X_mm[i] != got.Layouts[s].X_mm[i] || m.Layouts[s].Hemi[i] != got.Layouts[s].Hemi[i] {
				t.Fatalf("stage %d unit %d position differs", s, i)
			}
		}
	}
}

// A model with the unshared IT layer round-trips bit for bit, and its
// weights are not read as a shared-IT model's.
func TestWeightsRoundTripLocalIT(t *testing.T) {
	a := tinyArch([]string{"a", "b"})
	a.LocalIT = true
	m, _ := NewModel(a, 2)
	data, err := m.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := Decode("l.mstw", data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Arch.LocalIT || !bytes.Equal(f32bytes(Data(got.Params.LocalW)), f32bytes(Data(m.Params.LocalW))) {
		t.Fatal("unshared IT weights lost in the round trip")
	}
	again, _ := got.Encode(nil)
	if !bytes.Equal(data, again) {
		t.Error("re-encoding differs")
	}
}

func f32bytes(v []float32) []byte {
	var b bytes.Buffer
	for _, x := range v {
		b.WriteString(strconv.FormatUint(uint64(math.Float32bits(x)), 16))
	}
	return b.Bytes()
}

// Damaged files are refused with an error naming the file and the problem.
func TestWeightsRejectsDamage(t *testing.T) {
	m := tinyModel(t)
	good, _ := m.Encode(nil)
	other, _ := NewModel(Arch{Input: 32, Channels: [4]int{4, 8, 8, 8}, Kernels: [4]int{3, 3, 3, 3}, Classes: []string{"a", "b"}}, 1)
	otherB, _ := other.Encode(nil)
	flip := append([]byte(nil), good...)
	flip[len(flip)/2] ^= 0x40
	badMagic := append([]byte("XXXX"), good[4:]...)
	badVersion := append([]byte(nil), good...)
	badVersion[4] = 9
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "truncated", nil},
		{"truncated header", "truncated", good[:40]},
		{"truncated body", "truncated", good[:len(good)-100]},
		{"trailing bytes", "trailing", append(append([]byte(nil), good...), 1, 2, 3)},
		{"bit flip", "checksum mismatch", flip},
		{"magic", "not a microstim weight file", badMagic},
		{"version", "version 9", badVersion},
		{"other arch is fine", "", otherB},
	} {
		_, _, _, err := Decode("w.mstw", tc.data)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.want != "" && (!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "w.mstw")):
			t.Errorf("%s: error %q, want it to name the file and say %q", tc.name, err, tc.want)
		}
	}
	if _, _, _, err := Load(filepath.Join(t.TempDir(), "missing.mstw")); err == nil || !strings.Contains(err.Error(), "missing.mstw") {
		t.Errorf("missing file: %v", err)
	}
	// A header whose tensor shapes disagree with its architecture.
	var hacked []byte
	hacked = bytes.Replace(good, []byte(`"shape":[4,1,3,3]`), []byte(`"shape":[4,1,5,3]`), 1)
	if _, _, _, err := Decode("w.mstw", hacked); err == nil || !strings.Contains(err.Error(), "architecture wants") {
		t.Errorf("mismatched shape: %v", err)
	}
}

// A model on the MobileNet v2 trunk (and the post-hoc control, IT from the
// trunk) round-trips bit for bit, trunk tensors included, and an
// architecture whose stage widths do not fit the trunk is refused.
func TestWeightsRoundTripTrunk(t *testing.T) {
	for _, trunkIT := range []bool{false, true} {
		a := MobileNetV2Arch([]string{"a", "b"}, 32, 8, trunkIT)
		m := speedModel(t, a)
		data, err := m.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, _, err := Decode("t.mstw", data)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := got.Encode(nil)
		if !bytes.Equal(data, again) {
			t.Errorf("trunk IT %v: re-encoding differs", trunkIT)
		}
		if got.Params.Trunk[2] == nil || (got.Params.Trunk[3] != nil) != trunkIT {
			t.Errorf("trunk IT %v: decoded trunk stages %v", trunkIT, got.Params.Trunk[3] != nil)
		}
	}
	bad := MobileNetV2Arch([]string{"a", "b"}, 32, 8, false)
	bad.Channels[2] = 64
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "want 96") {
		t.Errorf("V4 of 64 channels on the trunk: %v", err)
	}
}
