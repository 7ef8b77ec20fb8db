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
		var err error
		switch c.Protocol {
		case "afraz2006", "hardware":
			_, err = newFaceTask(c, pool)
		case "afraz2015":
			err = checkTask(genericAfraz2015(c).Task, pool, c.Seed)
		case "rajalingham2019":
			t := c.Task
			t.Kind = "discrimination"
			err = checkTask(t, pool, c.Seed)
		case "moeller2017":
			_, err = paradigm.NewSameDifferent(pool, "identity", nil)
		case "generic":
			err = checkTask(c.Task, pool, c.Seed)
		}
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
	case t.Kind == "discrimination":
		_, err = paradigm.Discrimination(paradigm.Select(pool, t.Categories[0]), paradigm.Select(pool, t.Categories[1]), t.TestImages, t.ImageScale, seed)
		if err != nil {
			err = fmt.Errorf("discrimination of %q against %q: %w", t.Categories[0], t.Categories[1], err)
		}
	default:
		_, err = paradigm.Detection(nil, paradigm.Select(pool, t.Target), paradigm.Distractors(pool, t.Target, t.Distractors), t.TestImages, 0, seed)
		if err != nil {
			err = fmt.Errorf("detection of %q: %w", t.Target, err)
		}
	}
	return err
}
