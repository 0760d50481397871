// partial.go holds the partial parser: the partial values of a streamed
// reply, kept up to date as the reply grows, at a cost linear in its length.

package llm

import (
	"reflect"
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// A PartialParser reads a reply that arrives in chunks and returns the
// partial values of a return type as the reply grows, as a streamed call
// does (see Streaming in the package doc): use it to read partial values
// from a stream that bex does not make itself. Partial values are in the
// form the engine gives them: nil, bool, int64, float64, string, []any and
// map[string]any (class instances as maps by field name, enum values as
// their names). They never change once returned, and a value that was read
// whole never changes in the partial values that follow. A PartialParser
// is not safe for concurrent use.
type PartialParser struct{ p partials }

// NewPartialParser returns a PartialParser for return type out (nil means
// string).
func NewPartialParser(out *types.Type) *PartialParser { return &PartialParser{newPartials(out)} }

// Feed adds a chunk of the reply and returns the partial value of the
// reply so far when it changed (changed is false when the chunk changed
// nothing a partial value shows, or when the parser waits for more text
// before rebuilding a large value).
func (p *PartialParser) Feed(chunk string) (v any, changed bool) { return p.p.feed(chunk) }

// Reset forgets the reply read so far, for a new reply.
func (p *PartialParser) Reset() { p.p.reset() }

// partials is the reading of one reply into partial values.
type partials interface {
	// feed adds delta to the reply; when the partial value changed, it
	// returns it and true.
	feed(delta string) (any, bool)
	// reset forgets the reply (a new attempt starts).
	reset()
}

// newPartials returns the partial reader of return type out: the text so
// far for a string; the incremental reader for classes, lists, maps and
// unions; none for other types, whose values appear only whole (numbers,
// booleans, enums and literals are never shown in part).
func newPartials(out *types.Type) partials { return partialsFor(targetOf(out)) }

// partialsFor returns the partial parser of a compiled return type (with
// a call's dynamic types, if any).
func partialsFor(t *target) partials {
	switch {
	case t.kind == types.String:
		return &textPartials{}
	case t.composite() || t.kind == types.Union:
		return &structPartials{t: t}
	}
	return noPartials{}
}

// noPartials yields no partial values: the call's final value only.
type noPartials struct{}

func (noPartials) feed(string) (any, bool) { return nil, false }
func (noPartials) reset()                  {}

// textPartials are the partial values of a string return type: the text
// so far, as the final value is the whole text. The strings share the
// builder's memory, so each costs nothing to make.
type textPartials struct{ b strings.Builder }

func (p *textPartials) feed(delta string) (any, bool) {
	if delta == "" {
		return nil, false
	}
	p.b.WriteString(delta)
	return p.b.String(), true
}

func (p *textPartials) reset() { p.b = strings.Builder{} }

// The states of a @stream.with_state value.
const (
	statePending    = "Pending"    // nothing of it read yet
	stateIncomplete = "Incomplete" // read in part
	stateComplete   = "Complete"   // read whole
)

// structPartials are the partial values of a structured return type. The
// JSON of the reply (found as jsonFinder says) is fed to the repairing
// reader as it arrives, and the partial value is built from the reader's
// state: its values finished so far, coerced once each and kept, and its
// open values (an object whose fields are still coming, the string being
// written), built anew along the open path only.
//
// Building a partial copies the lists, maps and objects on the open path
// (the values along it are shared with the previous partial, never
// changed). So that a long list does not make streaming quadratic, a new
// partial is built only once the reply has grown by half a byte for each
// element or field the last one copied: a reply costs a constant times
// reading it once, and a small value is rebuilt after every chunk.
type structPartials struct {
	t       *target
	find    jsonFinder
	f       fixer
	nodes   []*pnode // the state of each open value of the reader, by depth
	top     pfield   // the value, once the reader finished it
	pending int      // bytes fed since the last build
	width   int      // slots the last build copied
	last    any      // the partial value returned last
}

// A pfield is a value read whole, in partial form, and whether it is
// shown (ok) and known (set).
type pfield struct {
	v       any
	ok, set bool
}

// A pnode is the partial state of one open value of the reader.
type pnode struct {
	id      uint32  // the reader's frame
	t       *target // the type it is read as
	variant *target // for a union: the variant chosen
	n       int     // the frame's entries already read (finished values)
	elems   []any   // list: the partial forms of its finished elements
	fields  []pfield
	keys    []string       // map: its keys in order of first appearance
	vals    map[string]any // map: the partial forms of its finished values
	str     strings.Builder
	strN    int    // bytes of the open string taken into str
	text    string // an open bare word or triple-quoted string so far
	shown   bool   // the value was shown by the last build
	child   bool   // its open part was shown by the last build
	open    int    // class: the field whose value is open, or -1
	union   unionScore
}

func (p *structPartials) reset() { *p = structPartials{t: p.t} }

func (p *structPartials) feed(delta string) (any, bool) {
	if len(p.f.done) == 0 && !p.find.ended() {
		if js := p.find.next(delta); js != "" {
			p.f.feed(js)
		}
	}
	p.pending += len(delta)
	if p.pending*2 < p.width {
		return nil, false
	}
	p.pending, p.width = 0, 0
	v, ok, changed := p.build()
	// The build's changes may leave the value as it was (a string that
	// closes shows the same text): compare along the open path only, as
	// the values off it are the same objects.
	if !ok || !changed || samePartial(v, p.last) {
		return nil, false
	}
	p.last = v
	return v, true
}

// build returns the partial value of the reply so far, whether there is
// one, and whether it changed since the last build.
func (p *structPartials) build() (any, bool, bool) {
	if len(p.f.done) > 0 {
		if p.top.set {
			return p.top.v, p.top.ok, false
		}
		v, ok := p.whole(p.t, p.f.done[0])
		p.top = pfield{v, ok, true}
		return v, ok, ok
	}
	if len(p.f.stack) == 0 {
		return nil, false, false
	}
	return p.open(0, p.t)
}

// node returns the state of the open value at depth d, anew when the
// reader's frame there or the type changed.
func (p *structPartials) node(d int, id uint32, t *target) (*pnode, bool) {
	for len(p.nodes) <= d {
		p.nodes = append(p.nodes, &pnode{})
	}
	n := p.nodes[d]
	if n.id == id && n.t == t {
		return n, false
	}
	*n = pnode{id: id, t: t, open: -1}
	return n, true
}

// open returns the partial value of the reader's open value at depth d
// read as t: the value, whether it is shown, and whether it changed.
func (p *structPartials) open(d int, t *target) (any, bool, bool) {
	fr := &p.f.stack[d]
	n, fresh := p.node(d, fr.id, t)
	v, ok, changed := p.openAs(d, fr, n, t)
	changed = changed || ok != n.shown || (fresh && ok)
	n.shown = ok
	return v, ok, changed
}

func (p *structPartials) openAs(d int, fr *frame, n *pnode, t *target) (any, bool, bool) {
	switch t.kind {
	case types.Union:
		return p.openUnion(d, fr, n, t)
	case types.Class:
		if fr.kind == fObject {
			return p.openClass(d, fr, n, t.class)
		}
	case types.List:
		if fr.kind == fArray {
			return p.openList(d, fr, n, t)
		}
	case types.Map:
		if fr.kind == fObject {
			return p.openMap(d, fr, n, t)
		}
	case types.String:
		return openString(fr, n)
	}
	return nil, false, false // numbers, booleans, enums and literals only whole
}

// child returns the partial value of the open value below depth d read as
// t, when there is one, and notes whether it is shown.
func (p *structPartials) child(d int, n *pnode, t *target) (any, bool, bool) {
	if d+1 >= len(p.f.stack) {
		changed := n.child
		n.child = false
		return nil, false, changed
	}
	v, ok, changed := p.open(d+1, t)
	changed = changed || ok != n.child
	n.child = ok
	return v, ok, changed
}

func (p *structPartials) openList(d int, fr *frame, n *pnode, t *target) (any, bool, bool) {
	changed := false
	for ; n.n < len(fr.items); n.n++ {
		if v, ok := p.whole(t.elem, fr.items[n.n]); ok {
			n.elems = append(n.elems, v)
			changed = true
		}
	}
	list := n.elems[:len(n.elems):len(n.elems)] // later elements go beyond what this partial sees
	if list == nil {
		list = []any{}
	}
	cv, ok, ch := p.child(d, n, t.elem)
	if ok {
		withOpen := make([]any, len(list)+1)
		copy(withOpen, list)
		withOpen[len(list)] = cv
		list = withOpen
		p.width += len(list)
	}
	return list, true, changed || ch
}

func (p *structPartials) openMap(d int, fr *frame, n *pnode, t *target) (any, bool, bool) {
	changed := false
	if n.vals == nil {
		n.vals = map[string]any{}
	}
	for ; n.n < len(fr.items); n.n++ {
		k := fr.keys[n.n]
		v, ok := p.whole(t.elem, fr.items[n.n])
		if !ok {
			continue
		}
		if _, seen := n.vals[k]; seen {
			continue // a repeated key keeps its first value, so that partial values never change (the final value has the last)
		}
		n.keys = append(n.keys, k)
		n.vals[k] = v
		changed = true
	}
	m := make(map[string]any, len(n.vals)+1)
	for k, v := range n.vals {
		m[k] = v
	}
	if k := len(fr.items); len(fr.keys) > k {
		if _, seen := n.vals[fr.keys[k]]; !seen {
			cv, ok, ch := p.child(d, n, t.elem)
			if ok {
				m[fr.keys[k]] = cv
			}
			changed = changed || ch
		}
	}
	p.width += len(m)
	return m, true, changed
}

func (p *structPartials) openClass(d int, fr *frame, n *pnode, ct *classTarget) (any, bool, bool) {
	changed := false
	if n.fields == nil {
		n.fields = make([]pfield, len(ct.fields))
	}
	for ; n.n < len(fr.items); n.n++ {
		f := fieldForKey(ct, fr.keys[n.n])
		if f < 0 || n.fields[f].set {
			continue // an unknown key, or a repeated one: the first counts
		}
		v, ok := p.whole(ct.fields[f].t, fr.items[n.n])
		n.fields[f] = pfield{v, ok, true}
		changed = true
	}
	// The open field: its key is read and its value has begun.
	open, ov, ook := -1, any(nil), false
	if len(fr.keys) > len(fr.items) && d+1 < len(p.f.stack) {
		if f := fieldForKey(ct, fr.keys[len(fr.items)]); f >= 0 && !n.fields[f].set {
			open = f
			if !ct.fields[f].stream.Done { // @stream.done: shown only whole
				var ch bool
				ov, ook, ch = p.child(d, n, ct.fields[f].t)
				changed = changed || ch
			}
		}
	}
	if !ook && n.child {
		n.child, changed = false, true
	}
	if open != n.open {
		n.open, changed = open, true // a with_state field moves from Pending to Incomplete
	}
	if ct.done {
		return nil, false, false // @@stream.done: shown only whole
	}
	v, ok := classPartial(ct, func(j int) (any, string) {
		switch fl := n.fields[j]; {
		case fl.set && fl.ok:
			return fl.v, stateComplete
		case j == open && ook:
			return ov, stateIncomplete
		case j == open:
			return nil, stateIncomplete // begun, but not shown before it is whole
		}
		return nil, statePending
	})
	p.width += len(ct.fields)
	return v, ok, changed
}

// classPartial builds the partial form of a class from its fields'
// values and states: a map by field name, missing lists and maps empty,
// @stream.with_state fields wrapped with their state. A @stream.not_null
// field without a value hides the whole object (ok is false).
func classPartial(ct *classTarget, field func(j int) (any, string)) (any, bool) {
	m := make(map[string]any, len(ct.fields))
	for j := range ct.fields {
		ft := &ct.fields[j]
		v, state := field(j)
		if v == nil && state != stateComplete {
			v = emptyPartial(ft.t)
		}
		if ft.stream.NotNull && (state == statePending || v == nil) {
			return nil, false
		}
		if ft.stream.WithState {
			v = map[string]any{"state": state, "value": v}
		}
		m[ft.name] = v
	}
	return m, true
}

// emptyPartial is what a partial shows for a field not read yet: an empty
// list or map, else null.
func emptyPartial(t *target) any {
	switch t.kind {
	case types.List:
		return []any{}
	case types.Map:
		return map[string]any{}
	}
	return nil
}

// openString returns the text of an open string so far. A quoted string
// only grows, so its text is kept in a builder whose strings share its
// memory: a long string costs nothing more to show after each chunk. A
// bare word shows once it cannot be a number, true, false or null (which
// show only whole); a triple-quoted string only whole (its indentation is
// removed when it ends).
func openString(fr *frame, n *pnode) (any, bool, bool) {
	switch fr.kind {
	case fQuoted, fSingleQuoted, fBacktick:
		if n.strN > len(fr.buf) {
			n.str, n.strN = strings.Builder{}, 0
		}
		grew := len(fr.buf) > n.strN
		n.str.Write(fr.buf[n.strN:])
		n.strN = len(fr.buf)
		return n.str.String(), true, grew
	case fUnquoted:
		w := strings.TrimSpace(string(fr.buf))
		if mayBeLiteral(w) {
			return nil, false, false
		}
		changed := w != n.text
		n.text = w
		return w, true, changed
	}
	return nil, false, false
}

// mayBeLiteral reports whether a bare word so far may still become a
// number, true, false or null.
func mayBeLiteral(w string) bool {
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(lit, w) {
			return true
		}
	}
	return strings.Trim(w, "+-0123456789.eE") == ""
}

