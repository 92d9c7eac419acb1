package portal_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

// soakSample is one reading of what a long run must not accumulate.
type soakSample struct {
	at          time.Duration
	heap        uint64 // live heap after a collection
	goroutines  int
	descriptors int // open by the process
	dbOpen      int // the Store's open database connections
}

// soakWatch samples the process every period until stopped.
type soakWatch struct {
	mu      sync.Mutex
	samples []soakSample
	done    chan struct{}
	ended   chan struct{}
	once    sync.Once
}

// Each sample is logged as it is taken, so that a run cut short (a machine
// too busy to finish the work in time) still shows how it went. With
// CONNECT_SOAK_HEAP=<dir> each sample also writes a heap profile there
// (heap-<minutes>m.pb.gz), so that growth can be named:
// go tool pprof -base heap-1m.pb.gz heap-60m.pb.gz.
func watchSoak(t *testing.T, db *sql.DB, period time.Duration) *soakWatch {
	profiles := os.Getenv("CONNECT_SOAK_HEAP")
	w := &soakWatch{done: make(chan struct{}), ended: make(chan struct{})}
	began := time.Now()
	go func() {
		defer close(w.ended)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
			fds, _ := os.ReadDir("/proc/self/fd")
			s := soakSample{at: time.Since(began).Round(time.Second), heap: loadSettledHeap(),
				goroutines: runtime.NumGoroutine(), descriptors: len(fds), dbOpen: db.Stats().OpenConnections}
			t.Logf("soak %8v: live heap %s, %d goroutines, %d descriptors, %d database connections",
				s.at, loadMB(s.heap), s.goroutines, s.descriptors, s.dbOpen)
			if profiles != "" {
				if err := writeHeapProfile(filepath.Join(profiles, fmt.Sprintf("heap-%dm.pb.gz", int(s.at.Minutes())))); err != nil {
					t.Logf("soak: %v", err)
				}
			}
			w.mu.Lock()
			w.samples = append(w.samples, s)
			w.mu.Unlock()
		}
	}()
	return w
}

// writeHeapProfile writes the heap as of the last collection (which
// loadSettledHeap has just run) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (w *soakWatch) stop() {
	w.once.Do(func() { close(w.done) })
	<-w.ended
}

// check logs every sample and fails when the last third of the run grew past
// its middle third: the first third is warm-up (pools, caches and the
// database's statement caches filling), after which a leak shows as growth.
func (w *soakWatch) check(t *testing.T) {
	t.Helper()
	w.stop()
	n := len(w.samples)
	if n < 6 {
		t.Errorf("only %d soak samples: run it longer", n)
		return
	}
	middle, last := w.samples[n/3:2*n/3], w.samples[2*n/3:]
	peak := func(ss []soakSample, f func(soakSample) float64) float64 {
		m := 0.0
		for _, s := range ss {
			m = max(m, f(s))
		}
		return m
	}
	for _, m := range []struct {
		name  string
		f     func(soakSample) float64
		slack float64 // allowed over the middle third's peak: a fraction, plus a floor
		floor float64
	}{
		{"live heap (MB)", func(s soakSample) float64 { return float64(s.heap) / (1 << 20) }, 0.2, 8},
		{"goroutines", func(s soakSample) float64 { return float64(s.goroutines) }, 0.05, 20},
		{"descriptors", func(s soakSample) float64 { return float64(s.descriptors) }, 0.05, 20},
		{"database connections", func(s soakSample) float64 { return float64(s.dbOpen) }, 0, 4},
	} {
		was, is := peak(middle, m.f), peak(last, m.f)
		if is > was*(1+m.slack)+m.floor {
			t.Errorf("%s grew in the last third of the soak: peak %.1f, %.1f in the middle third", m.name, is, was)
		}
	}
}

// loadReservoir keeps a uniform sample of at most its capacity of what it is
// given (Vitter's algorithm R), so that an hour's soak measures its page times
// in bounded memory: every page load kept, as the first version did, grew the
// heap by about 0.65 MB a minute, which the soak's own check then read as a
// leak. A run shorter than the capacity keeps everything, and its
// percentiles are exact.
type loadReservoir[T any] struct {
	kept []T
	seen int
	rng  *rand.Rand
}

func newLoadReservoir[T any](capacity int, seed uint64) *loadReservoir[T] {
	return &loadReservoir[T]{kept: make([]T, 0, capacity), rng: rand.New(rand.NewPCG(seed, 1))}
}

func (r *loadReservoir[T]) add(x T) {
	r.seen++
	if len(r.kept) < cap(r.kept) {
		r.kept = append(r.kept, x)
	} else if j := r.rng.IntN(r.seen); j < len(r.kept) {
		r.kept[j] = x
	}
}
