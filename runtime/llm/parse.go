// parse.go holds ParseOutput: a model's reply to a value of the return
// type, with notes of what the coercion lost.

package llm

import (
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// ParseOptions configure ParseOutput.
type ParseOptions struct {
	// Strict makes every lossy coercion an error (a *ParseError listing
	// the notes) instead of a note on the result.
	Strict bool
	// Types holds what the call adds to the program's @@dynamic classes
	// and enums (nil: nothing): their extra fields and values are read
	// from the reply like declared ones.
	Types *types.Overlay
}

// A Parsed is a reply coerced to the return type.
type Parsed struct {
	// Value is the result in snapshot form (see Result.Value).
	Value any
	// Notes lists what the coercion lost, in the order of the result
	// (nil when nothing was lost).
	Notes []vmspan.ParseNote
	// Checks lists the outcomes of the @check constraints on the result
	// and its parts, in the order of the result (nil when there are none).
	Checks []vmspan.CheckResult
}

// ParseOutput turns a model's reply into a value of the return type s (nil
// means string) with BAML's rules: see "Output parsing" in the package
// docs for the readings tried, the conversions, and how the best reading
// is chosen. A string return type takes the reply as it is.
//
// Where the conversion loses data — a list element or map entry dropped,
// a number rounded, a missing list or an unreadable value defaulted, a
// value cut off by the end of the reply — the result carries a note; with
// o.Strict such a reply is refused instead.
//
// The @assert and @check constraints of the type, its fields and classes
// are tested on the coerced values (see "Checks and asserts" in the
// package docs): a value that fails an assert is not returned, and the
// outcomes of the checks are in Parsed.Checks. Errors are *ParseError; one
// caused by an assert wraps an *AssertError.
func ParseOutput(reply string, s *types.Type, o ParseOptions) (Parsed, error) {
	t, _ := targetWith(s, o.Types)
	return parseTarget(reply, t, o)
}

func parseTarget(reply string, t *target, o ParseOptions) (Parsed, error) {
	if t.kind == types.String && len(t.checks) == 0 {
		return Parsed{Value: reply}, nil
	}
	if t.kind == types.String {
		c := coercer{constraints: true}
		r, cerr := c.constrain(t, newCval(reply, types.String))
		if cerr != nil {
			return Parsed{}, parseError(cerr, reply)
		}
		return Parsed{Value: reply, Checks: collectChecks(r, nil, nil)}, nil
	}
	if p, ok := parseExact(reply, t); ok {
		return p, nil
	}
	return parseFull(reply, t, o)
}

// parseFull is parseTarget without its fast path (parseExact), for a
// target that is not a string.
func parseFull(reply string, t *target, o ParseOptions) (Parsed, error) {
	v, err := readText(reply, readOpts{})
	if err != nil { // cannot happen: the plain text is always a reading
		v = jstr(reply, true)
	}
	c := coercer{constraints: true, vals: slab[cval]{next: chunkFor(t)}}
	r, cerr := c.coerce(t, v)
	if cerr == nil && r.kind == types.Class && inferredFromText(r) {
		cerr = mismatch(t, jstr(reply, true))
	}
	if cerr != nil {
		return Parsed{}, parseError(cerr, reply)
	}
	notes := collectNotes(r, nil, nil)
	if o.Strict && len(notes) > 0 {
		return Parsed{}, strictError(notes, reply)
	}
	return Parsed{Value: r.v, Notes: notes, Checks: collectChecks(r, nil, nil)}, nil
}

// parseError makes the *ParseError of a failed coercion; when an assert
// failed, it wraps the *AssertError, whose Path is the error's.
func parseError(e *cerr, reply string) *ParseError {
	pe := &ParseError{Path: e.path, Msg: e.msg, Reply: reply, summary: e.brief}
	if e.brief == "" {
		pe.summary = e.msg
	}
	if e.assert != nil {
		ae := *e.assert
		ae.Path = e.path
		pe.Assert = &ae
	}
	return pe
}

// inferredFromText reports whether a one-field class was made from plain
// text (BAML refuses that at the top level: prose is not an object).
func inferredFromText(r *cval) bool {
	for _, f := range r.flags {
		if f.kind == flInferedObject && f.n == 1 {
			return true
		}
	}
	return false
}

func strictError(notes []vmspan.ParseNote, reply string) *ParseError {
	msg := "lossy coercion refused (strict parsing): " + notes[0].String()
	if len(notes) > 1 {
		msg += " (and " + strconv.Itoa(len(notes)-1) + " more)"
	}
	brief := "lossy coercion refused (strict parsing): " + strconv.Itoa(len(notes)) + " parse notes" // a note's detail quotes the reply
	return &ParseError{Path: notes[0].Path, Msg: msg, Reply: reply, Notes: notes, summary: brief}
}

// collectNotes appends the notes of r and its parts, with their paths.
// Paths are built only for the notes found.
func collectNotes(r *cval, path []ckid, out []vmspan.ParseNote) []vmspan.ParseNote {
	for _, f := range r.flags {
		if n := f.note; n != nil {
			out = append(out, vmspan.ParseNote{Kind: n.kind, Path: pathText(path, n.seg), Detail: n.detail})
		}
	}
	if r.has(flIncomplete) && !r.composite() && r.kind != types.Null {
		out = append(out, vmspan.ParseNote{Kind: vmspan.ParseTruncated, Path: pathText(path, ""), Detail: "the reply ends inside this value; kept as far as it goes"})
	}
	for _, k := range r.kids {
		if len(k.v.flags) == 0 && len(k.v.kids) == 0 {
			continue // nothing to collect: no path to make
		}
		out = collectNotes(k.v, append(path, k), out)
	}
	return out
}

// pathText renders the path of parts, and a last segment ("[2]", ".name").
func pathText(path []ckid, last string) string {
	var b strings.Builder
	for _, k := range path {
		b.WriteString(k.seg())
	}
	b.WriteString(last)
	return strings.TrimPrefix(b.String(), ".")
}
