// writer.go holds the Writer: buffering, back-pressure, flushing and drop accounting.

package jsonl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// Defaults of a Writer (see the options).
const (
	DefaultBufferSize    = 64 << 10 // bytes encoded before they are written
	DefaultMaxBuffered   = 64 << 20 // bytes kept while the destination fails
	DefaultFlushInterval = time.Second
)

// ErrClosed is recorded when events are emitted to a closed Writer.
var ErrClosed = errors.New("jsonl: writer closed")

// An Option configures a Writer.
type Option func(*Writer)

// WithBufferSize sets how many encoded bytes accumulate before the Writer
// writes them (default DefaultBufferSize). 0 writes every event at once.
func WithBufferSize(n int) Option { return func(w *Writer) { w.limit = max(n, 0) } }

// WithMaxBuffered bounds the bytes a Writer keeps in memory while writes
// to its destination fail (default DefaultMaxBuffered). Beyond it, events
// are dropped and counted in Stats.Dropped.
func WithMaxBuffered(n int) Option { return func(w *Writer) { w.maxBuf = max(n, 1) } }

// WithFlushInterval makes a background goroutine write the buffer every d,
// so that a crashed process loses at most about d of events; 0 disables it.
// The default is DefaultFlushInterval for Open and 0 for NewWriter. Close
// stops the goroutine.
func WithFlushInterval(d time.Duration) Option { return func(w *Writer) { w.interval = max(d, 0) } }

var (
	_ vmspan.Sink    = (*Writer)(nil)
	_ vmspan.Flusher = (*Writer)(nil)
)

// A Writer appends events to a JSONL trace file. It is a vmspan.Sink and a
// vmspan.Flusher, safe for concurrent use. See the package documentation for
// its guarantees.
type Writer struct {
	limit    int
	maxBuf   int
	interval time.Duration

	mu      sync.Mutex // guards everything below; not held while writing
	idle    sync.Cond  // on mu: broadcast when a write or sync ends
	w       io.Writer
	file    *os.File // set by Open: synced by Flush, closed by Close
	buf     []byte   // lines not yet handed to a write
	spare   []byte   // the buffer of the last write, for the next one
	pending int64    // events in buf
	inIO    int64    // events in the write in progress
	io      bool     // a write or sync is in progress (one at a time)
	retryAt int      // buffer length at which to write next (grows after a failure)
	dirty   bool     // bytes written since the last sync
	closed  bool
	err     error
	stats   Stats

	stop chan struct{}
	done chan struct{}
}

// Stats counts what a Writer did.
type Stats struct {
	Events      int64 // events written to the destination
	Bytes       int64 // bytes written to the destination
	Buffered    int64 // events encoded but not yet written
	WriteErrors int64 // failed writes and syncs
	Dropped     int64 // events lost: buffer full after failed writes, or emitted after Close
}

// NewWriter returns a Writer that appends to w. The Writer never closes w.
func NewWriter(w io.Writer, opts ...Option) *Writer {
	wr := &Writer{w: w, limit: DefaultBufferSize, maxBuf: DefaultMaxBuffered}
	for _, o := range opts {
		o(wr)
	}
	wr.idle.L = &wr.mu
	wr.retryAt = wr.limit
	wr.buf = wr.newBuf()
	if wr.interval > 0 {
		wr.stop, wr.done = make(chan struct{}), make(chan struct{})
		go wr.flushLoop()
	}
	return wr
}

// newBuf returns an empty buffer with room for a full buffer and a line.
func (w *Writer) newBuf() []byte { return make([]byte, 0, w.limit+4096) }

// Open opens (creating it with mode 0644 if needed) the file at path for
// appending and returns a Writer to it. Flush syncs the file to disk, and
// Close closes it.
func Open(path string, opts ...Option) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	w := NewWriter(f, append([]Option{WithFlushInterval(DefaultFlushInterval)}, opts...)...)
	w.file = f
	return w, nil
}

// Emit encodes e into the buffer and, when the buffer is full, writes it
// before returning. The lock is not held while the buffer is written, so
// other callers go on filling a second buffer; when that one is full too
// before the write ends, they wait for it (back-pressure). If the
// destination fails, events stay buffered up to the WithMaxBuffered limit;
// beyond it, and after Close, events are dropped and counted.
func (w *Writer) Emit(e *vmspan.Event) {
	// Encode before taking the lock, so that callers on other goroutines
	// wait only for the copy.
	line := lineBufs.Get().(*[]byte)
	*line = AppendEvent((*line)[:0], e)
	defer putLineBuf(line)
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.io && len(w.buf) >= w.retryAt && !w.closed {
		w.idle.Wait()
	}
	switch {
	case w.closed:
		w.drop(ErrClosed)
		return
	case len(w.buf) >= w.maxBuf:
		w.drop(fmt.Errorf("jsonl: buffer full (%d bytes) after failed writes", len(w.buf)))
		return
	}
	w.buf = append(w.buf, *line...)
	w.pending++
	if len(w.buf) >= w.retryAt && !w.io {
		w.write()
	}
}

