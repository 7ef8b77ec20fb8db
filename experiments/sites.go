package experiments

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// SelectedSite is a stimulation site with its neighbourhood d′.
type SelectedSite struct {
	topography.Site
	Selective bool `json:"selective"`
}

// ErrNoFacePatch is wrapped by the errors of experiments that place sites
// at a face patch of a model that has none above the shuffle null, such as
// an α = 0 control.
var ErrNoFacePatch = errors.New("the model has no face patch above the shuffle null")

// SelectSites draws up to nSel sites with d′ > thr and nOther with d′ ≤ thr
// from candidates, in a seeded random order. It returns fewer selective
// sites when the model has fewer; the criterion is never relaxed.
func SelectSites(candidates []topography.Site, nSel, nOther int, thr float64, hemi string, seed uint64) []SelectedSite {
	r := rand.New(rand.NewPCG(seed, 0x73697465))
	order := r.Perm(len(candidates))
	var sel, other []SelectedSite
	for _, i := range order {
		c := candidates[i]
		if hemi != "both" && c.Hemi.String() != hemi {
			continue
		}
		if c.DPrime > thr && len(sel) < nSel {
			sel = append(sel, SelectedSite{c, true})
		} else if c.DPrime <= thr && len(other) < nOther {
			other = append(other, SelectedSite{c, false})
		}
	}
	return append(sel, other...)
}

