package paradigm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/microstim/microstim/vision"
)

// A stimulus selector names a set of stimuli of a pool:
//
//	face, nonface        the face-selectivity set's faces and non-faces (vision.FaceSelectivitySet)
//	gender:male|female   labelled faces of that apparent gender
//	identity:NAME        labelled photos of one person
//	category:NAME        one category (a Caltech-101 class or a folder's category folder)
//
// A bare name is a category.

// CheckSelector refuses a selector of no known kind.
func CheckSelector(sel string) error {
	kind, name, hasName := strings.Cut(sel, ":")
	switch {
	case !hasName && sel != "":
		return nil // face, nonface or a bare category
	case kind == "gender" && (name == "male" || name == "female"), (kind == "identity" || kind == "category") && name != "":
		return nil
	}
	return fmt.Errorf("selector %q: want face, nonface, gender:male, gender:female, identity:NAME, category:NAME or a category name", sel)
}

// Select returns the stimuli of pool that sel names, in pool order.
func Select(pool []vision.Stimulus, sel string) []vision.Stimulus {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	switch sel {
	case "face":
		return faces
	case "nonface":
		return nonfaces
	}
	kind, name, ok := strings.Cut(sel, ":")
	if !ok {
		kind, name = "category", sel
	}
	var out []vision.Stimulus
	for _, s := range pool {
		if kind == "gender" && s.Gender == name || kind == "identity" && s.Identity == name || kind == "category" && s.Category == name {
			out = append(out, s)
		}
	}
	return out
}

// Distractors returns the detection Distractors: those that sel names, or,
// for sel = "", the face-selectivity set's images that target does not name.
func Distractors(pool []vision.Stimulus, target, sel string) []vision.Stimulus {
	if sel != "" {
		return Select(pool, sel)
	}
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	named := map[string]bool{}
	for _, s := range Select(pool, target) {
		named[s.File] = true
	}
	return slices.DeleteFunc(slices.Concat(faces, nonfaces), func(s vision.Stimulus) bool { return named[s.File] })
}
