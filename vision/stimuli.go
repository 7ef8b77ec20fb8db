package vision

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
)

// stimuliFS is the held-out stimulus pool shipped with the program (see
// stimuli/README.md for sources, licences and citations).
//
//go:embed stimuli
var stimuliFS embed.FS

// Stimulus is one image of the shipped held-out pool.
type Stimulus struct {
	File     string // path inside the pool
	Dataset  string // "caltech101", "floc" or "kiani92"
	Source   string // original file, relative to the data set's folder
	Category string
	Face     bool
	Role     string // "caltech_heldout", "floc_adult", "floc_body" or "kiani92"
	Gender   string // apparent gender of a face, "male" or "female" ("" when unlabelled)
	Identity string // person shown, for Caltech faces ("" when unlabelled)
	Img      *Gray  // square, at the pool's side (AtSide resamples)
}

var (
	stimOnce sync.Once
	stimAll  []Stimulus
	stimErr  error
)

// Stimuli returns the embedded held-out pool, decoded once.
func Stimuli() ([]Stimulus, error) {
	stimOnce.Do(func() {
		sub, err := fs.Sub(stimuliFS, "stimuli")
		if err != nil {
			stimErr = err
			return
		}
		stimAll, stimErr = LoadStimuli(sub)
	})
	return stimAll, stimErr
}

// StimuliFS returns the embedded pool as a file system (manifest.csv at
// its root).
func StimuliFS() fs.FS {
	sub, _ := fs.Sub(stimuliFS, "stimuli")
	return sub
}

