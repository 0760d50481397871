//go:build unix

package bench

import (
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// reportCPU reports the CPU time used since start per operation, for n
// operations.
func reportCPU(b *testing.B, start time.Duration, n int) {
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}

// benchDir is where benchmarks write files: $BENCH_DIR, or the system's
// temporary directory.
func benchDir(b *testing.B) string {
	dir, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "bexbench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// heapBytes returns the bytes held by live objects after a full
// collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A heapPeak samples the heap every millisecond, without stopping the
// world, and remembers the largest values: the heap (objects live or not yet
// collected) and the live heap as measured by the last collection.
type heapPeak struct {
	stop       chan struct{}
	done       sync.WaitGroup
	heap, live uint64
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(sample)
		p.heap = max(p.heap, sample[0].Value.Uint64())
		p.live = max(p.live, sample[1].Value.Uint64())
	}
	read()
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return p
}

// Stop stops sampling and returns the peaks in bytes.
func (p *heapPeak) Stop() (heap, live uint64) {
	close(p.stop)
	p.done.Wait()
	return p.heap, p.live
}
