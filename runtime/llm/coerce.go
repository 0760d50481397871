// coerce.go coerces the readings of a reply to the return type, scoring
// every conversion as BAML does so that the best reading wins, and keeping
// track of what was lost on the way.

package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// A flagKind is a conversion coercion made. Each has BAML's score (lower
// is better); the score of a value is the sum of its flags' and its
// parts' scores.
type flagKind uint8

const (
	flOptionalDefault flagKind = iota + 1 // an optional field was missing: null
	flDefaultNoValue                      // a required list or map field was missing: empty
	flDefaultHadValue                     // null chosen although there was a value
	flDefaultBadValue                     // a value that could not be read was replaced by its type's default
	flObjectToMap                         // an object read as a map
	flObjectToString                      // a non-string matched against names
	flExtraKey                            // an object key named no field
	flSubstringMatch                      // a name found inside a longer text
	flImpliedKey                          // the value of a one-field class given without its key
	flJSONToString                        // a non-string value printed as a string
	flSingleToArray                       // a single value read as a one-element list
	flItemError                           // a list element that could not be read was dropped (n: its index)
	flMapValueError                       // a map entry whose value could not be read was dropped
	flFirstMatch                          // one of several readings chosen
	flUnionMatch                          // one variant of a union chosen
	flStringToBool                        // "true" read as true
	flStringToFloat                       // a number read out of text
	flFloatToInt                          // a float read as an int (rounded)
	flInferedObject                       // a one-field class made from a bare value
	flMarkdown                            // read from a ``` fence (n: its score)
	flIncomplete                          // the reply ended inside the value
)

func (f cflag) score() int {
	switch f.kind {
	case flOptionalDefault, flObjectToMap, flExtraKey, flSingleToArray, flMapValueError, flFirstMatch,
		flStringToBool, flStringToFloat, flFloatToInt:
		return 1
	case flDefaultNoValue:
		return 100
	case flDefaultHadValue:
		return 110
	case flDefaultBadValue, flObjectToString, flSubstringMatch, flImpliedKey, flJSONToString:
		return 2
	case flItemError:
		return 1 + f.n
	case flMarkdown:
		return f.n
	}
	return 0
}

// A cflag is one conversion; some carry what was lost, for the parse notes.
type cflag struct {
	kind flagKind
	n    int
	note *lossyNote // what was lost, when the conversion lost data
}

// A lossyNote is a parse note before its path is known.
type lossyNote struct {
	kind   vmspan.ParseNoteKind
	seg    string // path segment below the flagged value ("" for the value itself)
	detail string
}

// A cval is a coerced value: the result in snapshot form, how it was
// obtained, and its parts.
type cval struct {
	v     any
	kind  types.Kind // the kind of the result: types.String ... types.Enum, types.Null, types.Any
	flags []cflag
	kids  []ckid // class fields (in order), list elements, map entries
	score int    // total score, kept up to date by addFlag
	// checks are the outcomes of the @check constraints on this value.
	checks []vmspan.CheckResult
}

// A ckid is a part of a cval: a field or map entry (name), or a list
// element (index, else -1).
type ckid struct {
	name  string
	index int
	v     *cval
}

// seg returns the path segment that leads to k: ".name" or "[i]".
func (k ckid) seg() string {
	if k.index >= 0 {
		return "[" + strconv.Itoa(k.index) + "]"
	}
	return "." + k.name
}

func newCval(v any, kind types.Kind, flags ...cflag) *cval {
	c := &cval{v: v, kind: kind}
	for _, f := range flags {
		c.addFlag(f)
	}
	return c
}

// newCval is newCval with the value taken from c's slab, so that the
// values of a reply take a few allocations, not one each.
func (c *coercer) newCval(v any, kind types.Kind, flags ...cflag) *cval {
	r := c.vals.get()
	r.v, r.kind = v, kind
	for _, f := range flags {
		r.addFlag(f)
	}
	return r
}

func (c *cval) addFlag(f cflag) {
	c.flags = append(c.flags, f)
	c.score += f.score()
}

func (c *cval) has(k flagKind) bool {
	for _, f := range c.flags {
		if f.kind == k {
			return true
		}
	}
	return false
}

func (c *cval) count(k flagKind) int {
	n := 0
	for _, f := range c.flags {
		if f.kind == k {
			n++
		}
	}
	return n
}

// withKids sets the parts of a class, list or map and adds their scores.
func (c *cval) withKids(kids []ckid) *cval {
	c.kids = kids
	for _, k := range kids {
		c.score += k.v.score
	}
	return c
}

func (c *cval) composite() bool {
	return c.kind == types.Class || c.kind == types.List || c.kind == types.Map
}

