package sim

import (
	"runtime"
	"sync"
)

// ParallelFor calls fn(i) for i in [0, n) on GOMAXPROCS workers. Each i
// must write only its own results, so the outcome does not depend on the
// number of cores. It returns the error of the lowest failing i.
func ParallelFor(n int, fn func(i int) error) error {
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
