package vision

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Sample is a preprocessed training or held-out image.
type Sample struct {
	Img    *Gray
	Class  int
	Gender int // 0 male, 1 female, -1 none
	Rel    string
}

// Dataset is the training set and the held-out set of a config.
type Dataset struct {
	Classes   []string
	Train     []Sample // TrainSide×TrainSide
	Heldout   []Sample // Input×Input
	FilesHash string   // SHA-256 over the sorted training and held-out Rel paths
}

// LoadDataset lists, splits, decodes and resizes the images of cfg.
func LoadDataset(cfg TrainConfig, input int) (*Dataset, error) {
	excl := map[string]bool{}
	for _, e := range cfg.Exclude {
		excl[e] = true
	}
	var items []Item
	for _, d := range cfg.Data {
		it, err := ListFolder(d)
		if err != nil {
			return nil, err
		}
		for _, x := range it {
			if !excl[x.Category] {
				items = append(items, x)
			}
		}
	}
	train, held := Split(items, cfg.HeldoutFrac, cfg.HeldoutFracs)
	class := func(cat string) string {
		if m, ok := cfg.Merge[cat]; ok {
			return m
		}
		return cat
	}
	set := map[string]bool{}
	for _, it := range items {
		set[class(it.Category)] = true
	}
	ds := &Dataset{}
	for c := range set {
		ds.Classes = append(ds.Classes, c)
	}
	sort.Strings(ds.Classes)
	idx := map[string]int{}
	for i, c := range ds.Classes {
		idx[c] = i
	}
	gender := map[string]int{}
	if cfg.GenderLabels != "" {
		var err error
		if gender, err = readGender(cfg.GenderLabels); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	for _, it := range train {
		fmt.Fprintf(h, "train %s\n", it.Rel)
	}
	for _, it := range held {
		fmt.Fprintf(h, "heldout %s\n", it.Rel)
	}
	ds.FilesHash = hex.EncodeToString(h.Sum(nil))
	load := func(list []Item, side int) ([]Sample, error) {
		out := make([]Sample, len(list))
		errs := make([]error, len(list))
		var wg sync.WaitGroup
		ch := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ch {
					it := list[i]
					g, err := LoadGray(it.Path)
					if err != nil {
						errs[i] = err
						continue
					}
					if f, ok := cfg.CropFrac[it.Category]; ok {
						g = g.CropCentre(f)
					}
					gi, ok := gender[it.Rel]
					if !ok {
						gi = -1
					}
					out[i] = Sample{Img: g.SquareResize(side), Class: idx[class(it.Category)], Gender: gi, Rel: it.Rel}
				}
			}()
		}
		for i := range list {
			ch <- i
		}
		close(ch)
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
		return out, nil
	}
	var err error
	if ds.Train, err = load(train, cfg.TrainSide); err != nil {
		return nil, err
	}
	if ds.Heldout, err = load(held, input); err != nil {
		return nil, err
	}
	return ds, nil
}

// readGender reads a dataset,file,gender CSV and keys it by the file's
// last two path elements ("category/file").
func readGender(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gender labels: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("gender labels %s: %w", path, err)
	}
	out := map[string]int{}
	for _, r := range rows[1:] {
		if len(r) < 3 {
			continue
		}
		parts := strings.Split(r[1], "/")
		if len(parts) < 2 {
			continue
		}
		key := parts[len(parts)-2] + "/" + parts[len(parts)-1]
		switch r[2] {
		case "male":
			out[key] = 0
		case "female":
			out[key] = 1
		}
	}
	return out, nil
}