// RetainsEvents reports false: Emit encodes the event before it returns
// (see vmspan.Retainer).
func (w *Writer) RetainsEvents() bool { return false }

func (w *Writer) drop(err error) {
	w.stats.Dropped++
	if w.err == nil {
		w.err = err
	}
}

// write writes the buffer; w.mu is held, and no write is in progress. It
// hands the buffer to the write and puts the spare one in its place, and
// releases the lock while writing, so that emitters fill the other buffer
// meanwhile. Whatever the destination did not take goes back to the front
// of the buffer. After a failure it waits for another buffer's worth of
// events before trying again, so that a dead destination does not cost a
// write per event.
func (w *Writer) write() error {
	if len(w.buf) == 0 {
		w.retryAt = w.limit
		return nil
	}
	out, events := w.buf, w.pending
	w.buf, w.spare, w.pending = w.spare, nil, 0
	if w.buf == nil {
		w.buf = w.newBuf()
	}
	w.io, w.inIO = true, events
	w.mu.Unlock()
	n, errs, err := writeAll(w.w, out)
	w.mu.Lock()
	w.io, w.inIO = false, 0
	w.idle.Broadcast()
	w.stats.Bytes += int64(n)
	w.dirty = w.dirty || n > 0
	for _, e := range errs {
		w.fail(e) // progress was made after each: noted, and the write went on
	}
	if err == nil {
		w.stats.Events += events
		if cap(out) <= 2*(w.limit+4096) {
			w.spare = out[:0]
		}
		w.retryAt = w.limit
		return nil
	}
	done := int64(bytes.Count(out[:n], []byte{'\n'}))
	w.stats.Events += done
	w.pending += events - done
	rest := append(out[:copy(out, out[n:])], w.buf...)
	w.buf, w.spare = rest, w.buf[:0]
	w.retryAt = len(w.buf) + max(w.limit, 1)
	w.fail(err)
	return err
}

// writeAll writes p to dst, again while dst makes progress (short writes).
// It returns the bytes written, the errors of writes that made progress,
// and the error that stopped it (nil once all of p is written).
func writeAll(dst io.Writer, p []byte) (int, []error, error) {
	var errs []error
	written := 0
	for written < len(p) {
		n, err := dst.Write(p[written:])
		n = min(max(n, 0), len(p)-written)
		written += n
		if err == nil && written < len(p) {
			err = io.ErrShortWrite
		}
		if err != nil && n == 0 {
			return written, errs, err
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return written, errs, nil
}

func (w *Writer) fail(err error) {
	w.stats.WriteErrors++
	if w.err == nil {
		w.err = err
	}
}

// Flush writes everything emitted so far and, for a file from Open, syncs
// it to stable storage. It returns the write or sync error, an error when
// events have been dropped, or ctx's error if ctx is done first.
func (w *Writer) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush()
}

// flush is Flush with w.mu held. It waits for a write in progress (whose
// events were emitted before), writes the rest, and syncs without holding
// the lock.
func (w *Writer) flush() error {
	w.waitIdle()
	if err := w.write(); err != nil {
		return err
	}
	// write returns with the lock held since its write ended: no write is
	// in progress.
	if w.file != nil && w.dirty {
		w.io = true
		w.mu.Unlock()
		err := w.file.Sync()
		w.mu.Lock()
		w.io = false
		w.idle.Broadcast()
		if err != nil {
			w.fail(err)
			return err
		}
		w.dirty = false
	}
	if w.stats.Dropped > 0 {
		return fmt.Errorf("jsonl: %d events dropped: %w", w.stats.Dropped, w.err)
	}
	return nil
}

// waitIdle waits, with w.mu held, until no write or sync is in progress.
func (w *Writer) waitIdle() {
	for w.io {
		w.idle.Wait()
	}
}

// Close stops the background flush, flushes, and closes the file if the
// Writer opened it. Events emitted afterwards are dropped and counted.
// Close returns the same errors as Flush; a second Close returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.idle.Broadcast() // emitters waiting for room drop their events now
	w.mu.Unlock()
	if w.stop != nil {
		close(w.stop)
		<-w.done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.flush()
	if w.file != nil {
		if cerr := w.file.Close(); cerr != nil && err == nil {
			w.fail(cerr)
			err = cerr
		}
	}
	return err
}

// Err returns the first error the Writer met (a failed write or sync, a
// full buffer, an event emitted after Close), or nil. Failed writes are
// retried, so an error here does not by itself mean events were lost:
// Stats.Dropped says that.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stats returns the Writer's counts.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Buffered = w.pending + w.inIO
	return s
}

func (w *Writer) flushLoop() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			if !w.io { // a write in progress writes as much
				w.write()
			}
			w.mu.Unlock()
		}
	}
}

// lineBufs holds the buffers Emit encodes lines into. A new one has room
// for an LLM span's end line with its records (about 2.5 KB), so that it is
// not grown by doubling each time a collection empties the pool.
var lineBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 4<<10)
	return &b
}}

// putLineBuf returns a line buffer to the pool, unless a long line made it
// large.
func putLineBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		lineBufs.Put(b)
	}
}