// openUnion reads an open value as the variant of union t that fits its
// kind: the class whose fields its keys name best (see unionScore), else
// a map, for an object; the list for a list; a string for a string.
func (p *structPartials) openUnion(d int, fr *frame, n *pnode, t *target) (any, bool, bool) {
	var v *target
	switch fr.kind {
	case fObject:
		v = n.union.choose(fr, t)
	case fArray:
		v = variantOf(t, types.List)
	default:
		v = variantOf(t, types.String)
	}
	if v == nil {
		return nil, false, false
	}
	changed := false
	if v != n.variant { // a different variant: its state starts anew
		u := n.union
		*n = pnode{id: n.id, t: n.t, variant: v, union: u, open: -1}
		changed = true
	}
	val, ok, ch := p.openAs(d, fr, n, v)
	return val, ok, changed || ch
}

// variantOf returns the first variant of union t of kind k, or nil.
func variantOf(t *target, k types.Kind) *target {
	for _, v := range t.variants {
		if v.kind == k {
			return v
		}
	}
	return nil
}

// A unionScore chooses the class variant of a union for an open object,
// from the keys read so far: the variant that names the most of them,
// excluding variants with a literal field whose value was read and does
// not fit; ties go to the earlier variant, and without a class variant
// that names a key, the map variant (if any) or the first class.
type unionScore struct {
	keys, items int   // the frame's keys and values already scored
	named       []int // per variant: keys that name one of its fields
	ruled       []bool
}