// chooseSites applies the config's site rule.
func (c *Config) chooseSites(l *topography.Layout, resp [][]float64, isFace []bool, unitD []float64, cands []topography.Site) ([]SelectedSite, error) {
	sc := c.Sites
	want := func(h topography.Hemisphere) bool { return sc.Hemisphere == "both" || sc.Hemisphere == h.String() }
	at := func(h topography.Hemisphere, x, y float64) SelectedSite {
		d, n := topography.PointDPrime(l, resp, isFace, h, x, y, sc.Radius_mm)
		return SelectedSite{topography.Site{Hemi: h, X_mm: x, Y_mm: y, DPrime: d, Units: n}, d > sc.DPrimeThreshold}
	}
	var out []SelectedSite
	switch sc.Rule {
	case "dprime_split":
		return SelectSites(cands, sc.NSelective, sc.NOther, sc.DPrimeThreshold, sc.Hemisphere, c.sitesSeed()), nil
	case "random":
		r := rand.New(rand.NewPCG(c.sitesSeed(), 0x72616e64))
		for h := topography.Left; h <= topography.Right; h++ {
			if !want(h) {
				continue
			}
			var hc []topography.Site
			for _, s := range cands {
				if s.Hemi == h {
					hc = append(hc, s)
				}
			}
			for k, i := range r.Perm(len(hc)) {
				if k == sc.NPerHemisphere {
					break
				}
				out = append(out, SelectedSite{hc[i], hc[i].DPrime > sc.DPrimeThreshold})
			}
		}
	case "grid":
		for _, s := range cands {
			if want(s.Hemi) {
				out = append(out, SelectedSite{s, s.DPrime > sc.DPrimeThreshold})
			}
		}
	case "explicit":
		for _, e := range sc.Explicit {
			h, err := topography.ParseHemisphere(e.Hemisphere)
			if err != nil {
				return nil, err
			}
			out = append(out, at(h, e.X_mm, e.Y_mm))
		}
	case "face_patch_centre", "outside_patches", "inside_patches":
		patches, _ := topography.FacePatches(l, unitD, topography.MapSigma_mm, topography.MapStep_mm, topography.NullPermutations, c.Seed)
		for h := topography.Left; h <= topography.Right; h++ {
			i := slices.IndexFunc(patches, func(p topography.Patch) bool { return p.Hemi == h }) // sorted by area: the largest
			if !want(h) || i < 0 {
				continue
			}
			ctr := at(h, patches[i].X_mm, patches[i].Y_mm)
			switch sc.Rule {
			case "face_patch_centre":
				out = append(out, ctr)
			case "inside_patches":
				out = append(out, insideSites(cands, patches, h, sc.NPerHemisphere, sc.DPrimeThreshold)...)
			default:
				out = append(out, outsideSites(cands, ctr, sc.OutsideDPrime, sc.Outside_mm, max(1, sc.NPerHemisphere))...)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("sites.rule = %q: %w (or no grid site outside one) in hemisphere %s", sc.Rule, ErrNoFacePatch, sc.Hemisphere)
		}
	default:
		return nil, fmt.Errorf("sites.rule = %q: not implemented", sc.Rule)
	}
	return out, nil
}

// countSelective counts the selective sites chosen and, when the model
// offers fewer than dprime_split asked for, says so (the criterion is never
// relaxed).
func (c *Config) countSelective(chosen []SelectedSite) (n int, note string) {
	for _, s := range chosen {
		if s.Selective {
			n++
		}
	}
	if c.Sites.Rule == "dprime_split" && n < c.Sites.NSelective {
		note = fmt.Sprintf("the model offers only %d sites with neighbourhood d′ > %g (%d requested); all of them are used and the criterion is unchanged",
			n, c.Sites.DPrimeThreshold, c.Sites.NSelective)
	}
	return n, note
}

// outsideSite returns the grid site of ctr's hemisphere nearest to ctr
// whose every grid neighbour within radius_mm has d′ below maxD.
func outsideSite(cands []topography.Site, ctr SelectedSite, maxD, radius_mm float64) (SelectedSite, bool) {
	s := outsideSites(cands, ctr, maxD, radius_mm, 1)
	if len(s) == 0 {
		return SelectedSite{}, false
	}
	return s[0], true
}

// outsideSites returns the n grid sites of ctr's hemisphere nearest to ctr
// whose every grid neighbour within radius_mm has d′ below maxD: outside
// the face patches by at least radius_mm.
func outsideSites(cands []topography.Site, ctr SelectedSite, maxD, radius_mm float64, n int) []SelectedSite {
	var ok []topography.Site
	for _, s := range cands {
		if s.Hemi != ctr.Hemi {
			continue
		}
		clear := true
		for _, t := range cands {
			if t.Hemi == s.Hemi && math.Hypot(t.X_mm-s.X_mm, t.Y_mm-s.Y_mm) <= radius_mm && !(t.DPrime < maxD) {
				clear = false
				break
			}
		}
		if clear {
			ok = append(ok, s)
		}
	}
	dist := func(s topography.Site) float64 { return math.Hypot(s.X_mm-ctr.X_mm, s.Y_mm-ctr.Y_mm) }
	slices.SortStableFunc(ok, func(a, b topography.Site) int { return cmp.Compare(dist(a), dist(b)) })
	var out []SelectedSite
	for _, s := range ok[:min(n, len(ok))] {
		out = append(out, SelectedSite{s, false})
	}
	return out
}

// insideSites returns the n grid sites of hemisphere h inside any of its
// face patches with the highest neighbourhood d′.
func insideSites(cands []topography.Site, patches []topography.Patch, h topography.Hemisphere, n int, thr float64) []SelectedSite {
	var in []topography.Site
	for _, s := range cands {
		if s.Hemi == h && slices.ContainsFunc(patches, func(p topography.Patch) bool { return p.Hemi == h && p.Contains(s.X_mm, s.Y_mm) }) {
			in = append(in, s)
		}
	}
	slices.SortStableFunc(in, func(a, b topography.Site) int { return cmp.Compare(b.DPrime, a.DPrime) })
	var out []SelectedSite
	for _, s := range in[:min(n, len(in))] {
		out = append(out, SelectedSite{s, s.DPrime > thr})
	}
	return out
}

// faceSelectivity measures IT face selectivity on the held-out
// face-selectivity set: unit d′ and site d′ on the config's grid
// (neighbourhood radius from the config), as Afraz et al. measured it.
type faceSelectivity struct {
	Resp       [][]float64
	IsFace     []bool
	UnitDPrime []float64
	Candidates []topography.Site
}

func measureFaceSelectivity(c *Config, m *vision.Model, pool []vision.Stimulus) (*faceSelectivity, error) {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	if len(faces) < 2 || len(nonfaces) < 2 {
		return nil, fmt.Errorf("%s: the stimulus pool has %d faces and %d non-faces; face selectivity needs at least 2 of each", c.Protocol, len(faces), len(nonfaces))
	}
	set := append(append([]vision.Stimulus(nil), faces...), nonfaces...)
	fs := &faceSelectivity{IsFace: make([]bool, len(set))}
	for i := range faces {
		fs.IsFace[i] = true
	}
	act, err := m.Run(vision.Images(set), [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	fs.Resp = vision.Float64s(act.Stages[3])
	fs.UnitDPrime = topography.UnitDPrimes(fs.Resp, fs.IsFace)
	fs.Candidates = topography.SiteDPrimes(m.IT(), fs.Resp, fs.IsFace, c.Sites.Grid_mm, c.Sites.Radius_mm)
	return fs, nil
}