// A cerr is a failed coercion. path is relative to the value being
// coerced (it grows as the error is returned through fields, elements and
// entries, so that paths cost nothing when coercion succeeds); depth
// counts its components, so that the most complete attempt is reported.
type cerr struct {
	path string
	msg  string
	// brief is msg without the values of the reply it quotes, when it
	// quotes some (ParseError.ErrorSummary).
	brief string
	depth int
	// assert is set when the value failed an @assert (or a constraint
	// could not be evaluated); its Path is filled in from path at the end.
	assert *AssertError
}

func failAt(msg string) *cerr { return &cerr{msg: msg} }

// failQuoting is failAt for a message that quotes the reply; brief says
// the same without the reply's values.
func failQuoting(msg, brief string) *cerr { return &cerr{msg: msg, brief: brief} }

// under returns e as seen from the value that holds it under seg: a field
// name or map key, or "[i]" for a list element.
func (e *cerr) under(seg string) *cerr {
	p := seg
	switch {
	case e.path == "":
	case e.path[0] == '[':
		p += e.path
	default:
		p += "." + e.path
	}
	return &cerr{path: p, msg: e.msg, brief: e.brief, depth: e.depth + 1, assert: e.assert}
}

// deeper returns the error that got further into the value.
func deeper(a, b *cerr) *cerr {
	if a == nil || b != nil && b.depth > a.depth {
		return b
	}
	return a
}

// maxCoerceDepth bounds coercion's recursion (recursive classes, lists of
// lists read as one value).
const maxCoerceDepth = 100

// chunkFor returns the size of a coercer's first chunk of values for
// target t: a class's fields and itself, else one value (a list's
// elements are as many as the reply has).
func chunkFor(t *target) int {
	if t.kind == types.Class && t.class != nil {
		return min(len(t.class.fields)+1, 64)
	}
	return 1
}

// A coercer coerces one reply.
type coercer struct {
	depth int
	vals  slab[cval] // see newCval; its first chunk is chunkFor the target

	// steps counts the calls of coerce since the outermost one; budget
	// bounds them (see coerceBudget). The budget is coerceStepsMin until
	// steps pass it, and only then is sized to root, the outermost value:
	// nearly every coercion stays under the minimum, and walking the value
	// for each (each streamed partial, say) would be work for nothing.
	steps, budget int
	root          *jvalue // the value to size the budget to, until it is

	// constraints makes coercion test the targets' @assert and @check
	// constraints (ParseOutput sets it).
	constraints bool
}

// Coercion tries each variant of a union on a value, and again each
// variant of the unions inside it for each of those, so a value nested in
// a type whose unions recur (class A { next A | B? }) could take time
// exponential in its depth: a reply of a few hundred bytes would seem to
// hang. The outermost coerce therefore gets a budget of calls in
// proportion to the size of the value (coerceBudget); a coercion that
// spends it fails, whatever its parts found.
const (
	coerceStepsPerNode = 256
	coerceStepsMin     = 100_000
)

// coerceBudget returns the calls of coerce allowed for converting v.
func coerceBudget(v *jvalue) int {
	n, stack := 0, []*jvalue{v}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], x.items...)
		n++
	}
	return coerceStepsMin + coerceStepsPerNode*n
}

// errTooComplex is the failure of a coercion that spent its budget.
func errTooComplex(budget int) *cerr {
	return failAt("the reply is too complex to convert to the type (more than " + strconv.Itoa(budget) + " steps: unions that nest in each other, tried at every level)")
}

// coerce converts v to t.
func (c *coercer) coerce(t *target, v *jvalue) (res *cval, fail *cerr) {
	if c.depth == 0 {
		c.steps, c.budget, c.root = 0, coerceStepsMin, v
		defer func() {
			if c.steps > c.budget {
				res, fail = nil, errTooComplex(c.budget)
			}
		}()
	}
	if c.steps++; c.steps > c.budget {
		if c.root != nil {
			c.budget, c.root = coerceBudget(c.root), nil
		}
		if c.steps > c.budget {
			return nil, errTooComplex(c.budget)
		}
	}
	if c.depth >= maxCoerceDepth {
		return nil, failAt("nested too deeply")
	}
	c.depth++
	defer func() { c.depth-- }()
	var r *cval
	var err *cerr
	switch v.kind {
	case jAnyOf:
		if t.stringLike() {
			return c.coerce(t, jstr(v.text, true))
		}
		return c.singular(t, v.items)
	case jMarkdown:
		r, err = c.coerce(t, v.inner())
		if err == nil && t.kind == types.String {
			r.addFlag(cflag{kind: flMarkdown, n: 1})
		}
		return r, err
	case jFixed:
		return c.coerce(t, v.inner())
	}
	if r = c.tryCast(t, v); r == nil {
		r, err = c.convert(t, v)
		if err == nil {
			r, err = c.constrain(t, r)
		}
	}
	if err == nil && !v.complete {
		r.addFlag(cflag{kind: flIncomplete})
	}
	return r, err
}

