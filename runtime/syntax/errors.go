// errors.go holds syntax errors: one positioned Error and the ErrorList that Parse returns.

package syntax

import (
	"fmt"
	"slices"
	"strings"
)

// String returns the position as "line:col", or "-" when it is not valid.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Before reports whether p comes strictly before q in the file.
func (p Pos) Before(q Pos) bool {
	return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col
}

// An Error is one positioned diagnostic of a bex program: a syntax error
// (from Parse), a compile or type error, or a warning (from the compiler,
// where BAML only warns). It has a position in a file and a one-line,
// lower-case message. Its text is "file:line:col: msg", or
// "file:line:col: warning: msg" for a warning.
type Error struct {
	File    string
	Pos     Pos
	Msg     string
	Warning bool // a warning: reported, but the program still compiles
}

// Error returns "file:line:col: msg" (or "line:col: msg" when File is
// empty, and "file: msg" when the position is unknown, as for what a Go
// API declared).
func (e *Error) Error() string {
	msg := e.Msg
	if e.Warning {
		msg = "warning: " + msg
	}
	switch {
	case e.File == "":
		return e.Pos.String() + ": " + msg
	case !e.Pos.IsValid():
		return e.File + ": " + msg
	}
	return e.File + ":" + e.Pos.String() + ": " + msg
}

// An ErrorList is a list of diagnostics sorted by position: the syntax
// errors of one file (from Parse), or the errors and warnings of a
// compilation (from the compiler, through vm.Compile and engine.New).
// errors.As finds the individual *Error values through Unwrap.
type ErrorList []*Error

// Error joins the errors' texts with newlines.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors, so errors.As(err, new(*Error)) works.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns l as an error, or nil when l holds no error (it is empty or
// holds only warnings), avoiding a typed nil.
func (l ErrorList) Err() error {
	for _, e := range l {
		if !e.Warning {
			return l
		}
	}
	return nil
}

// Warnings returns the warnings of l.
func (l ErrorList) Warnings() ErrorList {
	var w ErrorList
	for _, e := range l {
		if e.Warning {
			w = append(w, e)
		}
	}
	return w
}

// sort orders the errors by position, keeping discovery order for ties.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		switch {
		case a.Pos.Before(b.Pos):
			return -1
		case b.Pos.Before(a.Pos):
			return 1
		}
		return 0
	})
}