func (u *unionScore) choose(fr *frame, t *target) *target {
	if u.named == nil {
		u.named, u.ruled = make([]int, len(t.variants)), make([]bool, len(t.variants))
	}
	for ; u.keys < len(fr.keys); u.keys++ {
		for i, v := range t.variants {
			if v.kind == types.Class && fieldForKey(v.class, fr.keys[u.keys]) >= 0 {
				u.named[i]++
			}
		}
	}
	for ; u.items < len(fr.items); u.items++ {
		for i, v := range t.variants {
			if v.kind != types.Class {
				continue
			}
			if f := fieldForKey(v.class, fr.keys[u.items]); f >= 0 && v.class.fields[f].t.kind == types.Literal {
				var c coercer
				if _, err := c.coerce(v.class.fields[f].t, fr.items[u.items]); err != nil {
					u.ruled[i] = true
				}
			}
		}
	}
	best := -1
	for i, v := range t.variants {
		if v.kind == types.Class && !u.ruled[i] && (best < 0 || u.named[i] > u.named[best]) {
			best = i
		}
	}
	if best >= 0 && u.named[best] == 0 {
		if m := variantOf(t, types.Map); m != nil {
			return m
		}
	}
	if best < 0 {
		return variantOf(t, types.Map)
	}
	return t.variants[best]
}