// convert is the lenient half of coerce, after tryCast found no exact fit.
func (c *coercer) convert(t *target, v *jvalue) (*cval, *cerr) {
	switch t.kind {
	case types.String:
		return c.toString(v)
	case types.Int:
		return c.toInt(t, v)
	case types.Float:
		return c.toFloat(t, v)
	case types.Bool:
		return c.toBool(t, v)
	case types.Null:
		return c.newCval(nil, types.Null, cflag{kind: flDefaultHadValue, note: &lossyNote{kind: vmspan.ParseDefaulted, detail: "used null for " + describe(v)}}), nil
	case types.List:
		return c.toList(t, v)
	case types.Map:
		return c.toMap(t, v)
	case types.Class:
		return c.toClass(t, v)
	case types.Enum:
		return c.toEnum(t, v)
	case types.Union:
		return c.toUnion(t, v)
	case types.Literal:
		return c.toLiteral(t, v)
	case types.Any:
		return c.newCval(plainValue(v, 0), types.Any), nil
	}
	return nil, mismatch(t, v)
}

func mismatch(t *target, v *jvalue) *cerr {
	return failQuoting("want "+t.name+", got "+describe(v), "want "+t.name+", got "+describeKind(v))
}

// singular picks the best of several readings of one value.
func (c *coercer) singular(t *target, items []*jvalue) (*cval, *cerr) {
	res := make([]attempt, len(items))
	for i, x := range items {
		res[i].v, res[i].err = c.coerce(t, x)
	}
	r, err := pickBest(t, res)
	if err == nil {
		r.addFlag(cflag{kind: flFirstMatch})
	}
	return r, err
}

// fromList reads one value of t out of a list: the best element, as
// singular does; when there were others, they are noted as dropped.
func (c *coercer) fromList(t *target, items []*jvalue) (*cval, *cerr) {
	r, err := c.singular(t, items)
	if err == nil && len(items) > 1 {
		r.addFlag(cflag{note: &lossyNote{kind: vmspan.ParseDropped, detail: fmt.Sprintf("a list of %d read as one %s: the other elements left out", len(items), t.name)}})
	}
	return r, err
}

// An attempt is the outcome of one way of reading a value.
type attempt struct {
	v   *cval
	err *cerr
}

// pickBest chooses among attempts as BAML's pick_best does: lists that are
// real lists before single values made lists, lists that kept their
// elements before empty ones that dropped them, classes with real values
// before classes made only of defaults, containers before strings that
// were printed from JSON, then the lower score, then the earlier attempt.
func pickBest(t *target, res []attempt) (*cval, *cerr) {
	if len(res) == 0 {
		return nil, failAt("want " + t.name + ", got nothing")
	}
	if len(res) == 1 {
		return res[0].v, res[0].err
	}
	type entry struct {
		i int
		v *cval
	}
	var ok []entry
	var worst *cerr
	for i, r := range res {
		if r.err != nil {
			worst = deeper(worst, r.err)
			continue
		}
		ok = append(ok, entry{i, r.v})
	}
	if len(ok) == 0 {
		return nil, worst
	}
	union := t.kind == types.Union
	// BAML sorts with a comparator that is not a total order; an insertion
	// sort (Rust's stable sort on short slices) gives the same choice.
	for i := 1; i < len(ok); i++ {
		for j := i; j > 0 && before(ok[j].v, ok[j-1].v, ok[j].i, ok[j-1].i, union); j-- {
			ok[j], ok[j-1] = ok[j-1], ok[j]
		}
	}
	best := ok[0].v
	if !best.has(flUnionMatch) && !best.has(flFirstMatch) {
		if union {
			best.addFlag(cflag{kind: flUnionMatch})
		} else {
			best.addFlag(cflag{kind: flFirstMatch})
		}
	}
	return best, nil
}

// before reports whether a (attempt ai) is preferred to b (attempt bi).
func before(a, b *cval, ai, bi int, union bool) bool {
	if a.kind == types.List && b.kind == types.List {
		as, bs := a.has(flSingleToArray), b.has(flSingleToArray)
		if as != bs {
			return bs
		}
		ae, be := a.count(flItemError), b.count(flItemError)
		if ae == 0 && be > 0 && len(b.kids) == 0 {
			return true
		}
		if ae > 0 && be == 0 && len(a.kids) == 0 {
			return false
		}
	}
	if a.kind == types.Class && b.kind == types.Class {
		if union {
			as, bs := impliedString(a), impliedString(b)
			if as != bs {
				return bs
			}
		}
		ad, bd := allDefaults(a), allDefaults(b)
		if ad != bd {
			return bd
		}
	}
	if !a.composite() && b.composite() && (a.has(flJSONToString) || a.has(flFirstMatch)) {
		return false
	}
	if a.composite() && !b.composite() && (b.has(flJSONToString) || b.has(flFirstMatch)) {
		return true
	}
	ad, bd := emptySingle(a), emptySingle(b)
	if ad != bd {
		return bd
	}
	if a.score != b.score {
		return a.score < b.score
	}
	return ai < bi
}

