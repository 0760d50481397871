// trace.go reads a trace file into span trees for bex trace view and stats.

package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// A spanNode is one span of a trace file, assembled from its events.
type spanNode struct {
	id, parent, root vmspan.SpanID
	traceID          trace.TraceID
	remote           *vmspan.RemoteParent
	name             string
	kind             vmspan.Kind
	start            time.Time
	dur              time.Duration
	started, ended   bool
	err              *vmspan.ErrorInfo
	attempts         []vmspan.LLMAttempt
	tags             map[string]string
	args             []vmspan.Arg
	result           any
	children         []*spanNode
	seq              int // order of first appearance in the file
}

// A spanTree is the spans of one tree: a bex root and its descendants.
type spanTree struct {
	rootID  vmspan.SpanID
	traceID trace.TraceID
	top     []*spanNode // the root, and spans whose parent is not in the file
	spans   []*spanNode // in order of first appearance
}

// A traceFile is a trace file's span trees, in order of first appearance.
type traceFile struct {
	trees     []*spanTree
	byRoot    map[vmspan.SpanID]*spanTree
	byID      map[vmspan.SpanID]*spanNode
	events    int
	malformed int
}

// openEvents returns the events of the trace file at path, or of stdin for "-".
func openEvents(path string, stdin io.Reader) iter.Seq2[vmspan.Event, error] {
	if path == "-" {
		return jsonl.Read(stdin)
	}
	return jsonl.ReadFile(path)
}

// readTrace assembles the spans of events into trees. Malformed lines are
// passed to bad, which may print them; reading goes on. An error that is
// not a *jsonl.LineError (the file cannot be read) is returned.
func readTrace(events iter.Seq2[vmspan.Event, error], bad func(error)) (*traceFile, error) {
	tf := &traceFile{byID: map[vmspan.SpanID]*spanNode{}, byRoot: map[vmspan.SpanID]*spanTree{}}
	for e, err := range events {
		if err != nil {
			if _, ok := err.(*jsonl.LineError); !ok {
				return nil, err
			}
			tf.malformed++
			bad(err)
			continue
		}
		tf.events++
		tf.add(&e)
	}
	tf.link()
	return tf, nil
}

// add records one event.
func (tf *traceFile) add(e *vmspan.Event) {
	n := tf.node(e)
	switch e.Kind {
	case vmspan.EventStart:
		n.started, n.start, n.args = true, e.Time, e.Args
		n.tags = maps.Clone(e.Tags)
	case vmspan.EventEnd:
		n.ended, n.dur, n.err, n.result, n.attempts = true, e.Duration, e.Err, e.Result, e.Attempts
		if !n.started {
			n.start, n.args, n.tags = e.Start, e.Args, maps.Clone(e.Tags)
		}
	case vmspan.EventSetTags:
		if n.tags == nil {
			n.tags = map[string]string{}
		}
		maps.Copy(n.tags, e.Tags)
	}
	if e.Name != "" {
		n.name = e.Name
	}
	if e.SpanKind != 0 {
		n.kind = e.SpanKind
	}
	if e.Remote != nil {
		n.remote = e.Remote
	}
}

// node returns the span of e, creating it (and its tree) on first sight.
func (tf *traceFile) node(e *vmspan.Event) *spanNode {
	if n := tf.byID[e.Span.ID]; n != nil {
		return n
	}
	n := &spanNode{id: e.Span.ID, parent: e.Span.Parent, root: e.Span.Root, traceID: e.TraceID, seq: len(tf.byID)}
	tf.byID[n.id] = n
	t := tf.byRoot[n.root]
	if t == nil {
		t = &spanTree{rootID: n.root, traceID: n.traceID}
		tf.trees = append(tf.trees, t)
		tf.byRoot[n.root] = t
	}
	t.spans = append(t.spans, n)
	return n
}

// link connects children to parents, ordered by start time (then by
// appearance). Spans whose parent is not in the file (or, in a corrupt
// file, in another tree) become tops of their tree, and so does a span on
// a parent cycle, whose link to its parent is cut, so that every tree can
// be walked.
func (tf *traceFile) link() {
	for _, t := range tf.trees {
		for _, n := range t.spans {
			if p := tf.byID[n.parent]; p != nil && p != n && p.root == n.root {
				p.children = append(p.children, n)
			} else {
				t.top = append(t.top, n)
			}
		}
		seen := map[*spanNode]bool{}
		for _, n := range t.top {
			mark(n, seen)
		}
		for _, n := range t.spans {
			if !seen[n] {
				p := tf.byID[n.parent]
				p.children = slices.DeleteFunc(p.children, func(c *spanNode) bool { return c == n })
				t.top = append(t.top, n)
				mark(n, seen)
			}
		}
		sortSpans(t.top)
		for _, n := range t.spans {
			sortSpans(n.children)
		}
	}
}

// mark marks n and its descendants as seen.
func mark(n *spanNode, seen map[*spanNode]bool) {
	stack := []*spanNode{n}
	for len(stack) > 0 {
		n, stack = stack[len(stack)-1], stack[:len(stack)-1]
		if !seen[n] {
			seen[n] = true
			stack = append(stack, n.children...)
		}
	}
}

func sortSpans(s []*spanNode) {
	slices.SortStableFunc(s, func(a, b *spanNode) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
}

// unbalanced returns the spans that started and never ended, in file order.
func (tf *traceFile) unbalanced() []*spanNode {
	var out []*spanNode
	for _, t := range tf.trees {
		for _, n := range t.spans {
			if !n.ended {
				out = append(out, n)
			}
		}
	}
	return out
}

// selectTrees keeps the trees whose root span id or OTel trace id is id, or
// starts with it (a unique prefix is enough, as with git).
func (tf *traceFile) selectTrees(id string) ([]*spanTree, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var exact, prefix []*spanTree
	for _, t := range tf.trees {
		root, tid := t.rootID.String(), hex.EncodeToString(t.traceID[:])
		switch {
		case root == id || tid == id:
			exact = append(exact, t)
		case strings.HasPrefix(root, id) || strings.HasPrefix(tid, id):
			prefix = append(prefix, t)
		}
	}
	switch {
	case len(exact) > 0:
		return exact, nil
	case len(prefix) == 0:
		return nil, fmt.Errorf("no trace or root span %q in the file", id)
	case len(traceIDs(prefix)) > 1:
		return nil, fmt.Errorf("%q matches %d traces; give more digits", id, len(traceIDs(prefix)))
	}
	return prefix, nil
}

// traceIDs returns the distinct OTel trace ids of trees.
func traceIDs(trees []*spanTree) map[trace.TraceID]bool {
	ids := map[trace.TraceID]bool{}
	for _, t := range trees {
		ids[t.traceID] = true
	}
	return ids
}

// usage sums the token usage of a span's LLM attempts.
func (n *spanNode) usage() vmspan.Usage {
	var u vmspan.Usage
	for _, a := range n.attempts {
		u = u.Add(a.Usage)
	}
	return u
}
