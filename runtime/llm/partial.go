// partial.go holds the parsing of partial values from a growing reply.

package llm

// A partialParser reads a streamed reply as it grows and returns the
// partial values of the return type it spells.
type partialParser interface {
	// feed adds delta to the reply and returns the partial value of the
	// reply so far, and whether it differs from the last one returned.
	feed(delta string) (any, bool)
	// reset forgets the reply (a new attempt starts).
	reset()
}

// newPartialParser returns the partial parser of return type out.
func newPartialParser(out *Schema) partialParser {
	if out == nil || out.Kind == KindString {
		return &textPartials{}
	}
	return noPartials{}
}

// noPartials yields no partial values: the call's final value only.
type noPartials struct{}

func (noPartials) feed(string) (any, bool) { return nil, false }
func (noPartials) reset()                  {}

// textPartials are the partial values of a string return type: the text
// so far, as the final value is the whole text.
type textPartials struct{ text []byte }

func (p *textPartials) feed(delta string) (any, bool) {
	if delta == "" {
		return nil, false
	}
	p.text = append(p.text, delta...)
	return string(p.text), true
}

func (p *textPartials) reset() { p.text = p.text[:0] }
