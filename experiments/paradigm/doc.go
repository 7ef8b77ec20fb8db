// Package paradigm builds the behavioural paradigms of the experiments
// from a stimulus pool: stimulus sets named by selectors (faces, a gender,
// an identity, a category), two-choice detection and discrimination with
// signal levels and hemifield placement (Afraz et al. 2006, 2015), every
// pair of several categories (Rajalingham & DiCarlo 2019) and same/different
// pairs (Moeller et al. 2017), with the readout's fitting sets and the
// seeded trial simulation of the many-category and same/different tasks.
// It knows nothing of configs, sites or perturbations: package experiments
// runs the paradigms on a perturbed network.
package paradigm
