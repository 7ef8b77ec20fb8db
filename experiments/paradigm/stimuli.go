package paradigm

import (
	"fmt"
	"regexp"
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
// A bare name is a category. Terms combine left to right with " + "
// (union) and " - " (exclusion), the operator between spaces:
// "nonface - category:hand" or "gender:male + gender:female - identity:anna".

// selectorOp splits a selector into terms at " + " and " - ".
var selectorOp = regexp.MustCompile(`\s+([+-])\s+`)

// terms returns the terms of sel and the operator before each term after
// the first.
func terms(sel string) ([]string, []string) {
	ops := selectorOp.FindAllStringSubmatch(sel, -1)
	list := selectorOp.Split(sel, -1)
	out := make([]string, len(ops))
	for i, m := range ops {
		out[i] = m[1]
	}
	for i := range list {
		list[i] = strings.TrimSpace(list[i])
	}
	return list, out
}

// CheckSelector refuses a selector with a term of no known kind.
func CheckSelector(sel string) error {
	list, _ := terms(sel)
	for _, t := range list {
		if err := checkTerm(t); err != nil {
			if len(list) > 1 {
				return fmt.Errorf("selector %q: term %w", sel, err)
			}
			return fmt.Errorf("selector %w", err)
		}
	}
	return nil
}

func checkTerm(sel string) error {
	kind, name, hasName := strings.Cut(sel, ":")
	switch {
	case !hasName && sel != "":
		return nil // face, nonface or a bare category
	case kind == "gender" && (name == "male" || name == "female"), (kind == "identity" || kind == "category") && name != "":
		return nil
	}
	return fmt.Errorf("%q: want face, nonface, gender:male, gender:female, identity:NAME, category:NAME or a category name, joined by \" + \" or \" - \"", sel)
}

// Select returns the stimuli of pool that sel names, in pool order (one
// term: in the order the term's set has).
func Select(pool []vision.Stimulus, sel string) []vision.Stimulus {
	list, ops := terms(sel)
	if len(list) == 1 {
		return selectTerm(pool, sel)
	}
	in := map[string]bool{}
	for _, s := range selectTerm(pool, list[0]) {
		in[s.File] = true
	}
	for i, op := range ops {
		for _, s := range selectTerm(pool, list[i+1]) {
			in[s.File] = op == "+"
		}
	}
	var out []vision.Stimulus
	for _, s := range pool {
		if in[s.File] {
			out = append(out, s)
			in[s.File] = false // a file listed twice is selected once
		}
	}
	return out
}

func selectTerm(pool []vision.Stimulus, sel string) []vision.Stimulus {
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

// OverlapError is two selectors whose image sets share images: the same
// set spelt two ways, one set inside the other, or a partial overlap. A
// stimulus cannot stand on both sides of a choice.
type OverlapError struct {
	A, B           string
	NA, NB, Shared int
}

func (e *OverlapError) Error() string {
	switch {
	case e.Shared == e.NA && e.NA == e.NB:
		return fmt.Sprintf("%q and %q name the same %d images; choose two different sets", e.A, e.B, e.NA)
	case e.Shared == e.NA:
		return fmt.Sprintf("%q (%d images) lies within %q (%d images); exclude it: %q", e.A, e.NA, e.B, e.NB, e.B+" - "+e.A)
	case e.Shared == e.NB:
		return fmt.Sprintf("%q (%d images) lies within %q (%d images); exclude it: %q", e.B, e.NB, e.A, e.NA, e.A+" - "+e.B)
	}
	return fmt.Sprintf("%q (%d images) and %q (%d images) share %d images; a stimulus cannot be on both sides: exclude them, e.g. %q", e.A, e.NA, e.B, e.NB, e.Shared, e.A+" - "+e.B)
}

// SelectDisjoint selects each selector's set and refuses, with an
// *OverlapError, two that share an image (compared as sets of files, not
// as spellings).
func SelectDisjoint(pool []vision.Stimulus, sels ...string) ([][]vision.Stimulus, error) {
	sets := make([][]vision.Stimulus, len(sels))
	files := make([]map[string]bool, len(sels))
	for i, sel := range sels {
		sets[i] = Select(pool, sel)
		files[i] = map[string]bool{}
		for _, s := range sets[i] {
			files[i][s.File] = true
		}
		for j := range i {
			shared := 0
			for f := range files[i] {
				if files[j][f] {
					shared++
				}
			}
			if shared > 0 {
				return nil, &OverlapError{A: sels[j], B: sel, NA: len(files[j]), NB: len(files[i]), Shared: shared}
			}
		}
	}
	return sets, nil
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

// DetectionSets returns the targets and Distractors of a detection task,
// refusing explicit distractors that share images with the targets.
func DetectionSets(pool []vision.Stimulus, target, distractors string) (targets, others []vision.Stimulus, err error) {
	if distractors == "" {
		return Select(pool, target), Distractors(pool, target, ""), nil
	}
	sets, err := SelectDisjoint(pool, target, distractors)
	if err != nil {
		return nil, nil, err
	}
	return sets[0], sets[1], nil
}
