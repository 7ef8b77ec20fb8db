package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// SDT is the signal-detection summary of a yes/no task: hit and
// false-alarm rates, sensitivity d′ = z(H) − z(F) and criterion
// c = −(z(H) + z(F))/2 (Macmillan & Creelman 2005). Rates of 0 or 1 are
// clipped to 1/(2n) and 1 − 1/(2n) for n trials before z is taken, so d′
// and c stay finite; HitRate and FalseAlarmRate are the raw rates.
type SDT struct {
	HitRate        float64 `json:"hit_rate"`
	FalseAlarmRate float64 `json:"false_alarm_rate"`
	DPrime         float64 `json:"dprime"`
	Criterion      float64 `json:"criterion"`
}

// Detection computes the SDT summary from hits of nTarget target trials
// and false alarms of nDistractor distractor trials (NaN when either count
// of trials is zero).
func Detection(hits, nTarget, falseAlarms, nDistractor int) SDT {
	if nTarget <= 0 || nDistractor <= 0 {
		return SDT{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	}
	h, f := float64(hits)/float64(nTarget), float64(falseAlarms)/float64(nDistractor)
	zh := distuv.UnitNormal.Quantile(clipRate(h, nTarget))
	zf := distuv.UnitNormal.Quantile(clipRate(f, nDistractor))
	return SDT{HitRate: h, FalseAlarmRate: f, DPrime: zh - zf, Criterion: -(zh + zf) / 2}
}

// clipRate keeps a rate of n trials within [1/(2n), 1 − 1/(2n)].
func clipRate(r float64, n int) float64 {
	lo := 1 / (2 * float64(n))
	return math.Max(lo, math.Min(1-lo, r))
}