// impliedString reports whether a class is one string field given without
// its key.
func impliedString(c *cval) bool {
	return len(c.kids) == 1 && c.kids[0].v.kind == types.String && c.kids[0].v.has(flImpliedKey)
}

// allDefaults reports whether every field of a class was defaulted.
func allDefaults(c *cval) bool {
	for _, k := range c.kids {
		if !k.v.has(flOptionalDefault) && !k.v.has(flDefaultNoValue) {
			return false
		}
	}
	return true
}

// emptySingle reports whether a list is empty and was made from a single
// value (that could not be read as an element).
func emptySingle(c *cval) bool {
	return c.kind == types.List && len(c.kids) == 0 && c.has(flSingleToArray)
}

// tryCast converts v to t when it fits exactly (no conversion at all) and
// passes t's asserts, or returns nil. Coercion tries it first at every
// level, so an exact fit always wins over a conversion.
func (c *coercer) tryCast(t *target, v *jvalue) *cval {
	r := c.tryCastExact(t, v)
	if r == nil {
		return nil
	}
	r, err := c.constrain(t, r)
	if err != nil {
		return nil // coerce reports the failure
	}
	return r
}

func (c *coercer) tryCastExact(t *target, v *jvalue) *cval {
	switch t.kind {
	case types.String:
		if v.kind == jString {
			return c.newCval(v.text, types.String)
		}
	case types.Int:
		if v.kind == jNumber && v.num.kind == numInt {
			return c.newCval(v.num.i, types.Int)
		}
	case types.Float:
		if v.kind == jNumber {
			return c.newCval(v.num.asFloat(), types.Float)
		}
	case types.Bool:
		if v.kind == jBool {
			return c.newCval(v.b, types.Bool)
		}
	case types.Null:
		if v.kind == jNull {
			return c.newCval(nil, types.Null)
		}
	case types.Enum:
		if v.kind == jString {
			for _, ev := range t.enum.values {
				if ev.shown == v.text {
					return c.newCval(vmspan.Enum{Name: t.enum.name, Value: ev.name}, types.Enum)
				}
			}
		}
	case types.Literal:
		if literalFits(t.literal, v) {
			return c.newCval(t.literal, types.Literal)
		}
	case types.List:
		return c.tryCastList(t, v)
	case types.Map:
		return c.tryCastMap(t, v)
	case types.Class:
		return c.tryCastClass(t, v)
	case types.Union:
		return c.tryCastUnion(t, v)
	case types.Any:
		return c.newCval(plainValue(v, 0), types.Any)
	}
	return nil
}

func literalFits(lit any, v *jvalue) bool {
	switch l := lit.(type) {
	case string:
		return v.kind == jString && v.text == l
	case int64:
		return v.kind == jNumber && v.num.kind == numInt && v.num.i == l
	case float64:
		return v.kind == jNumber && v.num.asFloat() == l
	case bool:
		return v.kind == jBool && v.b == l
	}
	return false
}

func (c *coercer) tryCastList(t *target, v *jvalue) *cval {
	if v.kind != jArray {
		return nil
	}
	out := make([]any, len(v.items))
	kids := make([]ckid, len(v.items))
	for i, x := range v.items {
		r := c.tryCast(t.elem, x)
		if r == nil {
			return nil
		}
		if !x.complete {
			r.addFlag(cflag{kind: flIncomplete})
		}
		out[i] = r.v
		kids[i] = ckid{index: i, v: r}
	}
	return c.newCval(out, types.List).withKids(kids)
}

func (c *coercer) tryCastMap(t *target, v *jvalue) *cval {
	if v.kind != jObject {
		return nil
	}
	out := make(map[string]any, len(v.items))
	kids := make([]ckid, 0, len(v.items))
	for i, x := range v.items {
		k, ok := mapKey(t.key, v.keys[i])
		if !ok {
			return nil
		}
		r := c.tryCast(t.elem, x)
		if r == nil {
			return nil
		}
		if !x.complete {
			r.addFlag(cflag{kind: flIncomplete})
		}
		out[k] = r.v
		kids = append(kids, ckid{name: k, index: -1, v: r})
	}
	return c.newCval(out, types.Map).withKids(kids)
}