// whole returns the partial form of a value the reader finished, read as
// t. An object read as a class or map and a list read as a list are read
// part by part, as while they were open (an element or entry that does not
// read is left out, a field that does not read is null), so that the
// partial values never lose what they showed; the final value may drop
// such parts. Any other value is coerced as in the final value. ok is
// false when nothing of it can be shown.
func (p *structPartials) whole(t *target, v *jvalue) (any, bool) {
	if t.kind == types.Union && (v.kind == jObject || v.kind == jArray) {
		if vt := p.wholeVariant(t, v); vt != nil {
			return p.whole(vt, v)
		}
	}
	switch {
	case v.kind == jObject && t.kind == types.Class:
		return p.wholeClass(t.class, v)
	case v.kind == jObject && t.kind == types.Map:
		m := make(map[string]any, len(v.items))
		for i, x := range v.items {
			if _, seen := m[v.keys[i]]; seen {
				continue // the first of a repeated key, as while it was open
			}
			if e, ok := p.whole(t.elem, x); ok {
				m[v.keys[i]] = e
			}
		}
		return m, true
	case v.kind == jArray && t.kind == types.List:
		out := make([]any, 0, len(v.items))
		for _, x := range v.items {
			if e, ok := p.whole(t.elem, x); ok {
				out = append(out, e)
			}
		}
		return out, true
	}
	var c coercer
	if r, err := c.coerce(t, v); err == nil {
		return partialForm(t, r.v, 0)
	}
	return nil, false
}

