package jsonl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// flakyWriter fails its first fails writes, and writes at most short bytes
// per call when short > 0.
type flakyWriter struct {
	mu    sync.Mutex
	fails int
	short int
	buf   bytes.Buffer
	calls int
}

var errDiskFull = errors.New("disk full")

func (f *flakyWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fails > 0 {
		f.fails--
		return 0, errDiskFull
	}
	if f.short > 0 && len(p) > f.short {
		f.buf.Write(p[:f.short])
		return f.short, nil
	}
	return f.buf.Write(p)
}

func (f *flakyWriter) heal() {
	f.mu.Lock()
	f.fails = 0
	f.mu.Unlock()
}

func TestFlushWritesEverything(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf) // the default 64 KiB buffer holds the whole workload
	workload(w)
	if buf.Len() != 0 {
		t.Fatalf("%d bytes written before Flush; the workload should fit in the buffer", buf.Len())
	}
	if s := w.Stats(); s.Buffered != workloadEvents || s.Events != 0 {
		t.Errorf("Stats() = %+v, want %d buffered", s, workloadEvents)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(readAll(t, buf.Bytes())); got != workloadEvents {
		t.Errorf("%d events after Flush, want %d", got, workloadEvents)
	}
	if s := w.Stats(); s != (Stats{Events: workloadEvents, Bytes: int64(buf.Len())}) {
		t.Errorf("Stats() = %+v", s)
	}
	if err := w.Close(); err != nil || w.Err() != nil {
		t.Errorf("Close() = %v, Err() = %v", err, w.Err())
	}
}

// TestFileFlushDurability checks that after Flush a separate reader of the
// file sees every event, before Close, and that Open appends.
func TestFileFlushDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	for round := 1; round <= 2; round++ {
		w, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		workload(w)
		if err := w.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range ReadFile(path) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != workloadEvents*round {
			t.Errorf("round %d: %d events in the file after Flush, want %d", round, n, workloadEvents*round)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestOpenError(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "t.jsonl")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

func TestFlushHonoursContext(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush(canceled) = %v", err)
	}
}

func TestBufferSizeTriggersWrites(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WithBufferSize(0))
	defer w.Close()
	workload(w)
	if got := len(readAll(t, buf.Bytes())); got != workloadEvents {
		t.Errorf("with no buffer, %d events written at once, want %d", got, workloadEvents)
	}
}