// tryCastClass fits an object whose keys are exactly the fields' shown
// names (no extra keys) and whose values fit exactly; missing optional
// fields are null.
func (c *coercer) tryCastClass(t *target, v *jvalue) *cval {
	if v.kind != jObject || c.depth >= maxCoerceDepth {
		return nil
	}
	c.depth++
	defer func() { c.depth-- }()
	ct := t.class
	vals := make([]*cval, len(ct.fields))
	for i, k := range v.keys {
		f := ct.fieldByKey(k)
		if f < 0 {
			return nil
		}
		if vals[f] != nil {
			continue // a duplicate key: the first value counts
		}
		r := c.tryCast(ct.fields[f].t, v.items[i])
		if r == nil {
			return nil
		}
		if !v.items[i].complete {
			r.addFlag(cflag{kind: flIncomplete})
		}
		vals[f] = r
	}
	for i, f := range ct.fields {
		if vals[i] == nil {
			if !f.optional {
				return nil
			}
			vals[i] = c.newCval(nil, types.Null, cflag{kind: flOptionalDefault})
		}
	}
	return c.classValue(ct, vals)
}

// classValue makes the object of a class from its shown fields' values;
// the fields marked @skip are null.
func (c *coercer) classValue(ct *classTarget, vals []*cval) *cval {
	obj := vmspan.Object{Class: ct.name, Fields: make([]vmspan.Arg, len(ct.all))}
	for i, name := range ct.all {
		obj.Fields[i].Name = name
	}
	kids := make([]ckid, len(ct.fields))
	for i, f := range ct.fields {
		obj.Fields[ct.pos[i]].Value = vals[i].v
		kids[i] = ckid{name: f.name, index: -1, v: vals[i]}
	}
	return c.newCval(obj, types.Class).withKids(kids)
}

func (c *coercer) tryCastUnion(t *target, v *jvalue) *cval {
	if v.kind == jNull && t.optional {
		return c.newCval(nil, types.Null)
	}
	var fits []attempt
	for _, variant := range t.variants {
		if variant.kind == types.Null {
			continue
		}
		r := c.tryCast(variant, v)
		if r == nil {
			continue
		}
		r.addFlag(cflag{kind: flUnionMatch})
		if r.score == 0 {
			return r
		}
		fits = append(fits, attempt{v: r})
	}
	if len(fits) == 0 {
		return nil
	}
	r, _ := pickBest(t, fits)
	return r
}

func (c *coercer) toString(v *jvalue) (*cval, *cerr) {
	switch v.kind {
	case jNull:
		return nil, failAt("want string, got null")
	case jString:
		return c.newCval(v.text, types.String), nil
	}
	return c.newCval(v.display(), types.String, cflag{kind: flJSONToString}), nil
}

// toInt reads an int: a float is rounded (half away from zero); a string
// may hold an int, a float, a fraction ("1/4") or one number in prose
// ("$1,234", "50%", "about 12"); of a list, the best element.
func (c *coercer) toInt(t *target, v *jvalue) (*cval, *cerr) {
	switch v.kind {
	case jNumber:
		switch v.num.kind {
		case numInt:
			return c.newCval(v.num.i, types.Int), nil
		case numUint:
			return nil, failQuoting("want int, got "+v.text+" (out of range)", "want int, got a number out of range")
		}
		return roundToInt(v.num.f, v.text)
	case jString:
		s := strings.TrimRight(strings.TrimSpace(v.text), ",")
		if n, ok := numberFromLiteral(s); ok {
			switch n.kind {
			case numInt:
				return c.newCval(n.i, types.Int), nil
			case numUint:
				return nil, failQuoting("want int, got "+strconv.Quote(s)+" (out of range)", "want int, got a string with a number out of range")
			}
			return roundToInt(n.f, s)
		}
		if f, ok := numberFromFraction(s); ok {
			return roundToInt(f, s)
		}
		if f, ok := numberFromText(s); ok {
			return roundToInt(f, s)
		}
	case jArray:
		return c.fromList(t, v.items)
	}
	return nil, mismatch(t, v)
}

// roundToInt rounds f read from text to an int, noting the loss when f
// was not integral.
func roundToInt(f float64, text string) (*cval, *cerr) {
	r := math.Round(f)
	if math.IsNaN(r) || r >= 1<<63 || r < -(1<<63) {
		return nil, failQuoting("want int, got "+text+" (out of range)", "want int, got a number out of range")
	}
	fl := cflag{kind: flFloatToInt}
	if r != f {
		fl.note = &lossyNote{kind: vmspan.ParseRounded, detail: fmt.Sprintf("%s rounded to %d", text, int64(r))}
	}
	return newCval(int64(r), types.Int, fl), nil
}

// toFloat reads a float: from an int, or a string holding a number, a
// fraction or one number in prose; of a list, the best element.
func (c *coercer) toFloat(t *target, v *jvalue) (*cval, *cerr) {
	switch v.kind {
	case jString:
		s := strings.TrimRight(strings.TrimSpace(v.text), ",")
		if n, ok := numberFromLiteral(s); ok {
			return c.newCval(n.asFloat(), types.Float), nil
		}
		if f, ok := numberFromFraction(s); ok {
			return c.newCval(f, types.Float), nil
		}
		if f, ok := numberFromText(s); ok {
			return c.newCval(f, types.Float, cflag{kind: flStringToFloat}), nil
		}
	case jArray:
		return c.fromList(t, v.items)
	}
	return nil, mismatch(t, v)
}