// wholeVariant returns the variant of union t a finished object or list
// is read as: the one its coercion chooses, else the class its keys name
// best (an object), the list variant (a list).
func (p *structPartials) wholeVariant(t *target, v *jvalue) *target {
	var c coercer
	if r, err := c.coerce(t, v); err == nil {
		if vt := variantFor(t, r.v); vt != nil {
			return vt
		}
	}
	if v.kind == jArray {
		return variantOf(t, types.List)
	}
	var u unionScore
	return u.choose(&frame{kind: fObject, keys: v.keys, items: v.items}, t)
}

// wholeClass returns the partial form of a finished object read as class
// ct: the fields that read, the others missing.
func (p *structPartials) wholeClass(ct *classTarget, v *jvalue) (any, bool) {
	if ct.done && !v.complete {
		return nil, false
	}
	fields := make([]pfield, len(ct.fields))
	for i, k := range v.keys {
		if f := fieldForKey(ct, k); f >= 0 && !fields[f].set {
			x, ok := p.whole(ct.fields[f].t, v.items[i])
			fields[f] = pfield{x, ok, true}
		}
	}
	return classPartial(ct, func(j int) (any, string) {
		if fields[j].set && fields[j].ok {
			return fields[j].v, stateComplete
		}
		return nil, statePending
	})
}

// partialForm converts a coerced value (snapshot form) of type t to the
// partial form: class instances as maps by field name with their
// streaming attributes applied, enum values as their names, lists and maps
// converted element by element.
func partialForm(t *target, v any, depth int) (any, bool) {
	if depth > maxCoerceDepth {
		return nil, false
	}
	if t.kind == types.Union {
		t = variantFor(t, v)
	}
	switch x := v.(type) {
	case vmspan.Object:
		if t == nil || t.kind != types.Class || len(x.Fields) != len(t.class.fields) {
			return nil, false
		}
		ct := t.class
		return classPartial(ct, func(j int) (any, string) {
			fv, ok := partialForm(ct.fields[j].t, x.Fields[j].Value, depth+1)
			if !ok {
				return nil, statePending
			}
			return fv, stateComplete
		})
	case vmspan.Enum:
		return x.Value, true
	case []any:
		var elem *target
		if t != nil && t.kind == types.List {
			elem = t.elem
		}
		out := make([]any, 0, len(x))
		for _, e := range x {
			if elem == nil {
				out = append(out, e)
			} else if fe, ok := partialForm(elem, e, depth+1); ok {
				out = append(out, fe)
			}
		}
		return out, true
	case map[string]any:
		var elem *target
		if t != nil && t.kind == types.Map {
			elem = t.elem
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if elem == nil {
				out[k] = e
			} else if fe, ok := partialForm(elem, e, depth+1); ok {
				out[k] = fe
			}
		}
		return out, true
	}
	return v, true
}

