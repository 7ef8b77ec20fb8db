package experiments

import (
	"fmt"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/vision"
)

// CheckStimuli builds the config's tasks on the stimulus pool without
// running the network, so that a pool that cannot carry them (a folder
// without identity labels for a same/different task, a category with too
// few images) is refused by validate rather than by the run. The error
// names the condition and the stimuli that are missing.
func CheckStimuli(c *Config, pool []vision.Stimulus) error {
	check := func(name string, c *Config) error {
		err := c.protocol().CheckStimuli(c, pool)
		if err != nil && name != "" {
			return fmt.Errorf("condition %q: %w", name, err)
		}
		return err
	}
	if len(c.Conditions) == 0 {
		return check("", c)
	}
	for i, k := range c.Conditions {
		if err := check(k.Name, c.conditionConfig(i)); err != nil {
			return err
		}
	}
	return nil
}

// checkTask builds a generic task's stimulus sets and items.
func checkTask(t TaskConfig, pool []vision.Stimulus, seed uint64) error {
	var err error
	switch {
	case t.Kind == "same_different":
		_, err = paradigm.NewSameDifferent(pool, t.Pairs, t.Categories)
	case t.Kind == "discrimination" && len(t.Categories) > 2:
		_, err = paradigm.NewPairs(pool, t.Categories, t.TestImages, t.ImageScale, seed)
	default:
		_, err = binaryTask(t, pool, nil, seed)
	}
	return err
}

// CheckSites places the sites of a protocol that can (a SiteChecker), so
// that a model without the face patches its rule needs (an α = 0 control)
// is refused by validate rather than by the run.
func CheckSites(c *Config, m *vision.Model, pool []vision.Stimulus) error {
	if s, ok := c.protocol().(SiteChecker); ok {
		return s.CheckSites(c, m, pool)
	}
	return nil
}

// checkGenericSites places the sites of every generic condition whose rule
// needs the model's face patches (face_patch_centre, outside_patches,
// inside_patches). It runs the network on the face-selectivity set.
func checkGenericSites(c *Config, m *vision.Model, pool []vision.Stimulus) error {
	conds, names := []*Config{c}, []string{""}
	if len(c.Conditions) > 0 {
		conds, names = nil, nil
		for i, k := range c.Conditions {
			conds, names = append(conds, c.conditionConfig(i)), append(names, k.Name)
		}
	}
	var fs *faceSelectivity
	for i, cc := range conds {
		switch cc.Sites.Rule {
		case "face_patch_centre", "outside_patches", "inside_patches":
		default:
			continue
		}
		var err error
		if fs == nil || cc.Sites.Grid_mm != conds[0].Sites.Grid_mm || cc.Sites.Radius_mm != conds[0].Sites.Radius_mm {
			if fs, err = measureFaceSelectivity(cc, m, pool); err != nil {
				return err
			}
		}
		if _, err = cc.chooseSites(m.IT(), fs.Resp, fs.IsFace, fs.UnitDPrime, fs.Candidates); err != nil {
			if names[i] != "" {
				return fmt.Errorf("condition %q: %w", names[i], err)
			}
			return err
		}
	}
	return nil
}