var boolCandidates = []candidate{
	{result: "true", names: []string{"true", "True", "TRUE"}},
	{result: "false", names: []string{"false", "False", "FALSE"}},
}

// toBool reads a bool from "true"/"false" in any case, or the one of them
// that a text mentions; of a list, the best element.
func (c *coercer) toBool(t *target, v *jvalue) (*cval, *cerr) {
	switch v.kind {
	case jString:
		switch strings.ToLower(v.text) {
		case "true":
			return c.newCval(true, types.Bool, cflag{kind: flStringToBool}), nil
		case "false":
			return c.newCval(false, types.Bool, cflag{kind: flStringToBool}), nil
		}
		switch r, how, _ := matchString(v.text, boolCandidates, true); how {
		case matchExact, matchSubstring:
			return c.newCval(r == "true", types.Bool, cflag{kind: flStringToBool}), nil
		case matchAmbiguous:
			const tie = ": it names true and false equally often"
			return nil, failQuoting("want bool, got "+describe(v)+tie, "want bool, got "+describeKind(v)+tie)
		}
	case jArray:
		return c.fromList(t, v.items)
	}
	return nil, mismatch(t, v)
}

// toList reads a list: each element that cannot be read is dropped (and
// noted); a single value is a one-element list.
func (c *coercer) toList(t *target, v *jvalue) (*cval, *cerr) {
	r := c.newCval(nil, types.List)
	items := v.items
	one := v.kind != jArray
	if one {
		r.addFlag(cflag{kind: flSingleToArray})
		items = []*jvalue{v}
	}
	out := make([]any, 0, len(items))
	var kids []ckid
	for i, x := range items {
		e, err := c.coerce(t.elem, x)
		if err != nil {
			seg := "[" + strconv.Itoa(i) + "]"
			r.addFlag(cflag{kind: flItemError, n: i, note: dropNote(seg, x, err.under(seg))})
			continue
		}
		out = append(out, e.v)
		kids = append(kids, ckid{index: i, v: e})
	}
	r.v = out
	return r.withKids(kids), nil
}

// dropNote describes an element or entry that was dropped: truncated when
// the reply ended inside it.
func dropNote(seg string, x *jvalue, err *cerr) *lossyNote {
	if !x.complete {
		return &lossyNote{kind: vmspan.ParseTruncated, seg: seg, detail: "incomplete element dropped (the reply ends inside it): " + err.msg}
	}
	return &lossyNote{kind: vmspan.ParseDropped, seg: seg, detail: "dropped: " + errText(err)}
}

// errText is an error's message with its path.
func errText(e *cerr) string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// toMap reads an object as a map; an entry whose value cannot be read is
// dropped (and noted). A repeated key keeps its first place and last value.
func (c *coercer) toMap(t *target, v *jvalue) (*cval, *cerr) {
	if v.kind != jObject {
		return nil, mismatch(t, v)
	}
	r := c.newCval(nil, types.Map, cflag{kind: flObjectToMap})
	out := make(map[string]any, len(v.items))
	var kids []ckid
	at := map[string]int{}
	for i, x := range v.items {
		k, ok := mapKey(t.key, v.keys[i])
		if !ok {
			err := failAt("not a key of " + t.name + ": " + strconv.Quote(v.keys[i]))
			r.addFlag(cflag{kind: flMapValueError, note: dropNote("."+v.keys[i], x, err)})
			continue
		}
		e, err := c.coerce(t.elem, x)
		if err != nil {
			r.addFlag(cflag{kind: flMapValueError, note: dropNote("."+k, x, err.under(k))})
			continue
		}
		out[k] = e.v
		if j, ok := at[k]; ok {
			kids[j].v = e
			continue
		}
		at[k] = len(kids)
		kids = append(kids, ckid{name: k, index: -1, v: e})
	}
	r.v = out
	return r.withKids(kids), nil
}

// mapKey checks a reply's map key against the key type kt (nil: any
// string): for an enum, a variant named as an enum value is (by its shown
// name, its description, or "name: description", without searching inside
// a longer text); for literals, one of the strings. It returns the key to
// keep: the variant's declared name, or the literal.
func mapKey(kt *target, k string) (string, bool) {
	if kt == nil {
		return k, true
	}
	members := []*target{kt}
	if kt.kind == types.Union {
		members = kt.variants
	}
	for _, m := range members {
		switch m.kind {
		case types.String, types.Any:
			return k, true
		case types.Literal:
			if l, ok := m.literal.(string); ok && l == k {
				return k, true
			}
		case types.Enum:
			cands := make([]candidate, len(m.enum.values))
			for i, ev := range m.enum.values {
				cands[i] = candidate{result: ev.name, names: ev.cands}
			}
			if r, how, _ := matchString(k, cands, false); how == matchExact {
				return r, true
			}
		}
	}
	return "", false
}

