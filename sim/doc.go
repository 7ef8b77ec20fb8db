// Package sim is microstim's simulation core: perturbation physics, the
// engine that propagates a perturbation through the network, and the
// behavioural readout that turns activity into choices.
//
// Perturbations (each with its formula, parameters in units and cited
// defaults):
//   - Microstim: electrical microstimulation with a SpreadLaw
//     (exp_kumaravelu2022, sqrt_tehovnik, gaussian, disk) and a multiplicative
//     (1 + (f/30 Hz)·p, optional cap) or additive gain;
//   - Optogenetic: fibre light, suppression or activation, with an expression
//     fraction;
//   - Muscimol: the 1 µL profile of Arikan et al. (2002), other volumes by
//     cube-root scaling;
//   - Lesion: a silenced disc.
//
// Several sites combine as documented on each model. An Engine caches the
// unperturbed activity of the perturbed stage and recomputes only what lies
// downstream; an identity perturbation reproduces the unperturbed activity
// bit for bit.
//
// Readouts are fitted once on unperturbed activity and frozen: Logistic (a
// multinomial logistic regression on standardised features, C as in
// Brain-Score's readout) and SameDifferent (a logistic function of the
// distance between two representations). Choices are sampled with seeded
// generators (SampleChoice, SimulateChoices), psychometric curves
// P(x) = 1/(1 + exp(−(αx + β))) are fitted by maximum likelihood with
// bootstrap CIs (FitPsychometric, ShiftBootstrap, FitBootstrap), and DPrime
// gives yes/no sensitivity.
package sim
