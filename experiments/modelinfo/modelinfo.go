package modelinfo

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// Site settings: the 0.5 mm site radius and grid follow Afraz et al.
// (2006), who measured multi-unit selectivity within about ±0.5 mm of each
// stimulation site. The face maps use topography's MapSigma_mm, MapStep_mm
// and NullPermutations.
const (
	SiteGrid_mm   = 0.5
	SiteRadius_mm = 0.5
	DecoderC      = 1.0 // scikit-learn's default, as in the prototype's face decoding
)

// CorrEdges_mm are the distance bins of the correlation-vs-distance curve.
var CorrEdges_mm = []float64{0, 1, 2, 3, 4, 5, 7, 10, 15}

// PatchInfo is one face patch in model-info output.
type PatchInfo struct {
	Hemisphere string  `json:"hemisphere"`
	Area_mm2   float64 `json:"area_mm2"`
	X_mm       float64 `json:"x_mm"`
	Y_mm       float64 `json:"y_mm"`
	MeanDPrime float64 `json:"mean_dprime"`
}

// CorrPoint is one bin of response correlation against cortical distance.
type CorrPoint struct {
	Distance_mm float64 `json:"distance_mm"`
	Corr        float64 `json:"corr"`
	Pairs       int     `json:"pairs"`
}

// ModelInfo is the characterisation printed by "microstim model info".
type ModelInfo struct {
	WeightsSHA256         string            `json:"weights_sha256"`
	Architecture          string            `json:"architecture"`
	Meta                  map[string]string `json:"meta"`
	ITUnits               int               `json:"it_units"`
	ITSheet_mm            [2]float64        `json:"it_sheet_mm"`
	ITSheetSource         string            `json:"it_sheet_source"`
	HeldoutTop1           float64           `json:"heldout_top1"`
	HeldoutImages         int               `json:"heldout_images"`
	FaceDecodingAccuracy  float64           `json:"face_decoding_accuracy"`
	FaceDecodingBalanced  float64           `json:"face_decoding_balanced_accuracy"`
	FaceImages            int               `json:"face_images"`
	NonFaceImages         int               `json:"nonface_images"`
	FaceSelectiveFraction float64           `json:"face_selective_fraction"`
	MaxUnitDPrime         float64           `json:"max_unit_dprime"`
	// MaxChannelDPrime is the largest face d′ of a channel's response
	// averaged over its positions; ChannelsDPrimeGT1 the fraction of
	// channels above 1.
	MaxChannelDPrime  float64 `json:"max_channel_dprime"`
	ChannelsDPrimeGT1 float64 `json:"channels_dprime_gt1_fraction"`
	// Body selectivity: fLoc bodies against the rest of the selectivity
	// set (faces, objects, Kiani images), measured as faces are.
	BodyImages            int                `json:"body_images"`
	BodySelectiveFraction float64            `json:"body_selective_fraction"`
	MaxUnitBodyDPrime     float64            `json:"max_unit_body_dprime"`
	BodyDPrimePeak        map[string]float64 `json:"body_dprime_peak"` // smoothed body d′ peak by hemisphere
	BodyNullThreshold     [2]float64         `json:"body_patch_null_p95"`
	BodyPatches           []PatchInfo        `json:"body_patches"`
	// Trunk names a pretrained trunk and its source ("" without one).
	Trunk               string      `json:"trunk,omitempty"`
	TrunkSHA256         string      `json:"trunk_sha256,omitempty"`
	MaxSmoothedDPrime   [2]float64  `json:"max_smoothed_dprime"` // [L, R]
	NullThreshold       [2]float64  `json:"patch_null_p95"`      // [L, R]
	FacePatches         []PatchInfo `json:"face_patches"`
	SitesDPrimeGT1      int         `json:"sites_dprime_gt1"`
	SitesTotal          int         `json:"sites_total"`
	MaxSiteDPrime       float64     `json:"max_site_dprime"`
	CorrVsDistance      []CorrPoint `json:"corr_vs_distance"`
	CorrNear            float64     `json:"corr_near_lt1mm"`
	CorrFar             float64     `json:"corr_far_gt5mm"`
	CorrNearMinusFar    float64     `json:"corr_near_minus_far"`
	RSAMonkeyITSpearman float64     `json:"rsa_monkey_it_spearman"`
	InputPx             int         `json:"input_px"`
	ITPositions         [2]int      `json:"it_positions"` // retinotopic rows, columns
	// HemifieldGender is the 5-fold cross-validated gender decoding of
	// labelled faces shown at half scale in one hemifield, from the
	// contralateral hemisphere's IT units (mean of the two fields).
	HemifieldGender      float64            `json:"hemifield_gender_decoding_accuracy"`
	HemifieldGenderFaces int                `json:"hemifield_gender_faces"`
	IpsiContraRatio      float64            `json:"ipsi_contra_response_ratio"`
	FaceDPrimePeak       map[string]float64 `json:"face_dprime_peak"` // smoothed face d′ peak by hemisphere
	SiteDPrimeQuantiles  map[string]float64 `json:"site_dprime_quantiles"`
	Settings             map[string]float64 `json:"settings"`

	// Maps and unit d′ for figures (not in JSON).
	Maps       [2]*topography.Map `json:"-"`
	Patches    []topography.Patch `json:"-"`
	UnitDPrime []float64          `json:"-"`
	BodyMaps   [2]*topography.Map `json:"-"`
	// BodyPatchList is BodyPatches for figures.
	BodyPatchList  []topography.Patch `json:"-"`
	UnitBodyDPrime []float64          `json:"-"`
}