// toEnum finds the variant a text names (see matchString): by its shown
// name, its description, or "name: description", then inside the text.
func (c *coercer) toEnum(t *target, v *jvalue) (*cval, *cerr) {
	if v.kind == jNull {
		return nil, mismatch(t, v)
	}
	cands := make([]candidate, len(t.enum.values))
	for i, ev := range t.enum.values {
		cands[i] = candidate{result: ev.name, names: ev.cands}
	}
	name, flags, err := c.matchText(t, v, cands)
	if err != nil {
		return nil, err
	}
	return c.newCval(vmspan.Enum{Name: t.enum.name, Value: name}, types.Enum, flags...), nil
}

// matchText matches v's text (a non-string is printed) against cands.
func (c *coercer) matchText(t *target, v *jvalue, cands []candidate) (string, []cflag, *cerr) {
	var flags []cflag
	text := v.text
	if v.kind != jString {
		flags = append(flags, cflag{kind: flObjectToString})
		text = v.display()
	}
	r, how, tied := matchString(text, cands, true)
	switch how {
	case matchExact:
		return r, flags, nil
	case matchSubstring:
		return r, append(flags, cflag{kind: flSubstringMatch}), nil
	case matchAmbiguous:
		tie := ": it names " + strings.Join(tied, " and ") + " equally often" // the enum's values: schema
		return "", nil, failQuoting("want "+t.name+", got "+describe(v)+tie, "want "+t.name+", got "+describeKind(v)+tie)
	}
	return "", nil, mismatch(t, v)
}

func (c *coercer) toLiteral(t *target, v *jvalue) (*cval, *cerr) {
	if v.kind == jNull {
		return nil, mismatch(t, v)
	}
	var read func(*target, *jvalue) (*cval, *cerr) // reads the literal's type
	switch l := t.literal.(type) {
	case int64:
		read = c.toInt
	case float64:
		read = c.toFloat
	case bool:
		read = c.toBool
	case string:
		_, flags, err := c.matchText(t, v, []candidate{{result: l, names: []string{l}}})
		if err != nil {
			return nil, err
		}
		return c.newCval(l, types.Literal, flags...), nil
	default:
		return nil, mismatch(t, v)
	}
	r, err := read(t, v)
	if err != nil || r.v != t.literal {
		return nil, mismatch(t, v)
	}
	r.kind = types.Literal
	return r, nil
}

// toUnion tries every variant (null last) and keeps the best; a variant
// that fits with no conversion at all wins at once.
func (c *coercer) toUnion(t *target, v *jvalue) (*cval, *cerr) {
	res := make([]attempt, 0, len(t.variants))
	for _, variant := range t.variants {
		r, err := c.coerce(variant, v)
		if err == nil && r.score == 0 {
			r.addFlag(cflag{kind: flUnionMatch})
			return r, nil
		}
		res = append(res, attempt{r, err})
	}
	r, err := pickBest(t, res)
	if err != nil {
		if err.depth == 0 {
			return nil, mismatch(t, v)
		}
		return nil, err
	}
	return r, nil
}

// A fieldState is what a class's field got from the reply.
type fieldState struct {
	v   *cval
	err *cerr
	set bool
}