// LoadStimuli reads a pool: manifest.csv (file,dataset,source_file,
// category,face,role) and the PNG files it lists.
func LoadStimuli(fsys fs.FS) ([]Stimulus, error) {
	f, err := fsys.Open("manifest.csv")
	if err != nil {
		return nil, fmt.Errorf("stimulus pool: %w", err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("stimulus pool manifest.csv: %w", err)
	}
	if len(rows) < 2 || len(rows[0]) != 6 {
		return nil, fmt.Errorf("stimulus pool manifest.csv: want a header and rows of 6 columns")
	}
	out := make([]Stimulus, 0, len(rows)-1)
	for i, r := range rows[1:] {
		if len(r) != 6 {
			return nil, fmt.Errorf("stimulus pool manifest.csv line %d: %d columns, want 6", i+2, len(r))
		}
		pf, err := fsys.Open(r[0])
		if err != nil {
			return nil, fmt.Errorf("stimulus pool: %w", err)
		}
		img, err := DecodeGray(pf)
		pf.Close()
		if err != nil {
			return nil, fmt.Errorf("stimulus pool %s: %w", r[0], err)
		}
		out = append(out, Stimulus{File: r[0], Dataset: r[1], Source: r[2], Category: r[3], Face: r[4] == "1", Role: r[5], Img: img})
	}
	return out, addFaceLabels(fsys, out)
}

// addFaceLabels reads the optional face_labels.csv (file,gender,identity,
// with file as the pool names it: a manifest path, or a folder set's
// category/file; manual annotations for the shipped pool, see its README)
// into the pool.
func addFaceLabels(fsys fs.FS, pool []Stimulus) error {
	f, err := fsys.Open("face_labels.csv")
	if err != nil {
		return nil
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return fmt.Errorf("stimulus pool face_labels.csv: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) != 3 || !slices.Equal(rows[0], []string{"file", "gender", "identity"}) {
		first := ""
		if len(rows) > 0 {
			first = strings.Join(rows[0], ",")
		}
		return fmt.Errorf("stimulus pool face_labels.csv line 1: %q: want the header file,gender,identity (without it the first row would be lost)", first)
	}
	idx := map[string]int{}
	for i, s := range pool {
		idx[s.File] = i
	}
	line := map[string]int{}
	for n, r := range rows[1:] {
		i, ok := idx[r[0]]
		switch {
		case !ok:
			return fmt.Errorf("stimulus pool face_labels.csv line %d: %q is not in the pool", n+2, r[0])
		case r[1] != "" && r[1] != "male" && r[1] != "female":
			return fmt.Errorf("stimulus pool face_labels.csv line %d: gender %q: want male, female or empty", n+2, r[1])
		case line[r[0]] > 0:
			p := pool[i]
			if p.Gender != r[1] || p.Identity != r[2] {
				return fmt.Errorf("stimulus pool face_labels.csv lines %d and %d: %q is labelled twice, differently (%s,%s against %s,%s)", line[r[0]], n+2, r[0], p.Gender, p.Identity, r[1], r[2])
			}
			return fmt.Errorf("stimulus pool face_labels.csv lines %d and %d: %q is listed twice", line[r[0]], n+2, r[0])
		}
		line[r[0]] = n + 2
		pool[i].Gender, pool[i].Identity = r[1], r[2]
	}
	return nil
}

// FaceSelectivitySet returns the faces and non-faces used for face
// selectivity, none of which training saw: faces are the held-out half of
// the fLoc adult faces and the 24 Kiani faces (human and animal); non-faces
// are the 144 fLoc headless bodies, the 68 Kiani bodies and objects, and 144
// held-out Caltech objects (the first by SplitKey among non-face categories,
// so objects, not only headless bodies, count as non-faces).
func FaceSelectivitySet(pool []Stimulus) (faces, nonfaces []Stimulus) {
	var objects []Stimulus
	for _, s := range pool {
		switch {
		case s.Role == "floc_adult", s.Role == "kiani92" && s.Face, s.Role == "folder_face":
			faces = append(faces, s)
		case s.Role == "floc_body", s.Role == "kiani92", s.Role == "folder_nonface":
			nonfaces = append(nonfaces, s)
		case s.Role == "caltech_heldout" && !caltechFaceCategory[s.Category]:
			objects = append(objects, s)
		}
	}
	sort.SliceStable(objects, func(i, j int) bool {
		return SplitKey(objects[i].Category+"/"+objects[i].File) < SplitKey(objects[j].Category+"/"+objects[j].File)
	})
	if len(objects) > 144 {
		objects = objects[:144]
	}
	return faces, append(nonfaces, objects...)
}

// IsFaceCategory reports whether a Caltech-101 category shows faces
// (Faces, Faces_easy, cougar_face).
func IsFaceCategory(name string) bool { return caltechFaceCategory[name] }

// caltechFaceCategory lists Caltech-101 categories that show faces.
var caltechFaceCategory = map[string]bool{"Faces_easy": true, "Faces": true, "cougar_face": true}

// CaltechHeldout returns the held-out Caltech-101 images.
func CaltechHeldout(pool []Stimulus) []Stimulus {
	var out []Stimulus
	for _, s := range pool {
		if s.Role == "caltech_heldout" {
			out = append(out, s)
		}
	}
	return out
}

// Images returns the images of stimuli.
func Images(st []Stimulus) []*Gray {
	out := make([]*Gray, len(st))
	for i, s := range st {
		out[i] = s.Img
	}
	return out
}

// FolderStimuli reads a user's folder of category folders as a stimulus
// pool: categories whose name starts with "face" (any case) are faces, the
// rest non-faces. Images are converted to grayscale and resized to
// side×side. An optional face_labels.csv at the top (file,gender,identity,
// with file as category/name) labels faces for the gender and identity
// tasks.
func FolderStimuli(dir string, side int) ([]Stimulus, error) {
	items, err := ListFolder(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Stimulus, len(items))
	for i, it := range items {
		g, err := LoadGray(it.Path)
		if err != nil {
			return nil, err
		}
		face := strings.HasPrefix(strings.ToLower(it.Category), "face")
		role := "folder_nonface"
		if face {
			role = "folder_face"
		}
		out[i] = Stimulus{File: it.Rel, Dataset: "folder", Source: it.Path, Category: it.Category, Face: face, Role: role, Img: g.SquareResize(side)}
	}
	return out, addFaceLabels(os.DirFS(dir), out)
}

// AtSide returns pool with every image at side×side: the same slice when
// all already are, otherwise copies resampled by area averaging (exact
// block means when side divides the pool's side).
func AtSide(pool []Stimulus, side int) []Stimulus {
	same := true
	for _, s := range pool {
		if s.Img.W != side || s.Img.H != side {
			same = false
			break
		}
	}
	if same {
		return pool
	}
	out := make([]Stimulus, len(pool))
	for i, s := range pool {
		out[i] = s
		if s.Img.W != side || s.Img.H != side {
			out[i].Img = s.Img.SquareResize(side)
		}
	}
	return out
}