// variantFor returns the variant of union t that a coerced value v is of.
func variantFor(t *target, v any) *target {
	var k types.Kind
	switch x := v.(type) {
	case vmspan.Object:
		for _, vt := range t.variants {
			if vt.kind == types.Class && vt.class.name == x.Class {
				return vt
			}
		}
		return nil
	case []any:
		k = types.List
	case map[string]any:
		k = types.Map
	default:
		return nil // a scalar: no streaming attributes inside
	}
	return variantOf(t, k)
}

// A jsonFinder follows a streamed reply to the JSON value its partial
// values are read from, as the whole reply's readings would find it: the
// content of the first ``` fence with a tag (up to its closing fence), or
// else the text from the first { or [ (the reply itself when it starts
// with one). Text before it is prose.
type jsonFinder struct {
	state uint8
	line  []byte // prose: the current line; in a fence: a possible closing fence held back
	long  bool   // the current prose line is too long to be a fence
}

const (
	findProse uint8 = iota
	findJSON        // in a value found in prose (or the whole reply)
	findFence       // in a fence's content
	findEnd         // the fence closed
)

// maxFenceLine bounds the prose line kept to recognize an opening fence.
const maxFenceLine = 256

func (j *jsonFinder) ended() bool { return j.state == findEnd }

// next returns the part of delta that belongs to the JSON value.
func (j *jsonFinder) next(delta string) string {
	switch j.state {
	case findJSON:
		return delta
	case findFence:
		return j.fence(delta)
	case findEnd:
		return ""
	}
	for i := 0; i < len(delta); i++ {
		switch c := delta[i]; c {
		case '{', '[':
			j.state = findJSON
			return delta[i:]
		case '\n':
			if isFenceOpening(j.line) && !j.long {
				j.state, j.line = findFence, []byte{} // the content starts a line
				return j.fence(delta[i+1:])
			}
			j.line, j.long = j.line[:0], false
		default:
			if len(j.line) < maxFenceLine {
				j.line = append(j.line, c)
			} else {
				j.long = true
			}
		}
	}
	return ""
}

// isFenceOpening reports whether a line opens a fence: ``` after optional
// spaces and tabs, then a tag of letters, digits and spaces.
func isFenceOpening(line []byte) bool {
	s := strings.TrimLeft(string(line), " \t")
	tag, ok := strings.CutPrefix(s, "```")
	if !ok || tag == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		if !isTagByte(tag[i]) {
			return false
		}
	}
	return true
}

// fence returns the part of delta inside the fence. The start of a line
// that may be the closing fence (``` alone after spaces and tabs) is held
// back until the line shows what it is; the closing fence ends the value.
func (j *jsonFinder) fence(delta string) string {
	var out []byte
	for i := 0; i < len(delta); i++ {
		c := delta[i]
		if j.line == nil { // not in a line that may close the fence
			if c == '\n' {
				j.line = []byte{}
			}
			out = append(out, c)
			continue
		}
		switch {
		case c == '\n' && strings.TrimLeft(string(j.line), " \t") == "```":
			j.state, j.line = findEnd, nil
			return string(out)
		case c == ' ' || c == '\t' || c == '`':
			j.line = append(j.line, c)
			if s := strings.TrimLeft(string(j.line), " \t"); strings.Trim(s, "`") == "" && len(s) <= 3 {
				continue // still possibly the closing fence
			}
			out = append(out, j.line...)
			j.line = nil
		default:
			out = append(out, j.line...)
			out = append(out, c)
			j.line = nil
			if c == '\n' {
				j.line = []byte{}
			}
		}
	}
	return string(out)
}

// samePartial reports whether two partial values are equal. Parts shared
// by both (the values off the open path) compare by identity, so that a
// comparison costs the open path, not the whole value.
func samePartial(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer() {
			return true
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !samePartial(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) == 0 || &x[0] == &y[0] {
			return true
		}
		for i := range x {
			if !samePartial(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil, bool, int64, float64, string:
		return a == b
	}
	return reflect.DeepEqual(a, b)
}