// TestFailedWritesAreRetried: a destination that fails for a while loses
// nothing; the error is reported but nothing is dropped.
func TestFailedWritesAreRetried(t *testing.T) {
	f := &flakyWriter{fails: 3, short: 100}
	w := NewWriter(f, WithBufferSize(512))
	for range 5 {
		workload(w)
	}
	if w.Err() == nil || w.Stats().WriteErrors == 0 {
		t.Errorf("Err() = %v, Stats() = %+v; want the write errors reported", w.Err(), w.Stats())
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	s := w.Stats()
	if s.Dropped != 0 || s.Events != 5*workloadEvents || s.Buffered != 0 {
		t.Errorf("Stats() = %+v, want %d events written, none dropped", s, 5*workloadEvents)
	}
	if got := len(readAll(t, f.buf.Bytes())); got != 5*workloadEvents {
		t.Errorf("%d events reached the destination, want %d", got, 5*workloadEvents)
	}
}

// TestDropsAreCounted: a dead destination fills the bounded buffer; later
// events are dropped, counted, and reported by Err, Flush and Close.
func TestDropsAreCounted(t *testing.T) {
	f := &flakyWriter{fails: 1 << 30}
	w := NewWriter(f, WithBufferSize(1024), WithMaxBuffered(4096))
	for range 10 {
		workload(w)
	}
	s := w.Stats()
	if s.Dropped == 0 || s.Buffered+s.Dropped != 10*workloadEvents || s.Events != 0 {
		t.Fatalf("Stats() = %+v, want %d events buffered or dropped", s, 10*workloadEvents)
	}
	if !errors.Is(w.Err(), errDiskFull) {
		t.Errorf("Err() = %v, want the write error", w.Err())
	}
	if err := w.Flush(context.Background()); err == nil {
		t.Errorf("Flush succeeded with a dead destination")
	}
	f.heal()
	err := w.Close()
	if err == nil {
		t.Errorf("Close() = nil, want the dropped events reported")
	}
	if s2 := w.Stats(); s2.Events != s.Buffered || s2.Dropped != s.Dropped {
		t.Errorf("after healing, Stats() = %+v; want the %d buffered events written", s2, s.Buffered)
	}
}

func TestEmitAfterClose(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	workload(w)
	if s := w.Stats(); s.Dropped != workloadEvents {
		t.Errorf("Stats() = %+v, want %d dropped", s, workloadEvents)
	}
	if !errors.Is(w.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", w.Err())
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

// TestBackgroundFlush waits (without asserting any timing) for the
// background goroutine to write a buffered event.
func TestBackgroundFlush(t *testing.T) {
	var buf syncBuffer
	w := NewWriter(&buf, WithFlushInterval(time.Millisecond))
	defer w.Close()
	workload(w)
	deadline := time.Now().Add(10 * time.Second)
	for len(buf.Bytes()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background flush never wrote the buffer")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentEmit(t *testing.T) {
	var buf syncBuffer
	w := NewWriter(&buf, WithBufferSize(4096))
	tr := newTracer(w)
	const goroutines, spans = 50, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx, root := tr.Start(context.Background(), "worker", "g", g)
			for i := range spans - 1 {
				_, s := tr.Start(ctx, "item", "i", i)
				s.End(i, nil)
			}
			root.End(nil, nil)
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events := readAll(t, buf.Bytes())
	if len(events) != 2*goroutines*spans {
		t.Fatalf("%d events, want %d", len(events), 2*goroutines*spans)
	}
	ends := map[vmspan.SpanID]int{}
	for _, e := range events {
		if e.Kind == vmspan.EventEnd {
			ends[e.Span.ID]++
		}
	}
	if len(ends) != goroutines*spans {
		t.Errorf("%d spans ended, want %d", len(ends), goroutines*spans)
	}
}

func TestConformance(t *testing.T) {
	bufs := map[vmspan.Sink]*bytes.Buffer{}
	spantest.Run(t, spantest.Harness{
		New: func(t *testing.T) vmspan.Sink {
			buf := &bytes.Buffer{}
			w := NewWriter(buf, WithBufferSize(1024))
			bufs[w] = buf
			t.Cleanup(func() { w.Close() })
			return w
		},
		Result: func(t *testing.T, s vmspan.Sink) ([]spantest.Span, error) {
			if err := s.(*Writer).Flush(context.Background()); err != nil {
				return nil, err
			}
			var events []vmspan.Event
			for e, err := range Read(bytes.NewReader(bufs[s].Bytes())) {
				if err != nil {
					return nil, fmt.Errorf("reading back: %w", err)
				}
				events = append(events, e)
			}
			return spantest.FromEvents(events), nil
		},
	})
}

// TestWriterRetainsNothing checks that the writer does not read an event's
// Stack or Args after Emit returns (it says so through vmspan.Retainer):
// slices overwritten after Emit leave the file as it was.
func TestWriterRetainsNothing(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if vmspan.Retains(w) {
		t.Fatal("the writer says it retains events")
	}
	ids := vmspan.SequentialIDs()
	id := ids()
	stack := []vmspan.SpanID{id}
	args := []vmspan.Arg{{Name: "x", Value: "before"}}
	w.Emit(&vmspan.Event{Kind: vmspan.EventStart, ID: ids(), Span: vmspan.SpanContext{ID: id, Root: id}, Stack: stack,
		Time: time.Unix(1, 0), Name: "f", SpanKind: vmspan.KindExpr, Args: args})
	args[0], stack[0] = vmspan.Arg{Name: "y", Value: "after"}, ids()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"before"`) || strings.Contains(out, "after") || !strings.Contains(out, id.String()) {
		t.Errorf("written: %s", out)
	}
}

// gateWriter blocks every Write until release is closed, and announces
// each Write on entered.
type gateWriter struct {
	entered chan struct{}
	release chan struct{}
	buf     syncBuffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.buf.Write(p)
}

// TestWriteOutsideLock: while a write is in progress, other callers fill
// the second buffer without waiting; once that one is full too, they wait
// for the write (back-pressure); nothing is lost or reordered.
func TestWriteOutsideLock(t *testing.T) {
	g := &gateWriter{entered: make(chan struct{}, 16), release: make(chan struct{})}
	w := NewWriter(g, WithBufferSize(1)) // every event fills the buffer
	tr := newTracer(w)
	emit := func(name string) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, s := tr.Start(context.Background(), name)
			_ = s // its start event is what is written; End would add more
		}()
		return done
	}
	wait := func(done chan struct{}, what string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(time.Minute): // a deadlock, not a slow machine
			t.Fatalf("%s never returned", what)
		}
	}
	first := emit("first")
	<-g.entered // the first event's write is in progress, and blocked
	wait(emit("second"), "an Emit during a write, with room in the buffer")
	third := emit("third") // the second buffer is full: this one waits
	time.Sleep(50 * time.Millisecond)
	select {
	case <-third:
		t.Fatal("an Emit returned while both buffers were full")
	case <-first:
		t.Fatal("the Emit whose write is blocked returned")
	default:
	}
	if s := w.Stats(); s.Buffered != 2 || s.Events != 0 {
		t.Errorf("during the write, Stats() = %+v; want 2 events buffered (one in the write), none written", s)
	}
	close(g.release)
	wait(first, "the Emit that wrote")
	wait(third, "the Emit that waited for room")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range readAll(t, g.buf.Bytes()) {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "first second third" {
		t.Errorf("written: %s; want first second third", got)
	}
}
