package primate

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

//go:embed data
var dataFS embed.FS

// SiteShift is one stimulation site: its face selectivity and the
// psychometric shift toward "face" (% visual signal).
type SiteShift struct {
	DPrime    float64
	Shift_pct float64
}

// Afraz2006 returns the 86 digitised monkey sites of Afraz et al. (2006)
// (see data/README.md for provenance).
func Afraz2006() ([]SiteShift, error) {
	f, err := dataFS.Open("data/afraz2006_fig_shift_vs_selectivity_100-150ms.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("afraz2006 data: %w", err)
	}
	var out []SiteShift
	for i, r := range rows[1:] {
		if len(r) != 2 {
			return nil, fmt.Errorf("afraz2006 data line %d: %d columns", i+2, len(r))
		}
		d, err1 := strconv.ParseFloat(strings.TrimSpace(r[0]), 64)
		s, err2 := strconv.ParseFloat(strings.TrimSpace(r[1]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("afraz2006 data line %d: %v", i+2, r)
		}
		out = append(out, SiteShift{d, s})
	}
	return out, nil
}

// readTable reads an embedded CSV (header row, then values) into rows
// keyed by the trimmed column names.
func readTable(name string) ([]map[string]string, error) {
	f, err := dataFS.Open("data/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("reported data %s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[strings.TrimSpace(h)] = strings.TrimSpace(r[i])
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func num(name string, row map[string]string, key string) (float64, error) {
	v, err := strconv.ParseFloat(row[key], 64)
	if err != nil {
		return 0, fmt.Errorf("reported data %s: column %s: %q is not a number", name, key, row[key])
	}
	return v, nil
}

// Afraz2015Data is the monkeys' result in Afraz et al. (2015).
type Afraz2015Data struct {
	// % correct gender discrimination (Fig. 3A), optogenetic suppression at
	// face sites: [mean, error-bar half-width].
	ContraNoLaser, ContraLaser, IpsiNoLaser, IpsiLaser [2]float64
	Sites                                              []SiteShift // Fig. 3C: site d′ against Δaccuracy (%), in Shift_pct
	// Fig. 5, muscimol: contra-minus-ipsi Δ% correct, mean over the two
	// monkeys, with the per-monkey values.
	MuscimolFace, MuscimolOther               float64
	MuscimolFaceByMonkey, MuscimolOtherMonkey map[string]float64
}

// Afraz2015 returns the digitised monkey data of Afraz et al. 2015.
func Afraz2015() (*Afraz2015Data, error) {
	d := &Afraz2015Data{MuscimolFaceByMonkey: map[string]float64{}, MuscimolOtherMonkey: map[string]float64{}}
	rows, err := readTable("afraz2015_fig3A.csv")
	if err != nil {
		return nil, err
	}
	vals := map[string]float64{}
	for _, r := range rows {
		v, err := num("afraz2015_fig3A.csv", r, "value")
		if err != nil {
			return nil, err
		}
		vals[r["visual_field"]+"/"+r["condition"]+"/"+r["aggregation"]] = v
	}
	pair := func(field, cond string) [2]float64 {
		m := vals[field+"/"+cond+"/mean"]
		return [2]float64{m, math.Abs(vals[field+"/"+cond+"/positive_error"] - m)}
	}
	d.ContraNoLaser, d.ContraLaser = pair("contra", "image"), pair("contra", "image_laser")
	d.IpsiNoLaser, d.IpsiLaser = pair("ipsi", "image"), pair("ipsi", "image_laser")
	if rows, err = readTable("afraz2015_fig3C.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		x, err1 := num("afraz2015_fig3C.csv", r, "face_detection_index_dprime")
		y, err2 := num("afraz2015_fig3C.csv", r, "delta_accuracy")
		if err1 != nil || err2 != nil {
			return nil, errors.Join(err1, err2)
		}
		d.Sites = append(d.Sites, SiteShift{DPrime: x, Shift_pct: y})
	}
	if rows, err = readTable("afraz2015_fig5.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r["aggregation"] != "mean" {
			continue
		}
		v, err := num("afraz2015_fig5.csv", r, "value")
		if err != nil {
			return nil, err
		}
		switch r["condition"] {
		case "face":
			d.MuscimolFaceByMonkey[r["monkey"]] = v
		case "other":
			d.MuscimolOtherMonkey[r["monkey"]] = v
		}
	}
	for _, v := range d.MuscimolFaceByMonkey {
		d.MuscimolFace += v / float64(len(d.MuscimolFaceByMonkey))
	}
	for _, v := range d.MuscimolOtherMonkey {
		d.MuscimolOther += v / float64(len(d.MuscimolOtherMonkey))
	}
	return d, nil
}

// SameDifferentCounts are the trial counts of one Moeller et al. 2017
// condition: hits and misses on "same" and "different" trials, without
// and with microstimulation.
type SameDifferentCounts struct {
	Monkey, Location, Class                              string
	SameHit, SameMiss, DiffHit, DiffMiss                 int
	SameHitStim, SameMissStim, DiffHitStim, DiffMissStim int
}

// Accuracies returns % correct on same and different trials, without and
// with stimulation.
func (s SameDifferentCounts) Accuracies() (same, sameStim, diff, diffStim float64) {
	pc := func(h, m int) float64 { return 100 * float64(h) / float64(h+m) }
	return pc(s.SameHit, s.SameMiss), pc(s.SameHitStim, s.SameMissStim), pc(s.DiffHit, s.DiffMiss), pc(s.DiffHitStim, s.DiffMissStim)
}

// Moeller2017 returns the face-identity conditions (Stimulus_Class
// "Faces") of Moeller et al. 2017's summary table.
func Moeller2017() ([]SameDifferentCounts, error) {
	const name = "moeller2017_SummaryMat.csv"
	rows, err := readTable(name)
	if err != nil {
		return nil, err
	}
	var out []SameDifferentCounts
	for _, r := range rows {
		if r["Stimulus_Class"] != "Faces" {
			continue
		}
		var v [8]int
		for i, k := range []string{"Hit_Same", "Miss_Same", "Hit_Different", "Miss_Different", "Hit_Same_MSC", "Miss_Same_MSC", "Hit_Different_MSC", "Miss_Different_MSC"} {
			x, err := num(name, r, k)
			if err != nil {
				return nil, err
			}
			v[i] = int(x)
		}
		out = append(out, SameDifferentCounts{Monkey: r["Monkey"], Location: r["Perturbation_Location"], Class: r["Stimulus_Class"],
			SameHit: v[0], SameMiss: v[1], DiffHit: v[2], DiffMiss: v[3], SameHitStim: v[4], SameMissStim: v[5], DiffHitStim: v[6], DiffMissStim: v[7]})
	}
	return out, nil
}

// Rajalingham2019Data is the monkeys' result in Rajalingham & DiCarlo 2019.
type Rajalingham2019Data struct {
	// Mean Δd′ under muscimol and in control sessions, [mean, error-bar
	// half-width] (Fig. 3B).
	Global, Contra, Ipsi, GlobalControl [2]float64
	// Fig. 6A: deficit-pattern similarity against site distance.
	Distance_mm, Similarity, SimilaritySD []float64
}

// Rajalingham2019 returns the digitised monkey data.
func Rajalingham2019() (*Rajalingham2019Data, error) {
	d := &Rajalingham2019Data{}
	rows, err := readTable("rajalingham2019_fig3B.csv")
	if err != nil {
		return nil, err
	}
	vals := map[string]float64{}
	for _, r := range rows {
		v, err := num("rajalingham2019_fig3B.csv", r, "value")
		if err != nil {
			return nil, err
		}
		vals[r["visual_field"]+"/"+r["inactivation"]+"/"+r["aggregation"]] = v
	}
	pair := func(field, cond string) [2]float64 {
		m := vals[field+"/"+cond+"/mean"]
		return [2]float64{m, math.Abs(vals[field+"/"+cond+"/error"] - m)}
	}
	d.Global, d.Contra, d.Ipsi, d.GlobalControl = pair("global", "muscimol"), pair("contra", "muscimol"), pair("ipsi", "muscimol"), pair("global", "no")
	if rows, err = readTable("rajalingham2019_fig6A.csv"); err != nil {
		return nil, err
	}
	for _, r := range rows {
		x, err1 := num("rajalingham2019_fig6A.csv", r, "anatomical_distance_mm")
		y, err2 := num("rajalingham2019_fig6A.csv", r, "inactivation_deficit_similarity")
		s, err3 := num("rajalingham2019_fig6A.csv", r, "inactivation_deficit_similarity_std")
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		d.Distance_mm, d.Similarity, d.SimilaritySD = append(d.Distance_mm, x), append(d.Similarity, y), append(d.SimilaritySD, s)
	}
	return d, nil
}
