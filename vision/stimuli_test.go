package vision

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"testing/fstest"

	"github.com/microstim/microstim/resultdir"
)

func TestEmbeddedPool(t *testing.T) {
	pool, err := Stimuli()
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	def, _ := Recipe(DefaultRecipe, "")
	for _, s := range pool {
		roles[s.Role]++
		if s.Img.W != def.Input() || s.Img.H != def.Input() { // at the default model's input
			t.Fatalf("%s is %d×%d", s.File, s.Img.W, s.Img.H)
		}
	}
	want := map[string]int{"caltech_heldout": 1239, "floc_adult": 72, "floc_body": 144, "kiani92": 92}
	for r, n := range want {
		if roles[r] != n {
			t.Errorf("role %s: %d images, want %d", r, roles[r], n)
		}
	}
	faces, non := FaceSelectivitySet(pool)
	if len(faces) != 96 || len(non) != 144+68+144 {
		t.Errorf("face set %d faces, %d non-faces; want 96 and 356", len(faces), len(non))
	}
	for _, s := range non {
		if s.Face || caltechFaceCategory[s.Category] {
			t.Fatalf("non-face set holds %s", s.File)
		}
	}
}

func TestFolderStimuli(t *testing.T) {
	dir := t.TempDir()
	for _, cat := range []string{"faces", "cars"} {
		os.MkdirAll(filepath.Join(dir, cat), 0o755)
		for i := 0; i < 2; i++ {
			img := image.NewGray(image.Rect(0, 0, 100, 80))
			f, _ := os.Create(filepath.Join(dir, cat, string(rune('a'+i))+".png"))
			png.Encode(f, img)
			f.Close()
		}
	}
	pool, err := FolderStimuli(dir, 64)
	if err != nil {
		t.Fatal(err)
	}
	faces, non := FaceSelectivitySet(pool)
	if len(pool) != 4 || len(faces) != 2 || len(non) != 2 {
		t.Fatalf("%d stimuli, %d faces, %d non-faces", len(pool), len(faces), len(non))
	}
	if pool[0].Img.W != 64 || pool[0].Img.H != 64 {
		t.Errorf("folder image resized to %d×%d", pool[0].Img.W, pool[0].Img.H)
	}
	if _, err := FolderStimuli(filepath.Join(dir, "none"), 64); err == nil {
		t.Error("missing folder accepted")
	}
	// Labels at the top of the folder reach the faces they name.
	os.WriteFile(filepath.Join(dir, "face_labels.csv"), []byte("file,gender,identity\nfaces/a.png,female,p1\nfaces/b.png,male,p1\n"), 0o644)
	pool, err = FolderStimuli(dir, 64)
	if err != nil {
		t.Fatal(err)
	}
	labelled := map[string]string{}
	for _, s := range pool {
		labelled[s.File] = s.Gender + "/" + s.Identity
	}
	if labelled["faces/a.png"] != "female/p1" || labelled["faces/b.png"] != "male/p1" || labelled["cars/a.png"] != "/" {
		t.Errorf("labels %v", labelled)
	}
	// A result folder (marker), its staging folder and a hidden folder
	// inside the set are not categories.
	for _, d := range []string{"results", "results.incomplete-1a2b", ".git"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
		f, _ := os.Create(filepath.Join(dir, d, "fig.png"))
		png.Encode(f, image.NewGray(image.Rect(0, 0, 10, 10)))
		f.Close()
	}
	resultdir.WriteMarker(filepath.Join(dir, "results"), "a run")
	if pool, err = FolderStimuli(dir, 64); err != nil || len(pool) != 4 {
		t.Errorf("with result and hidden folders inside: %d stimuli (%v), want the 4 of the categories", len(pool), err)
	}
	os.WriteFile(filepath.Join(dir, "face_labels.csv"), []byte("file,gender,identity\nfaces/z.png,female,p1\n"), 0o644)
	if _, err := FolderStimuli(dir, 64); err == nil || !strings.Contains(err.Error(), "faces/z.png") {
		t.Errorf("a label for a missing image: %v", err)
	}
}

// The pool's face labels reach the stimuli: only faces carry them, both
// genders occur, and several Caltech identities have two or more photos
// (what the same/different identity task needs).
func TestPoolFaceLabels(t *testing.T) {
	pool, err := Stimuli()
	if err != nil {
		t.Fatal(err)
	}
	gender := map[string]int{}
	perID := map[string]int{}
	for _, s := range pool {
		if (s.Gender != "" || s.Identity != "") && !s.Face {
			t.Fatalf("%s: labelled but not a face", s.File)
		}
		gender[s.Gender]++
		if s.Identity != "" {
			perID[s.Identity]++
		}
	}
	if gender["male"] != 91 || gender["female"] != 55 {
		t.Fatalf("gender counts %v, want 91 male and 55 female", gender)
	}
	multi := 0
	for _, n := range perID {
		if n >= 2 {
			multi++
		}
	}
	if multi < 15 {
		t.Fatalf("%d identities with ≥ 2 photos, want ≥ 15", multi)
	}
}

// A face-labels file that names a file outside the pool or an unknown
// gender is refused with the line and the value.
func TestFaceLabelsErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	manifest := "file,dataset,source_file,category,face,role\na.png,floc,floc/a.jpg,adult,1,floc_adult\n"
	for _, tc := range []struct{ labels, want string }{
		{"file,gender,identity\na.png,female,p1\n", ""},
		{"file,gender,identity\nb.png,male,\n", `line 2: "b.png" is not in the pool`},
		{"file,gender,identity\na.png,woman,\n", `line 2: gender "woman"`},
		{"file,gender\na.png,male\n", "want the header file,gender,identity"},
		{"a.png,female,p1\n", `line 1: "a.png,female,p1": want the header`},
		{"file,gender,identity\na.png,female,p1\na.png,male,p2\n", `lines 2 and 3: "a.png" is labelled twice, differently`},
		{"file,gender,identity\na.png,female,p1\na.png,female,p1\n", `lines 2 and 3: "a.png" is listed twice`},
	} {
		fsys := fstest.MapFS{"manifest.csv": {Data: []byte(manifest)}, "a.png": {Data: buf.Bytes()}, "face_labels.csv": {Data: []byte(tc.labels)}}
		pool, err := LoadStimuli(fsys)
		if tc.want == "" {
			if err != nil || pool[0].Gender != "female" || pool[0].Identity != "p1" {
				t.Errorf("valid labels: %v, %+v", err, pool)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("labels %q: error %v, want %q", tc.labels, err, tc.want)
		}
	}
}
