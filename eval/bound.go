package eval

import "math"

// PoissonUpper95 is the exact one-sided 95% upper confidence bound on the
// mean of a Poisson count of which k events were observed: the λ at which
// seeing k or fewer events has probability 0.05 (Garwood's interval; 2.996
// for k = 0, the "rule of three"). Rare events among n comparisons follow
// a Poisson law closely, so PoissonUpper95(k)/n bounds the rate per
// comparison as Clopper–Pearson would.
func PoissonUpper95(k int) float64 {
	if k < 0 {
		return 0
	}
	// P(X ≤ k; λ) falls from 1 towards 0 as λ grows: bisect for 0.05.
	lo, hi := 0.0, float64(k)+10+10*math.Sqrt(float64(k)+1)
	for range 200 {
		mid := (lo + hi) / 2
		if poissonCDF(k, mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// poissonCDF is P(X ≤ k) for X ~ Poisson(λ), summed in log space so that
// large k and λ do not overflow.
func poissonCDF(k int, lambda float64) float64 {
	if lambda == 0 {
		return 1
	}
	sum := 0.0
	logTerm := -lambda // log of P(X = 0)
	for i := 0; i <= k; i++ {
		if i > 0 {
			logTerm += math.Log(lambda) - math.Log(float64(i))
		}
		sum += math.Exp(logTerm)
	}
	return math.Min(sum, 1)
}