// toClass reads a class from an object (fields by shown name, compared
// loosely: see keyMatches), from a bare value for a one-field class, or
// from a list of which the best element is taken. A missing optional field
// is null; a missing or unreadable list or map field is empty, an
// unreadable optional field null (both noted).
func (c *coercer) toClass(t *target, v *jvalue) (*cval, *cerr) {
	ct := t.class
	st := make([]fieldState, len(ct.fields))
	var flags []cflag
	var alts []attempt
	set := func(i int, r *cval, err *cerr) {
		if !st[i].set {
			st[i] = fieldState{r, err, true}
		}
	}
	switch v.kind {
	case jObject:
		found := false
		var extra []int
		for i, k := range v.keys {
			f := fieldForKey(ct, k)
			if f < 0 {
				extra = append(extra, i)
				continue
			}
			r, err := c.coerce(ct.fields[f].t, v.items[i])
			set(f, r, err)
			found = true
		}
		implied := false
		if !found && len(extra) > 0 && len(ct.fields) == 1 {
			f := &ct.fields[0]
			if r, err := c.coerce(f.t, v); err == nil {
				r.addFlag(cflag{kind: flImpliedKey})
				set(0, r, nil)
				implied = true
			}
		}
		if !implied {
			for range extra {
				flags = append(flags, cflag{kind: flExtraKey})
			}
		}
	case jArray:
		if len(ct.fields) == 1 {
			f := &ct.fields[0]
			r, err := c.coerce(f.t, v)
			if err == nil {
				r.addFlag(cflag{kind: flImpliedKey})
			}
			set(0, r, err)
		}
		if r, err := c.fromList(t, v.items); err == nil {
			alts = append(alts, attempt{v: r})
		}
	default:
		if len(ct.fields) != 1 {
			return nil, mismatch(t, v)
		}
		{
			f := &ct.fields[0]
			r, err := c.coerce(f.t, v)
			if err == nil {
				r.addFlag(cflag{kind: flImpliedKey})
				flags = append(flags, cflag{kind: flInferedObject, n: boolInt(v.kind == jString)})
			}
			set(0, r, err)
		}
	}
	vals := make([]*cval, len(ct.fields))
	var failed *cerr
	for i, f := range ct.fields {
		s := st[i]
		switch {
		case s.set && s.err == nil:
			vals[i] = s.v
		case f.optional && !s.set:
			vals[i] = c.newCval(nil, types.Null, cflag{kind: flOptionalDefault})
		default:
			d := defaultValue(f.t, s.set, s.err)
			if d == nil {
				e := s.err
				if !s.set {
					e = failAt("missing (want " + f.t.name + ")")
				}
				failed = deeper(failed, e.under(f.name))
				continue
			}
			vals[i] = d
		}
	}
	if failed != nil {
		if len(alts) == 0 {
			return nil, failed
		}
		return pickBest(t, alts)
	}
	r := c.classValue(ct, vals)
	for _, f := range flags {
		r.addFlag(f)
	}
	return pickBest(t, append([]attempt{{v: r}}, alts...))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fieldForKey returns the field an object key names, or -1.
func fieldForKey(ct *classTarget, key string) int {
	if j := ct.fieldByKey(key); j >= 0 {
		return j
	}
	for j := range ct.fields {
		if keyMatches(key, ct.fields[j].key) {
			return j
		}
	}
	return -1
}

// defaultValue returns the value a field of type t gets when it is missing
// (had is false) or could not be read (err): an empty list or map, or null
// for an optional type; nil when t has no default. A type with
// constraints has no default but null, as in BAML: an empty list might not
// pass them.
func defaultValue(t *target, had bool, err *cerr) *cval {
	fl := cflag{kind: flDefaultNoValue}
	if had {
		fl.kind = flDefaultBadValue
	}
	var v any
	kind := t.kind
	switch {
	case len(t.checks) > 0 && !t.nullable():
		return nil
	case t.kind == types.List:
		v = []any{}
	case t.kind == types.Map:
		v = map[string]any{}
	case t.nullable():
		kind = types.Null
	default:
		return nil
	}
	used := map[types.Kind]string{types.List: "[]", types.Map: "{}", types.Null: "null"}[kind]
	if had {
		fl.note = &lossyNote{kind: vmspan.ParseDefaulted, detail: "unreadable value replaced by " + used + ": " + err.msg}
	} else {
		fl.note = &lossyNote{kind: vmspan.ParseDefaulted, detail: "missing; used " + used}
	}
	return newCval(v, kind, fl)
}

// plainValue converts a reading to a plain snapshot value (for the any
// type): the first of several readings, objects as maps (the first of a
// repeated key), numbers as int64 or float64.
func plainValue(v *jvalue, depth int) any {
	if depth > maxCoerceDepth {
		return nil
	}
	switch v.kind {
	case jString:
		return v.text
	case jNumber:
		if v.num.kind == numInt {
			return v.num.i
		}
		return v.num.asFloat()
	case jBool:
		return v.b
	case jObject:
		m := make(map[string]any, len(v.items))
		for i, x := range v.items {
			if _, dup := m[v.keys[i]]; !dup {
				m[v.keys[i]] = plainValue(x, depth+1)
			}
		}
		return m
	case jArray:
		out := make([]any, len(v.items))
		for i, x := range v.items {
			out[i] = plainValue(x, depth+1)
		}
		return out
	case jAnyOf, jMarkdown, jFixed:
		if len(v.items) > 0 {
			return plainValue(v.items[0], depth+1)
		}
		return v.text
	}
	return nil
}

// describe renders a reading briefly for an error message.
func describe(v *jvalue) string {
	switch v.kind {
	case jNull:
		return "null"
	case jString:
		return strconv.Quote(excerpt(v.text, 60))
	case jNumber:
		return v.text
	case jBool:
		return strconv.FormatBool(v.b)
	case jArray:
		return fmt.Sprintf("a list of %d", len(v.items))
	case jObject:
		return "an object"
	case jAnyOf:
		return strconv.Quote(excerpt(v.text, 60))
	}
	return describe(v.inner())
}

// describeKind is describe without the value: "a string", "a number".
func describeKind(v *jvalue) string {
	switch v.kind {
	case jNull:
		return "null"
	case jString, jAnyOf:
		return "a string"
	case jNumber:
		return "a number"
	case jBool:
		return "a bool"
	case jArray, jObject:
		return describe(v) // a count or a kind, never a value
	}
	return describeKind(v.inner())
}
