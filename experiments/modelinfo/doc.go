// Package modelinfo characterises a model, as "microstim model info" prints
// it: held-out categorisation, face decoding, face and body selectivity
// and patches on both IT hemisphere sheets, Afraz-style site d′, response
// correlation against cortical distance, RSA with monkey IT, hemifield
// gender decoding and the ipsilateral over contralateral response.
//
// It knows the model and the shipped stimulus pool; it knows nothing of
// configs, protocols, perturbations or benchmarks, and model selection
// reads it alone (never a perturbation result).
package modelinfo