// Characterise measures a model on the shipped held-out pool.
func Characterise(m *vision.Model, sha string, meta map[string]string, pool []vision.Stimulus, seed uint64) (*ModelInfo, error) {
	it := m.IT()
	info := &ModelInfo{WeightsSHA256: sha, Architecture: m.Arch.Describe(), Meta: meta, ITUnits: it.Units(),
		InputPx: m.Arch.Input, ITPositions: [2]int{it.Rows, it.Cols},
		ITSheet_mm: [2]float64{it.Sheet.Width_mm, it.Sheet.Height_mm}, ITSheetSource: it.Sheet.Source,
		Settings: map[string]float64{"map_sigma_mm": topography.MapSigma_mm, "map_step_mm": topography.MapStep_mm, "null_permutations": topography.NullPermutations,
			"site_grid_mm": SiteGrid_mm, "site_radius_mm": SiteRadius_mm, "decoder_C": DecoderC, "unit_dprime_threshold": 1,
			"hemifield_image_scale": HemifieldScale}}

	// Categorisation on held-out Caltech images.
	cal := vision.CaltechHeldout(pool)
	classIdx := map[string]int{}
	for i, c := range m.Arch.Classes {
		classIdx[c] = i
	}
	calAct, err := m.Run(vision.Images(cal), [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	correct, n := 0, 0
	for i, p := range calAct.Predict() {
		if k, ok := classIdx[cal[i].Category]; ok {
			n++
			if p == k {
				correct++
			}
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("model info: none of the held-out Caltech categories is a class of this model")
	}
	info.HeldoutTop1, info.HeldoutImages = float64(correct)/float64(n), n

	// Face selectivity.
	faces, non := vision.FaceSelectivitySet(pool)
	set := append(append([]vision.Stimulus(nil), faces...), non...)
	isFace := make([]bool, len(set))
	labels := make([]int, len(set))
	for i := range faces {
		isFace[i], labels[i] = true, 1
	}
	info.FaceImages, info.NonFaceImages = len(faces), len(non)
	act, err := m.Run(vision.Images(set), [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	resp := vision.Float64s(act.Stages[3])
	info.UnitDPrime = topography.UnitDPrimes(resp, isFace)
	sel := 0
	for _, d := range info.UnitDPrime {
		if d > 1 {
			sel++
		}
		info.MaxUnitDPrime = math.Max(info.MaxUnitDPrime, d)
	}
	info.FaceSelectiveFraction = float64(sel) / float64(len(info.UnitDPrime))
	info.MaxChannelDPrime, info.ChannelsDPrimeGT1 = channelDPrimes(it, resp, isFace)
	info.bodySelectivity(it, resp, set, seed)
	if m.Arch.Trunk != "" {
		info.Trunk, info.TrunkSHA256 = meta["trunk"], meta["trunk_sha256"]
		if info.Trunk == "" {
			info.Trunk = m.Arch.Trunk
		}
	}
	patches, thr := topography.FacePatches(it, info.UnitDPrime, topography.MapSigma_mm, topography.MapStep_mm, topography.NullPermutations, seed)
	info.NullThreshold = thr
	info.Patches = patches
	for h := 0; h < 2; h++ {
		info.Maps[h] = topography.Smooth(it, topography.Hemisphere(h), info.UnitDPrime, topography.MapSigma_mm, topography.MapStep_mm)
		info.MaxSmoothedDPrime[h] = info.Maps[h].Max()
	}
	info.FaceDPrimePeak = map[string]float64{"L": info.MaxSmoothedDPrime[0], "R": info.MaxSmoothedDPrime[1]}
	info.FacePatches = []PatchInfo{}
	for _, p := range patches {
		info.FacePatches = append(info.FacePatches, PatchInfo{p.Hemi.String(), p.Area_mm2, p.X_mm, p.Y_mm, p.MeanDPrime})
	}
	sites := topography.SiteDPrimes(it, resp, isFace, SiteGrid_mm, SiteRadius_mm)
	info.SitesTotal = len(sites)
	info.SiteDPrimeQuantiles = siteQuantiles(sites)
	info.MaxSiteDPrime = math.Inf(-1)
	for _, s := range sites {
		if s.DPrime >= 1 {
			info.SitesDPrimeGT1++
		}
		info.MaxSiteDPrime = math.Max(info.MaxSiteDPrime, s.DPrime)
	}
	acc, bal, err := faceDecoding(resp, labels, seed)
	if err != nil {
		return nil, err
	}
	info.FaceDecodingAccuracy, info.FaceDecodingBalanced = acc, bal

	// Topography: correlation against distance over the held-out Caltech images.
	calResp := vision.Float64s(calAct.Stages[3])
	for _, b := range topography.CorrVsDistance(it, calResp, CorrEdges_mm, 200000, seed) {
		info.CorrVsDistance = append(info.CorrVsDistance, CorrPoint{b.Distance_mm, b.Corr, b.Pairs})
	}
	info.CorrNear, _ = topography.MeanCorr(it, calResp, 0, 1, 200000, seed)
	info.CorrFar, _ = topography.MeanCorr(it, calResp, 5, math.Inf(1), 200000, seed)
	info.CorrNearMinusFar = info.CorrNear - info.CorrFar

	// Lateralisation: ipsi/contra responses and hemifield gender decoding.
	if info.IpsiContraRatio, err = ipsiContraRatio(m, cal); err != nil {
		return nil, err
	}
	if info.HemifieldGender, info.HemifieldGenderFaces, err = hemifieldGender(m, pool, seed); err != nil {
		return nil, err
	}

	// RSA against monkey IT on the Kiani 92 images.
	info.RSAMonkeyITSpearman = math.NaN()
	if rsa, err := kianiRSA(m, pool); err == nil {
		info.RSAMonkeyITSpearman = rsa
	} else {
		return nil, err
	}
	return info, nil
}

// channelDPrimes returns the largest face d′ of a channel's mean response
// over its positions, and the fraction of channels with d′ > 1.
func channelDPrimes(l *topography.Layout, resp [][]float64, isFace []bool) (maxD, fracGT1 float64) {
	per := l.Rows * l.Cols
	mean := make([][]float64, len(resp))
	for i, r := range resp {
		mean[i] = make([]float64, l.Channels)
		for u, v := range r {
			mean[i][u/per] += v / float64(per)
		}
	}
	maxD = math.Inf(-1)
	n := 0
	for _, d := range topography.UnitDPrimes(mean, isFace) {
		maxD = math.Max(maxD, d)
		if d > 1 {
			n++
		}
	}
	return maxD, float64(n) / float64(l.Channels)
}

// bodySelectivity measures body d′ (fLoc bodies against the rest of set),
// its fraction above 1, smoothed maps and patches, as for faces.
func (info *ModelInfo) bodySelectivity(it *topography.Layout, resp [][]float64, set []vision.Stimulus, seed uint64) {
	isBody := make([]bool, len(set))
	for i, s := range set {
		if s.Role == "floc_body" {
			isBody[i] = true
			info.BodyImages++
		}
	}
	info.UnitBodyDPrime = topography.UnitDPrimes(resp, isBody)
	sel := 0
	info.MaxUnitBodyDPrime = math.Inf(-1)
	for _, d := range info.UnitBodyDPrime {
		if d > 1 {
			sel++
		}
		info.MaxUnitBodyDPrime = math.Max(info.MaxUnitBodyDPrime, d)
	}
	info.BodySelectiveFraction = float64(sel) / float64(len(info.UnitBodyDPrime))
	info.BodyPatchList, info.BodyNullThreshold = topography.FacePatches(it, info.UnitBodyDPrime, topography.MapSigma_mm, topography.MapStep_mm, topography.NullPermutations, seed)
	info.BodyDPrimePeak = map[string]float64{}
	for h := 0; h < 2; h++ {
		info.BodyMaps[h] = topography.Smooth(it, topography.Hemisphere(h), info.UnitBodyDPrime, topography.MapSigma_mm, topography.MapStep_mm)
		info.BodyDPrimePeak[topography.Hemisphere(h).String()] = info.BodyMaps[h].Max()
	}
	info.BodyPatches = []PatchInfo{}
	for _, p := range info.BodyPatchList {
		info.BodyPatches = append(info.BodyPatches, PatchInfo{p.Hemi.String(), p.Area_mm2, p.X_mm, p.Y_mm, p.MeanDPrime})
	}
}

// faceDecoding is the 5-fold cross-validated accuracy (and balanced
// accuracy) of a logistic face/non-face decoder on IT responses.
func faceDecoding(resp [][]float64, labels []int, seed uint64) (acc, balanced float64, err error) {
	acc, err = sim.CrossValidate(resp, labels, 2, DecoderC, 5, seed)
	if err != nil {
		return 0, 0, err
	}
	pred, err := sim.CrossValidatePredict(resp, labels, 2, DecoderC, 5, seed)
	if err != nil {
		return 0, 0, err
	}
	var hit, n [2]float64
	for i, l := range labels {
		n[l]++
		if pred[i] == l {
			hit[l]++
		}
	}
	return acc, (hit[0]/n[0] + hit[1]/n[1]) / 2, nil
}

func kianiRSA(m *vision.Model, pool []vision.Stimulus) (float64, error) {
	var kiani []vision.Stimulus
	for _, s := range pool {
		if s.Role == "kiani92" {
			kiani = append(kiani, s)
		}
	}
	if len(kiani) != 92 {
		return 0, fmt.Errorf("model info: %d Kiani images in the pool, want 92", len(kiani))
	}
	f, err := vision.StimuliFS().Open("kiani92/rdm_monkeyIT_kiani2007_674neurons.csv")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ref, err := readMatrix(f)
	if err != nil {
		return 0, err
	}
	act, err := m.Run(vision.Images(kiani), [4]bool{false, false, false, true})
	if err != nil {
		return 0, err
	}
	return topography.SpearmanUpper(topography.RDM(vision.Float64s(act.Stages[3])), ref), nil
}

func readMatrix(f fs.File) ([][]float64, error) {
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, v := range r {
			if out[i][j], err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("matrix row %d col %d: %w", i+1, j+1, err)
			}
		}
	}
	return out, nil
}

// HemifieldScale is the side of an image shown in one hemifield, as a
// fraction of the frame: the parafoveal faces of Afraz et al. (2015) and
// the lateralised objects of Rajalingham & DiCarlo (2019), as the configs
// show them.
const HemifieldScale = 0.5

// ipsiContraRatio is the mean IT response to images shown in the
// ipsilateral hemifield over the mean response to the same images in the
// contralateral one, pooled over both hemispheres' units.
func ipsiContraRatio(m *vision.Model, imgs []vision.Stimulus) (float64, error) {
	left, err := itInHemifield(m, imgs, paradigm.LeftField)
	if err != nil {
		return 0, err
	}
	right, err := itInHemifield(m, imgs, paradigm.RightField)
	if err != nil {
		return 0, err
	}
	return lateralRatio(m.IT(), left, right), nil
}

// itInHemifield is the IT activity for imgs shown at HemifieldScale in one
// hemifield.
func itInHemifield(m *vision.Model, imgs []vision.Stimulus, side paradigm.Side) ([][]float32, error) {
	placed := make([]*vision.Gray, len(imgs))
	for i, s := range imgs {
		placed[i] = paradigm.PlaceInHemifield(s.Img, side, HemifieldScale)
	}
	act, err := m.Run(placed, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	return act.Stages[3], nil
}

// lateralRatio is Σ ipsilateral / Σ contralateral response over every
// unit of layout l and every image, from the responses to images shown in
// the left and in the right hemifield (NaN when contralateral responses
// sum to zero).
func lateralRatio(l *topography.Layout, left, right [][]float32) float64 {
	var ipsi, contra float64
	for h := topography.Left; h <= topography.Right; h++ {
		c, i := left, right
		if paradigm.Contralateral(h) == paradigm.RightField {
			c, i = right, left
		}
		for _, u := range l.UnitsOf(h) {
			for k := range c {
				contra += float64(c[k][u])
				ipsi += float64(i[k][u])
			}
		}
	}
	if contra == 0 {
		return math.NaN()
	}
	return ipsi / contra
}

// hemifieldGender decodes the gender of the pool's labelled faces shown at
// HemifieldScale in one hemifield from the contralateral hemisphere's IT
// units (5-fold CV logistic, C = DecoderC), averaged over the two fields.
func hemifieldGender(m *vision.Model, pool []vision.Stimulus, seed uint64) (acc float64, n int, err error) {
	var faces []vision.Stimulus
	var labels []int
	for _, s := range pool {
		if s.Face && (s.Gender == "male" || s.Gender == "female") {
			faces = append(faces, s)
			label := 0
			if s.Gender == "female" {
				label = 1
			}
			labels = append(labels, label)
		}
	}
	if len(faces) < 10 {
		return math.NaN(), len(faces), nil
	}
	it := m.IT()
	for _, side := range []paradigm.Side{paradigm.LeftField, paradigm.RightField} {
		resp, err := itInHemifield(m, faces, side)
		if err != nil {
			return 0, 0, err
		}
		var h topography.Hemisphere = topography.Left
		if paradigm.Contralateral(topography.Left) != side {
			h = topography.Right
		}
		units := it.UnitsOf(h)
		x := make([][]float64, len(faces))
		for i, r := range resp {
			x[i] = make([]float64, len(units))
			for k, u := range units {
				x[i][k] = float64(r[u])
			}
		}
		a, err := sim.CrossValidate(x, labels, 2, DecoderC, 5, seed)
		if err != nil {
			return 0, 0, err
		}
		acc += a / 2
	}
	return acc, len(faces), nil
}

// siteQuantiles summarises the distribution of site d′.
func siteQuantiles(sites []topography.Site) map[string]float64 {
	v := make([]float64, len(sites))
	for i, s := range sites {
		v[i] = s.DPrime
	}
	sort.Float64s(v)
	out := map[string]float64{}
	if len(v) == 0 {
		return out
	}
	for _, q := range []struct {
		name string
		p    float64
	}{{"min", 0}, {"p10", 0.1}, {"p25", 0.25}, {"median", 0.5}, {"p75", 0.75}, {"p90", 0.9}, {"max", 1}} {
		out[q.name] = stat.Quantile(q.p, stat.Empirical, v, nil)
	}
	return out
}
