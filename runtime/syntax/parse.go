// parse.go holds the recursive-descent parser: declarations, statements,
// expressions and types.

package syntax

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

const (
	// maxDepth bounds the nesting of expressions, blocks, types and config
	// blocks, so that hostile input cannot overflow the Go stack.
	maxDepth = 1000
	// maxErrors bounds the number of errors reported for one file.
	maxErrors = 50
)

// Parse parses one bex source file. filename is used only in error messages.
//
// Parse always returns a *File. When the source has errors it also returns
// an ErrorList (sorted by position, at most 50 entries plus a "too many
// errors" note); the File then holds the declarations that could be parsed,
// which is enough for tools but not for compiling. Parse never panics.
func Parse(filename string, src []byte) (*File, error) {
	p := newParser(filename, src)
	f := &File{Name: filename}
	p.run(func() {
		for p.tok != EOF {
			if d := p.parseDeclRecover(); d != nil {
				f.Decls = append(f.Decls, d)
			}
		}
	})
	return f, p.err()
}

// ParseExpr parses a single expression, such as `a.b(1) + 2`. It is meant
// for tests, tools and REPLs; errors are reported as by Parse.
func ParseExpr(filename string, src []byte) (Expr, error) {
	return parseLone(filename, src, "expression", (*parser).parseExpr)
}

// ParseType parses a lone type, such as `map<string, int[]>?` or
// `"a" | "b"`; attributes may follow it. The compiler uses it for the types
// in host function signatures; errors are reported as by Parse.
func ParseType(filename string, src []byte) (TypeExpr, error) {
	return parseLone(filename, src, "type", (*parser).parseAttrType)
}

// ParseTypes parses the body of a type builder given on its own (as bex
// run --types reads it): classes, enums, and `dynamic class` / `dynamic
// enum` blocks that add to @@dynamic ones (see TypeBuilder). Errors are
// reported as by Parse.
func ParseTypes(filename string, src []byte) (*TypeBuilder, error) {
	p := newParser(filename, src)
	var tb *TypeBuilder
	p.run(func() { tb = p.parseTypeBuilderBody(Pos{}) })
	if err := p.err(); err != nil {
		return nil, err
	}
	return tb, nil
}

// parseLone parses src as one construct (what) with parse, which must use
// all of it.
func parseLone[T Node](filename string, src []byte, what string, parse func(*parser) T) (T, error) {
	p := newParser(filename, src)
	var x T
	p.run(func() {
		x = parse(p)
		if p.tok != EOF {
			p.fail(p.tv.pos, "unexpected %s after %s", p.describe(), what)
		}
	})
	if err := p.err(); err != nil {
		var zero T
		return zero, err
	}
	return x, nil
}

// A parser holds the state of one parse. Errors are recorded in errs;
// fail also unwinds (with a bailout panic) to the nearest recovery point:
// a statement in a block, a member of a class, enum or config block, or a
// declaration. Each recovery point skips to a place where parsing can
// resume, so that one mistake yields one message.
type parser struct {
	file string
	sc   *scanner

	tok     Token      // current token
	tv      tokenValue // its value
	prevEnd Pos        // end of the previous token
	prevOff int        // offset of the previous token
	nahead  int        // tokens scanned ahead of tok, in ahead[:nahead]
	ahead   [2]lookahead

	errs        ErrorList
	lastErrLine int32

	depth      int      // nesting, bounded by maxDepth
	noClassLit bool     // `Name {` starts a block, not a class literal
	funcAttrs  *[]*Attr // where @@attrs of the current function body go
	inClass    bool     // parsing a class body, where `function` declares a method
}

// A lookahead is a token scanned ahead of the current one.
type lookahead struct {
	tok Token
	tv  tokenValue
}

type bailout struct{}       // unwinds to the nearest recovery point
type tooManyErrors struct{} // unwinds out of the parse

func newParser(filename string, src []byte) *parser {
	p := &parser{file: filename}
	p.sc = newScanner(src, p.scanError)
	p.run(func() { p.next() })
	return p
}

// run calls fn, stopping quietly at a bailout that escaped every recovery
// point or when there are too many errors.
func (p *parser) run(fn func()) {
	defer func() {
		switch r := recover(); r.(type) {
		case nil, bailout, tooManyErrors:
		default:
			panic(r)
		}
	}()
	fn()
}

func (p *parser) err() error {
	p.errs.sort()
	return p.errs.Err()
}

// ---- tokens ----

// next advances to the next token and returns the position of the old one.
func (p *parser) next() Pos {
	pos := p.tv.pos
	p.prevEnd, p.prevOff = p.tv.end, p.tv.off
	if p.nahead > 0 {
		p.tok, p.tv = p.ahead[0].tok, p.ahead[0].tv
		p.ahead[0] = p.ahead[1]
		p.nahead--
	} else {
		p.tok = p.sc.next(&p.tv)
	}
	return pos
}

// peek returns the token after the current one without consuming anything.
func (p *parser) peek() Token { return p.peekN(0).tok }

// peekN returns the token n+1 places after the current one (n is 0 or 1).
func (p *parser) peekN(n int) *lookahead {
	for p.nahead <= n {
		la := &p.ahead[p.nahead]
		la.tok = p.sc.next(&la.tv)
		p.nahead++
	}
	return &p.ahead[n]
}

// expect consumes a token of kind tok or fails with "expected tok context, found ...".
func (p *parser) expect(tok Token, context string) Pos {
	if p.tok != tok {
		p.fail(p.tv.pos, "expected '%s' %s, found %s", tok, context, p.describe())
	}
	return p.next()
}

// A label names a construct in messages, such as "class Ticket" or
// "option 'headers'". It is formatted only when an error is reported, so
// the parser builds no strings on the happy path.
type label struct {
	kind, name string
	quoted     bool // show name as a quoted key
}

func (l label) String() string {
	switch {
	case l.name == "":
		return l.kind
	case l.quoted:
		return l.kind + " " + quote(l.name)
	}
	return l.kind + " " + l.name
}

// expectAfter is expect with the context "prep what", as in
// "expected ':' after parameter a".
func (p *parser) expectAfter(tok Token, prep string, what label) Pos {
	if p.tok != tok {
		p.fail(p.tv.pos, "expected '%s' %s %s, found %s", tok, prep, what, p.describe())
	}
	return p.next()
}

// describe names the current token for error messages.
func (p *parser) describe() string {
	switch p.tok {
	case EOF:
		return "end of file"
	case STRING, RAW_STRING:
		return p.tok.String()
	case IDENT, INT, FLOAT:
		return "'" + p.tv.raw + "'"
	}
	return "'" + p.tok.String() + "'"
}

// unquotedTail extends the current identifier token into an unquoted string
// (openai-generic, gpt-4o-mini) when the scanner is right behind it.
func (p *parser) unquotedTail() string {
	if p.nahead > 0 || p.tok != IDENT {
		return ""
	}
	tail := p.sc.scanUnquotedTail()
	if tail != "" {
		p.tv.end = p.sc.pos()
		p.tv.raw += tail
	}
	return tail
}

// ---- errors and recovery ----

// report records an error. Only the first error on a line is kept, and
// errors at the end of the file after an earlier error are dropped: both
// are almost always consequences of the first.
func (p *parser) report(pos Pos, format string, args ...any) {
	if p.tok == EOF && len(p.errs) > 0 {
		return
	}
	p.add(pos, fmt.Sprintf(format, args...))
}

func (p *parser) scanError(pos Pos, msg string) { p.add(pos, msg) }

func (p *parser) add(pos Pos, msg string) {
	if pos.Line == p.lastErrLine {
		return
	}
	p.lastErrLine = pos.Line
	p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Msg: msg})
	if len(p.errs) >= maxErrors {
		p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Msg: "too many errors"})
		panic(tooManyErrors{})
	}
}

// fail reports an error and unwinds to the nearest recovery point.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.report(pos, format, args...)
	panic(bailout{})
}

// enter counts one level of nesting; leave undoes it.
func (p *parser) enter(what string) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.tv.pos, "%s nested too deeply", what)
	}
}

func (p *parser) leave() { p.depth-- }

// recoverTo runs fn; on a bailout it restores the nesting state and calls
// sync with the offset fn started at, which skips to where parsing resumes.
func (p *parser) recoverTo(fn func(), sync func(start int)) {
	start, depth, noClassLit := p.tv.off, p.depth, p.noClassLit
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(bailout); !ok {
			panic(r)
		}
		p.depth, p.noClassLit = depth, noClassLit
		sync(start)
	}()
	fn()
}

// atDeclKeyword reports whether the current token can only start a
// declaration. retry_policy is also a client option, so it counts only at
// the start of a line.
func (p *parser) atDeclKeyword() bool {
	switch p.tok {
	case CLASS, ENUM:
		return true
	case FUNCTION:
		return !p.inClass || p.tv.pos.Col == 1 // indented, it declares a method
	case RETRY_POLICY:
		return p.tv.pos.Col == 1
	}
	return false
}

// atDeclStart reports whether the current token starts a declaration, for
// resynchronising after an error. Contextual words count only at column 1.
func (p *parser) atDeclStart() bool {
	if p.atDeclKeyword() || p.tok == LET && p.tv.pos.Col == 1 {
		return true
	}
	if p.tok != IDENT || p.tv.pos.Col != 1 {
		return false
	}
	switch p.tv.raw {
	case "client":
		return p.peek() == LT || p.peek() == IDENT
	case "test", "generator", "template_string", "type":
		return p.peek() == IDENT
	}
	return false
}

// inBody reports whether a brace-delimited body continues.
func (p *parser) inBody() bool {
	return p.tok != RBRACE && p.tok != EOF && !p.atDeclKeyword()
}

// skipOne consumes the current token if parsing made no progress since start.
func (p *parser) skipOne(start int) {
	if p.tv.off == start && p.tok != EOF && p.tok != RBRACE {
		p.next()
	}
}

// syncDecl skips to the start of the next declaration.
func (p *parser) syncDecl(start int) {
	p.skipOne(start)
	for p.tok != EOF && !p.atDeclStart() {
		p.next()
	}
}

// syncLine skips the rest of the line with the last error (and any braces
// opened on it), for line-oriented bodies: classes, enums, config blocks.
func (p *parser) syncLine(start int) {
	p.skipOne(start)
	depth := 0
	for p.tok != EOF && !p.atDeclKeyword() {
		switch {
		case p.tok == LBRACE:
			depth++
		case p.tok == RBRACE:
			if depth == 0 {
				return
			}
			depth--
		case depth == 0 && p.tv.pos.Line > p.lastErrLine:
			return
		}
		p.next()
	}
}

// syncStmt skips to the end of the statement: past a ';', or to a '}' or
// a word that starts a statement.
func (p *parser) syncStmt(start int) {
	p.skipOne(start)
	depth := 0
	for p.tok != EOF && !p.atDeclKeyword() {
		switch p.tok {
		case SEMI:
			if depth == 0 {
				p.next()
				return
			}
		case LBRACE:
			depth++
		case RBRACE:
			if depth == 0 {
				return
			}
			depth--
		case LET, FOR, WHILE, RETURN, BREAK, CONTINUE, ATAT:
			if depth == 0 {
				return
			}
		}
		p.next()
	}
}

// closeBrace consumes the '}' closing what was opened at open. A missing
// brace is reported without unwinding, so the enclosing parse goes on.
func (p *parser) closeBrace(open Pos, what label) Pos {
	if p.tok == RBRACE {
		return p.next()
	}
	p.report(p.tv.pos, "expected '}' to close %s opened at %s, found %s", what, open, p.describe())
	return p.tv.pos
}

// semi consumes the ';' ending a statement. A missing one is reported at
// the end of the statement, without unwinding: the statement is complete.
func (p *parser) semi(what string) {
	if p.tok == SEMI {
		p.next()
		return
	}
	p.report(p.prevEnd, "expected ';' after %s", what)
}

// ---- names ----

func (p *parser) parseIdent(what string) *Ident {
	if p.tok != IDENT {
		p.fail(p.tv.pos, "expected %s, found %s", what, p.describe())
	}
	id := &Ident{NamePos: p.tv.pos, Name: p.tv.raw}
	p.next()
	return id
}

// parseName parses a name that may also be a keyword (a field name, a
// method name after '.', an attribute or a map key).
func (p *parser) parseName(what string) *Ident {
	if p.tok != IDENT && !isKeyword(p.tok) {
		p.fail(p.tv.pos, "expected %s, found %s", what, p.describe())
	}
	id := &Ident{NamePos: p.tv.pos, Name: p.tv.raw}
	p.next()
	return id
}

// quote returns 'key' for a key to show in a message, or a Go-quoted
// string when the key holds quotes, backslashes or unprintable characters,
// so that messages stay on one line and unambiguous.
func quote(key string) string {
	for _, r := range key {
		if r < ' ' || r == '\'' || r == '"' || r == '\\' || r == 0x7f || !unicode.IsPrint(r) {
			return strconv.Quote(key)
		}
	}
	return "'" + key + "'"
}

func isKeyword(tok Token) bool { return tok >= CLASS && tok < maxToken }

// ---- declarations ----

// parseDeclRecover parses one declaration, or skips to the next one after
// an error (returning nil).
func (p *parser) parseDeclRecover() Decl {
	var d Decl
	p.recoverTo(func() { d = p.parseDecl() }, func(start int) {
		p.funcAttrs = nil
		p.inClass = false
		p.syncDecl(start)
	})
	return d
}

func (p *parser) parseDecl() Decl {
	switch p.tok {
	case CLASS:
		return p.parseClass()
	case ENUM:
		return p.parseEnum()
	case RETRY_POLICY:
		return p.parseRetryPolicy()
	case FUNCTION:
		return p.parseFunc()
	case LET:
		return p.parseGlobal()
	case IDENT:
		switch p.tv.raw {
		case "client":
			return p.parseClient()
		case "test":
			return p.parseTest()
		case "generator", "template_string":
			return p.parseOther()
		case "type":
			if p.peek() == IDENT {
				return p.parseTypeAlias()
			}
		}
		p.fail(p.tv.pos, "unknown declaration '%s' (want class, enum, type, client<llm>, retry_policy, function, let, test, generator)", p.tv.raw)
	}
	p.fail(p.tv.pos, "expected declaration, found %s", p.describe())
	return nil
}

func (p *parser) parseClass() Decl {
	d := &ClassDecl{Class: p.next()}
	d.Name = p.parseIdent("class name")
	lbrace := p.expectAfter(LBRACE, "after", label{kind: "class", name: d.Name.Name})
	p.inClass = true
	for p.inBody() {
		if p.tok == FUNCTION {
			if m := p.parseMethod(); m != nil {
				d.Methods = append(d.Methods, m)
			}
			continue
		}
		p.parseMember(func() {
			if p.tok == ATAT {
				d.Attrs = append(d.Attrs, p.parseAttr())
				return
			}
			d.Fields = append(d.Fields, p.parseField())
		})
	}
	p.inClass = false
	p.closeBrace(lbrace, label{kind: "class", name: d.Name.Name})
	return d
}

// parseMethod parses a function declared inside a class, skipping to the
// next member after an error.
func (p *parser) parseMethod() *FuncDecl {
	var d *FuncDecl
	p.recoverTo(func() { d = p.parseFunc().(*FuncDecl) }, func(start int) {
		p.funcAttrs = nil
		p.syncLine(start)
	})
	return d
}

// parseMember parses one line-oriented member with line-level recovery.
func (p *parser) parseMember(fn func()) {
	p.recoverTo(fn, p.syncLine)
}

func (p *parser) parseField() *Field {
	f := &Field{Name: p.parseName("field name")}
	f.Type = p.parseType()
	f.Attrs = p.parseAttrs()
	return f
}

func (p *parser) parseAttrs() []*Attr {
	var attrs []*Attr
	for p.tok == AT {
		attrs = append(attrs, p.parseAttr())
	}
	return attrs
}

// parseAttr parses @name(args...) or @@name(args...). The argument list
// must start on the attribute's line, so that `@@trace` followed by a
// statement starting with '(' is not misread.
func (p *parser) parseAttr() *Attr {
	a := &Attr{Block: p.tok == ATAT}
	a.At = p.next()
	name := p.parseName("attribute name")
	a.Name = name.Name
	for p.tok == DOT && p.tv.pos.Line == name.NamePos.Line { // @stream.done
		p.next()
		a.Name += "." + p.parseName("attribute name after '.'").Name
	}
	if p.tok == LPAREN && p.tv.pos.Line == name.NamePos.Line {
		p.next()
		a.Args = p.parseAttrArgs()
	}
	return a
}

// parseAttrArgs parses attribute arguments up to and including the ')'.
// Besides expressions they may be Jinja expressions, as in BAML's
// @assert(positive, {{ this > 0 }}), which become string literals.
func (p *parser) parseAttrArgs() []Expr {
	var args []Expr
	for p.tok != RPAREN {
		switch {
		case p.tok == LBRACE && p.peek() == LBRACE && p.ahead[0].tv.off == p.tv.off+1:
			args = append(args, p.parseJinjaArg())
		case p.atUnquotedArg():
			args = append(args, p.parseUnquotedArg())
		default:
			args = append(args, p.parseNested())
		}
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	if p.tok != RPAREN {
		p.fail(p.tv.pos, "expected ',' or ')' in attribute arguments, found %s", p.describe())
	}
	p.next()
	return args
}

// parseJinjaArg parses `{{ ... }}` into a string literal whose Raw is the
// source text and whose Value is the text between the double braces. The
// text is taken verbatim from the source (up to the first "}}"), since
// Jinja has its own lexical rules, such as 'single-quoted' strings.
func (p *parser) parseJinjaArg() Expr {
	// The current token and the peeked one are the two '{'; the scanner
	// stands right after the second.
	lit := &Literal{ValuePos: p.tv.pos, Kind: StringLit}
	start := p.tv.off
	end := strings.Index(p.sc.src[p.sc.off:], "}}")
	if end < 0 {
		p.fail(lit.ValuePos, "unterminated jinja expression: missing }}")
	}
	p.sc.advanceTo(p.sc.off + end + 2)
	lit.Raw = p.sc.src[start:p.sc.off]
	lit.Value = lit.Raw[2 : len(lit.Raw)-2]
	p.nahead = 0
	p.tv.end = p.sc.pos()
	p.next()
	return lit
}

// atUnquotedArg reports whether an attribute argument is an unquoted
// string, as BAML allows: text such as `The user's name` or `num-b` that
// runs from the current token over more than that token, up to a comma,
// a bracket, a quote or the end of the line.
func (p *parser) atUnquotedArg() bool {
	switch p.tok {
	case STRING, RAW_STRING, LBRACE, LBRACK, LPAREN, RPAREN, COMMA, MINUS, EOF:
		return false
	}
	return len(p.sc.unquotedFrom(p.tv.off)) > len(p.tv.raw)
}

// parseUnquotedArg consumes an unquoted attribute argument as a string literal.
func (p *parser) parseUnquotedArg() Expr {
	text := p.sc.unquotedFrom(p.tv.off)
	lit := &Literal{ValuePos: p.tv.pos, Kind: StringLit, Raw: text, Value: text}
	p.sc.rewind(p.tv.off, p.tv.pos)
	p.sc.advanceTo(p.tv.off + len(text))
	p.nahead = 0
	p.tv.end = p.sc.pos()
	p.next()
	return lit
}

func (p *parser) parseEnum() Decl {
	d := &EnumDecl{Enum: p.next()}
	d.Name = p.parseIdent("enum name")
	lbrace := p.expectAfter(LBRACE, "after", label{kind: "enum", name: d.Name.Name})
	for p.inBody() {
		p.parseMember(func() {
			if p.tok == ATAT {
				d.Attrs = append(d.Attrs, p.parseAttr())
				return
			}
			v := &EnumValue{Name: p.parseName("enum value")}
			v.Attrs = p.parseAttrs()
			d.Values = append(d.Values, v)
		})
	}
	p.closeBrace(lbrace, label{kind: "enum", name: d.Name.Name})
	return d
}

// parseClient parses `client<llm> Name { ... }` or `client Name { ... }`.
func (p *parser) parseClient() Decl {
	d := &ClientDecl{Client: p.next()}
	if p.tok == LT {
		p.next()
		d.KindPos = p.tv.pos
		d.Kind = p.parseIdent("client kind such as llm").Name
		p.expect(GT, "after client<"+d.Kind)
	}
	d.Name = p.parseIdent("client name")
	d.Body = p.parseConfigBlock(label{kind: "client", name: d.Name.Name})
	return d
}

// parseTypeAlias parses `type Name = Type [attributes]`.
func (p *parser) parseTypeAlias() Decl {
	d := &TypeAliasDecl{TypePos: p.next()}
	d.Name = p.parseIdent("type name")
	p.expectAfter(EQ, "after", label{kind: "type", name: d.Name.Name})
	d.Type = p.parseAttrType()
	if p.tok == SEMI {
		p.next()
	}
	return d
}

// parseGlobal parses a top-level `let name = value;`.
func (p *parser) parseGlobal() Decl {
	d := &GlobalDecl{Let: p.parseLet()}
	p.semi("let statement")
	return d
}

func (p *parser) parseRetryPolicy() Decl {
	d := &RetryPolicyDecl{Retry: p.next()}
	d.Name = p.parseIdent("retry policy name")
	d.Body = p.parseConfigBlock(label{kind: "retry_policy", name: d.Name.Name})
	return d
}

func (p *parser) parseConfigBlock(what label) *ConfigBlock {
	p.enter("config block")
	b := &ConfigBlock{Lbrace: p.expectAfter(LBRACE, "to open", what)}
	for p.tok != RBRACE && p.tok != EOF && p.tok != CLASS && p.tok != ENUM && p.tok != FUNCTION {
		p.parseMember(func() { b.Entries = append(b.Entries, p.parseConfigEntry()) })
	}
	b.Rbrace = p.closeBrace(b.Lbrace, what)
	p.leave()
	return b
}

// parseConfigEntry parses `key value`, `key { ... }` or `"key" value`,
// optionally followed by a comma.
func (p *parser) parseConfigEntry() *ConfigEntry {
	e := &ConfigEntry{KeyPos: p.tv.pos}
	switch {
	case p.tok == STRING:
		e.Key = p.tv.str
		p.next()
	case p.tok == IDENT || isKeyword(p.tok):
		e.Key = p.tv.raw
		p.next()
	default:
		p.fail(p.tv.pos, "expected option name, found %s", p.describe())
	}
	if p.tok == COLON {
		p.next() // BAML allows `key: value`
	}
	if p.tok == LBRACE {
		e.Block = p.parseConfigBlock(label{kind: "option", name: e.Key, quoted: true})
	} else {
		e.Value = p.parseConfigValue(e.Key)
	}
	if p.tok == COMMA {
		p.next()
	}
	return e
}

// parseConfigValue parses an option value: a literal, a name, a dotted name
// (env.NAME), an unquoted string (openai-generic) or a list of values.
func (p *parser) parseConfigValue(key string) Expr {
	switch p.tok {
	case STRING, RAW_STRING, INT, FLOAT, TRUE, FALSE, NULL:
		return p.parseLiteral()
	case MINUS:
		pos := p.next()
		if p.tok != INT && p.tok != FLOAT {
			p.fail(p.tv.pos, "expected number after '-', found %s", p.describe())
		}
		return &UnaryExpr{OpPos: pos, Op: MINUS, X: p.parseLiteral()}
	case IDENT:
		return p.parseConfigName()
	case LBRACK:
		return p.parseConfigList(key)
	}
	p.fail(p.tv.pos, "expected value for %s, found %s", quote(key), p.describe())
	return nil
}

func (p *parser) parseConfigName() Expr {
	pos, raw := p.tv.pos, p.tv.raw
	if tail := p.unquotedTail(); tail != "" {
		p.next()
		return &Literal{ValuePos: pos, Kind: StringLit, Raw: raw + tail, Value: raw + tail}
	}
	var x Expr = p.parseIdent("name")
	for p.tok == DOT {
		dot := p.next()
		x = &DotExpr{X: x, Dot: dot, Name: p.parseName("name after '.'")}
	}
	return x
}

// parseConfigList parses `[a, b]`; commas are optional, as between entries.
func (p *parser) parseConfigList(key string) Expr {
	p.enter("config value")
	l := &ListExpr{Lbrack: p.next()}
	for p.tok != RBRACK {
		if p.tok == EOF {
			p.fail(p.tv.pos, "expected ']' to close the list for %s, found end of file", quote(key))
		}
		l.Elems = append(l.Elems, p.parseConfigValue(key))
		if p.tok == COMMA {
			p.next()
		}
	}
	l.Rbrack = p.next()
	p.leave()
	return l
}

func (p *parser) parseFunc() Decl {
	d := &FuncDecl{Function: p.next()}
	d.Name = p.parseIdent("function name")
	p.expectAfter(LPAREN, "after", label{kind: "function", name: d.Name.Name})
	d.Params = p.parseParams()
	if p.tok == ARROW {
		p.next()
		d.Result = p.parseAttrType()
	}
	lbrace := p.expectAfter(LBRACE, "to open the body of", label{kind: "function", name: d.Name.Name})
	if p.atLLMBody() {
		d.LLM = p.parseLLMBody(d.Name.Name, lbrace)
		return d
	}
	p.funcAttrs = &d.Attrs
	d.Body = p.parseBlockBody(lbrace)
	p.funcAttrs = nil
	return d
}

// parseParams parses `name: Type, ...` up to and including the ')'. The
// first parameter may be a bare `self` (a method's receiver).
func (p *parser) parseParams() []*Param {
	var params []*Param
	for p.tok != RPAREN {
		pm := &Param{Name: p.parseIdent("parameter name")}
		if pm.Name.Name == "self" && len(params) == 0 && p.tok != COLON {
			params = append(params, pm)
		} else {
			p.expectAfter(COLON, "after", label{kind: "parameter", name: pm.Name.Name})
			pm.Type = p.parseAttrType()
			params = append(params, pm)
		}
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	if p.tok != RPAREN {
		p.fail(p.tv.pos, "expected ',' or ')' in parameter list, found %s", p.describe())
	}
	p.next()
	return params
}

// atLLMBody reports whether a function body (its '{' consumed) is an LLM
// body: it starts with `client NAME`, `client "provider/model"` or
// `prompt "..."`, none of which is a valid statement.
func (p *parser) atLLMBody() bool {
	if p.tok != IDENT {
		return false
	}
	switch p.tv.raw {
	case "client":
		t := p.peek()
		return t == IDENT || t == STRING
	case "prompt":
		t := p.peek()
		return t == STRING || t == RAW_STRING
	}
	return false
}

func (p *parser) parseLLMBody(fn string, lbrace Pos) *LLMBody {
	b := &LLMBody{ClientPos: lbrace}
	var sawClient, sawPrompt bool
	nerrs := len(p.errs)
	for p.inBody() {
		p.parseMember(func() { p.parseLLMEntry(b, fn, &sawClient, &sawPrompt) })
	}
	switch {
	case len(p.errs) > nerrs: // a malformed entry already has its message
	case !sawClient:
		p.report(lbrace, "llm function %s has no client", fn)
	case !sawPrompt:
		p.report(lbrace, "llm function %s has no prompt", fn)
	}
	p.closeBrace(lbrace, label{kind: "function", name: fn})
	return b
}

func (p *parser) parseLLMEntry(b *LLMBody, fn string, sawClient, sawPrompt *bool) {
	if p.tok != IDENT {
		p.fail(p.tv.pos, "expected client or prompt in llm function %s, found %s", fn, p.describe())
	}
	switch p.tv.raw {
	case "client":
		if *sawClient {
			p.fail(p.tv.pos, "duplicate client in llm function %s", fn)
		}
		b.ClientPos = p.next()
		p.parseLLMClient(b)
		*sawClient = true
	case "prompt":
		if *sawPrompt {
			p.fail(p.tv.pos, "duplicate prompt in llm function %s", fn)
		}
		p.next()
		if p.tok != STRING && p.tok != RAW_STRING {
			p.fail(p.tv.pos, "expected prompt string #\"...\"# after prompt, found %s", p.describe())
		}
		b.PromptPos, b.Prompt = p.tv.strPos, p.tv.str
		p.next()
		*sawPrompt = true
	default:
		p.fail(p.tv.pos, "unexpected '%s' in llm function %s (want client or prompt)", p.tv.raw, fn)
	}
}

// parseLLMClient parses the client after `client`: a name, a quoted
// "provider/model" shorthand, or the same shorthand unquoted.
func (p *parser) parseLLMClient(b *LLMBody) {
	switch p.tok {
	case STRING:
		b.Client, b.Shorthand = p.tv.str, true
	case IDENT:
		p.unquotedTail() // extends p.tv.raw
		b.Client = p.tv.raw
		b.Shorthand = strings.Contains(b.Client, "/")
	default:
		p.fail(p.tv.pos, "expected client name or \"provider/model\" after client, found %s", p.describe())
	}
	p.next()
}

// parseTest parses a test block (see TestDecl).
func (p *parser) parseTest() Decl {
	d := &TestDecl{Test: p.next()}
	d.Name = p.parseIdent("test name")
	what := label{kind: "test", name: d.Name.Name}
	lbrace := p.expectAfter(LBRACE, "after", what)
	seen := map[string]bool{}
	for p.tok != RBRACE && p.tok != EOF {
		p.parseMember(func() { p.parseTestMember(d, seen) })
	}
	d.Rbrace = p.closeBrace(lbrace, what)
	if d.Functions == nil {
		p.report(d.Name.NamePos, "test %s has no functions field: write functions [F]", d.Name.Name)
	}
	return d
}

// parseTestMember parses one field or block attribute of a test.
func (p *parser) parseTestMember(d *TestDecl, seen map[string]bool) {
	if p.tok == ATAT {
		d.Attrs = append(d.Attrs, p.parseAttr())
		return
	}
	pos, key := p.tv.pos, p.tv.raw
	if p.tok != IDENT {
		p.fail(pos, "expected a test field (functions, args, type_builder) or @@check/@@assert, found %s", p.describe())
	}
	if seen[key] {
		p.fail(pos, "test %s: field %s given twice", d.Name.Name, key)
	}
	seen[key] = true
	p.next()
	switch key {
	case "functions":
		d.Functions = p.parseTestFunctions()
	case "args":
		d.ArgsPos = pos
		lbrace := p.expectAfter(LBRACE, "after", label{kind: "args of test", name: d.Name.Name})
		d.Args, _ = p.parseTestEntries(lbrace)
	case "type_builder":
		d.Types = p.parseTypeBuilderBody(p.expectAfter(LBRACE, "after", label{kind: "type_builder of test", name: d.Name.Name}))
	default:
		p.fail(pos, "test %s: unknown field %s (want functions, args or type_builder)", d.Name.Name, key)
	}
	if p.tok == AT {
		p.fail(p.tv.pos, "attributes on test fields are not allowed: write @@check or @@assert in the test block")
	}
}

// parseTestFunctions parses `[F, G]` (commas optional).
func (p *parser) parseTestFunctions() []*Ident {
	p.expect(LBRACK, "after functions")
	fns := []*Ident{}
	for p.tok != RBRACK {
		fns = append(fns, p.parseIdent("function name"))
		if p.tok == COMMA {
			p.next()
		}
	}
	p.next()
	return fns
}

// parseTestEntries parses `key value ...` up to and including the '}'
// (the '{' at lbrace is consumed) and returns the entries and the '}';
// commas between entries are optional.
func (p *parser) parseTestEntries(lbrace Pos) ([]*MapEntry, Pos) {
	p.enter("test arguments")
	defer p.leave()
	entries := []*MapEntry{}
	for p.tok != RBRACE && p.tok != EOF {
		e := &MapEntry{KeyPos: p.tv.pos}
		switch {
		case p.tok == STRING || p.tok == RAW_STRING:
			e.Key = p.tv.str
		case p.tok == IDENT || isKeyword(p.tok):
			e.Key = p.tv.raw
		default:
			p.fail(p.tv.pos, "expected a name in test arguments, found %s", p.describe())
		}
		p.next()
		if p.tok == COLON {
			p.next()
		}
		e.Value = p.parseTestValue()
		entries = append(entries, e)
		if p.tok == COMMA {
			p.next()
		}
	}
	return entries, p.closeBrace(lbrace, label{kind: "test arguments"})
}

// parseTestValue parses a test argument value: a literal, unquoted text
// (a string), a list `[v v]` or an object `{ key value }`.
func (p *parser) parseTestValue() Expr {
	switch p.tok {
	case STRING, RAW_STRING, INT, FLOAT, TRUE, FALSE, NULL:
		return p.parseLiteral()
	case MINUS:
		return p.parseNegativeLiteralType().(*LiteralType).Value
	case LBRACE:
		m := &MapExpr{Lbrace: p.next()}
		m.Entries, m.Rbrace = p.parseTestEntries(m.Lbrace)
		return m
	case LBRACK:
		p.enter("test arguments")
		defer p.leave()
		l := &ListExpr{Lbrack: p.next()}
		for p.tok != RBRACK {
			if p.tok == EOF {
				p.fail(p.tv.pos, "expected ']' to close the list, found end of file")
			}
			l.Elems = append(l.Elems, p.parseTestValue())
			if p.tok == COMMA {
				p.next()
			}
		}
		l.Rbrack = p.next()
		return l
	case IDENT:
		text := p.sc.unquotedFrom(p.tv.off)
		lit := &Literal{ValuePos: p.tv.pos, Kind: StringLit, Raw: text, Value: text}
		if len(text) > len(p.tv.raw) {
			p.sc.rewind(p.tv.off, p.tv.pos)
			p.sc.advanceTo(p.tv.off + len(text))
			p.nahead = 0
			p.tv.end = p.sc.pos()
		}
		p.next()
		return lit
	}
	p.fail(p.tv.pos, "expected a test argument value, found %s", p.describe())
	return nil
}

// parseTypeBuilderBody parses the classes, enums and dynamic blocks of a
// type builder up to and including the '}' (the '{' at lbrace is
// consumed; a zero lbrace parses to the end of the file).
func (p *parser) parseTypeBuilderBody(lbrace Pos) *TypeBuilder {
	tb := &TypeBuilder{Lbrace: lbrace}
	for p.tok != EOF && (p.tok != RBRACE || !lbrace.IsValid()) {
		start := p.tv.off
		p.recoverTo(func() { tb.Decls = append(tb.Decls, p.parseTypeBuilderDecl()) }, func(int) {
			p.inClass = false
			p.skipOne(start)
			for p.tok != EOF && p.tok != CLASS && p.tok != ENUM && !(p.tok == IDENT && p.tv.raw == "dynamic") && (p.tok != RBRACE || p.tv.pos.Col > lbrace.Col) {
				p.next()
			}
		})
	}
	if lbrace.IsValid() {
		p.closeBrace(lbrace, label{kind: "type_builder"})
	}
	return tb
}

// parseTypeBuilderDecl parses a class, an enum, or a dynamic block.
func (p *parser) parseTypeBuilderDecl() Decl {
	switch {
	case p.tok == CLASS:
		return p.parseClass()
	case p.tok == ENUM:
		return p.parseEnum()
	case p.tok == IDENT && p.tv.raw == "dynamic":
		d := &DynamicDecl{Dynamic: p.next()}
		switch p.tok {
		case CLASS:
			d.Decl = p.parseClass()
		case ENUM:
			d.Decl = p.parseEnum()
		default:
			p.fail(p.tv.pos, "expected class or enum after dynamic, found %s", p.describe())
		}
		return d
	}
	p.fail(p.tv.pos, "expected class, enum, dynamic class or dynamic enum in a type builder, found %s", p.describe())
	return nil
}

// parseOther parses `generator` and `template_string` declarations
// loosely: their bodies are skipped.
func (p *parser) parseOther() Decl {
	d := &OtherDecl{KeywordPos: p.tv.pos, Keyword: p.tv.raw}
	p.next()
	d.Name = p.parseIdent(d.Keyword + " name")
	if d.Keyword == "template_string" {
		p.skipTemplateString(d.Name.Name)
	} else {
		p.skipBraces(label{kind: d.Keyword, name: d.Name.Name})
	}
	return d
}

func (p *parser) skipBraces(what label) {
	lbrace := p.expectAfter(LBRACE, "after", what)
	for depth := 1; depth > 0; p.next() {
		switch p.tok {
		case EOF:
			p.closeBrace(lbrace, what)
			return
		case LBRACE:
			depth++
		case RBRACE:
			depth--
		}
	}
}

// skipTemplateString skips `(params) -> Type #"..."#` up to and including
// the template string.
func (p *parser) skipTemplateString(name string) {
	for depth := 0; ; p.next() {
		switch p.tok {
		case EOF, CLASS, ENUM, FUNCTION:
			p.fail(p.tv.pos, "expected template text #\"...\"# for template_string %s, found %s", name, p.describe())
		case LPAREN:
			depth++
		case RPAREN:
			depth--
		case STRING, RAW_STRING:
			if depth <= 0 {
				p.next()
				return
			}
		}
	}
}

// ---- statements ----

// parseBlock parses `{ stmts... [value] }`; context completes the message
// "expected '{' <context>".
func (p *parser) parseBlock(context string) *Block {
	lbrace := p.expect(LBRACE, context)
	return p.parseBlockBody(lbrace)
}

// parseBlockBody parses a block whose '{' (at lbrace) is consumed.
func (p *parser) parseBlockBody(lbrace Pos) *Block {
	p.enter("expression") // blocks nest inside expressions (if) and vice versa
	saved := p.noClassLit
	p.noClassLit = false
	b := &Block{Lbrace: lbrace}
	for p.inBody() {
		p.recoverTo(func() { p.parseStmt(b) }, p.syncStmt)
	}
	b.Rbrace = p.closeBrace(lbrace, label{kind: "block"})
	p.noClassLit = saved
	p.leave()
	return b
}

// parseStmt parses one statement into b (or sets b.Value).
func (p *parser) parseStmt(b *Block) {
	switch p.tok {
	case LET:
		s := p.parseLet()
		b.Stmts = append(b.Stmts, s)
		p.semi("let statement")
	case FOR:
		b.Stmts = append(b.Stmts, p.parseFor())
	case WHILE:
		b.Stmts = append(b.Stmts, p.parseWhile())
	case BREAK, CONTINUE:
		tok := p.tok
		b.Stmts = append(b.Stmts, &BranchStmt{TokPos: p.next(), Token: tok})
		p.semi(tok.String() + " statement")
	case RETURN:
		b.Stmts = append(b.Stmts, p.parseReturn())
		p.semi("return statement")
	case IF:
		p.parseIfStmt(b)
	case LBRACE:
		if p.atMapLiteral() {
			p.parseSimpleStmt(b)
		} else {
			p.parseBlockStmt(b)
		}
	case ATAT:
		p.parseFuncAttr()
	case SEMI:
		p.next() // empty statement
	default:
		p.parseSimpleStmt(b)
	}
}

func (p *parser) parseLet() *LetStmt {
	s := &LetStmt{Let: p.next()}
	s.Name = p.parseIdent("variable name after let")
	if p.tok == COLON {
		p.next()
		s.Type = p.parseType()
	}
	p.expectAfter(EQ, "after", label{kind: "let", name: s.Name.Name})
	s.Value = p.parseExpr()
	return s
}

func (p *parser) parseReturn() *ReturnStmt {
	s := &ReturnStmt{Return: p.next()}
	if p.tok != SEMI && p.tok != RBRACE {
		s.Value = p.parseExpr()
	}
	return s
}

// parseFor parses `for (x in xs) { }` or `for x in xs { }`.
func (p *parser) parseFor() *ForStmt {
	s := &ForStmt{For: p.next()}
	paren := p.tok == LPAREN
	if paren {
		p.next()
	}
	if p.tok == LET {
		p.next() // for (let x in xs)
	}
	s.Var = p.parseIdent("loop variable after for")
	p.expectAfter(IN, "after", label{kind: "loop variable", name: s.Var.Name})
	if paren {
		s.Iter = p.parseExpr()
		p.expect(RPAREN, "to close for (... in ...)")
	} else {
		s.Iter = p.parseExprNoClassLit()
	}
	s.Body = p.parseBlock("to open the for body")
	return s
}

func (p *parser) parseWhile() *WhileStmt {
	s := &WhileStmt{While: p.next()}
	s.Cond = p.parseExprNoClassLit()
	s.Body = p.parseBlock("after while condition")
	return s
}

// parseFuncAttr parses a block attribute statement such as @@trace, which
// belongs to the enclosing function.
func (p *parser) parseFuncAttr() {
	a := p.parseAttr()
	if p.tok == SEMI {
		p.next()
	}
	if p.funcAttrs == nil {
		p.report(a.At, "block attribute @@%s outside a function body", a.Name)
		return
	}
	*p.funcAttrs = append(*p.funcAttrs, a)
}

// parseSimpleStmt parses an assignment, an expression statement, or the
// block's trailing value.
func (p *parser) parseSimpleStmt(b *Block) {
	x := p.parseExpr()
	if isAssignOp(p.tok) {
		op := p.tok
		s := &AssignStmt{Op: op, OpPos: p.next(), Target: x}
		p.checkTarget(x)
		s.Value = p.parseExpr()
		b.Stmts = append(b.Stmts, s)
		p.semi("assignment")
		return
	}
	if p.tok == RBRACE {
		b.Value = x
		return
	}
	b.Stmts = append(b.Stmts, &ExprStmt{X: x})
	p.semi("expression")
}

// parseIfStmt parses an if at the start of a statement. As in Rust, the
// statement ends at the if's last '}' (no ';' needed), so a following
// `(a)` or `[1, 2]` starts a new statement instead of calling or indexing
// the if. It is the block's value when the block ends there.
func (p *parser) parseIfStmt(b *Block) {
	p.enter("expression")
	x := p.parseIf()
	p.leave()
	p.endBlockLike(b, x)
}

// parseBlockStmt parses a block `{ ... }` at the start of a statement: like
// an if, it needs no ';' and is the enclosing block's value when that block
// ends there.
func (p *parser) parseBlockStmt(b *Block) {
	p.endBlockLike(b, &BlockExpr{Block: p.parseBlock("to open a block")})
}

// endBlockLike ends a statement that is an if or a block: it is b's value
// when b ends there, else a statement (with an optional ';').
func (p *parser) endBlockLike(b *Block, x Expr) {
	switch p.tok {
	case RBRACE:
		b.Value = x
		return
	case SEMI:
		p.next()
	}
	b.Stmts = append(b.Stmts, &ExprStmt{X: x})
}

func isAssignOp(tok Token) bool {
	switch tok {
	case EQ, PLUS_EQ, MINUS_EQ, STAR_EQ, SLASH_EQ, PCT_EQ:
		return true
	}
	return false
}

func (p *parser) checkTarget(x Expr) {
	switch x.(type) {
	case *Ident, *DotExpr, *IndexExpr:
		return
	}
	p.report(x.Span(), "cannot assign to %s (want a variable, field or index)", exprKind(x))
}

// exprKind names an expression's form for error messages.
func exprKind(x Expr) string {
	switch x.(type) {
	case *Literal:
		return "a literal"
	case *CallExpr:
		return "a call"
	case *BinaryExpr, *UnaryExpr:
		return "an operator expression"
	case *IfExpr:
		return "an if expression"
	}
	return "this expression"
}

// ---- expressions ----

func (p *parser) parseExpr() Expr {
	p.enter("expression")
	x := p.parseBinary(1)
	p.leave()
	return x
}

// parseExprNoClassLit parses the condition of if/while or the iterable of
// for, where `Name {` starts the body rather than a class literal.
func (p *parser) parseExprNoClassLit() Expr {
	saved := p.noClassLit
	p.noClassLit = true
	x := p.parseExpr()
	p.noClassLit = saved
	return x
}

// parseNested parses an expression inside brackets, where class literals
// are allowed again.
func (p *parser) parseNested() Expr {
	saved := p.noClassLit
	p.noClassLit = false
	x := p.parseExpr()
	p.noClassLit = saved
	return x
}

// binaryPrec is the precedence of each binary operator (0: not one).
var binaryPrec = [maxToken]int8{
	OROR:   1,
	ANDAND: 2,
	EQL:    3, NEQ: 3,
	LT: 4, LE: 4, GT: 4, GE: 4, INSTANCEOF: 4,
	PLUS: 5, MINUS: 5,
	STAR: 6, SLASH: 6, PERCENT: 6,
}

// parseBinary parses operators of precedence prec or higher, by
// precedence climbing; all binary operators associate to the left.
func (p *parser) parseBinary(prec int8) Expr {
	x := p.parseUnary()
	for {
		opPrec := binaryPrec[p.tok]
		if opPrec < prec {
			return x
		}
		op := p.tok
		pos := p.next()
		if op == INSTANCEOF {
			x = &InstanceofExpr{X: x, OpPos: pos, Type: p.parseIdent("class name after instanceof")}
			continue
		}
		y := p.parseBinary(opPrec + 1)
		x = &BinaryExpr{X: x, OpPos: pos, Op: op, Y: y}
	}
}

func (p *parser) parseUnary() Expr {
	if p.tok != MINUS && p.tok != NOT {
		return p.parsePostfix()
	}
	p.enter("expression")
	op := p.tok
	pos := p.next()
	x := p.parseUnary()
	p.leave()
	return &UnaryExpr{OpPos: pos, Op: op, X: x}
}

// parsePostfix parses a primary followed by calls, field accesses and indexes.
func (p *parser) parsePostfix() Expr {
	x := p.parsePrimary()
	for {
		switch p.tok {
		case DOT:
			dot := p.next()
			x = &DotExpr{X: x, Dot: dot, Name: p.parseName("field or method name after '.'")}
		case LBRACK:
			lbrack := p.next()
			x = &IndexExpr{X: x, Lbrack: lbrack, Index: p.parseNested()}
			p.expect(RBRACK, "to close index")
		case LPAREN:
			call := &CallExpr{Fn: x, Lparen: p.next()}
			call.Args, call.Rparen = p.parseExprList(RPAREN, "argument list")
			x = call
		default:
			return x
		}
	}
}

// parseExprList parses `a, b, c,` up to and including close, whose
// position it returns. The opening bracket is consumed.
func (p *parser) parseExprList(close Token, what string) ([]Expr, Pos) {
	var xs []Expr
	for p.tok != close {
		xs = append(xs, p.parseNested())
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	if p.tok != close {
		p.fail(p.tv.pos, "expected ',' or '%s' in %s, found %s", close, what, p.describe())
	}
	return xs, p.next()
}

func (p *parser) parsePrimary() Expr {
	switch p.tok {
	case INT, FLOAT, STRING, RAW_STRING, TRUE, FALSE, NULL:
		return p.parseLiteral()
	case IDENT:
		id := p.parseIdent("name")
		if p.tok == LBRACE && !p.noClassLit {
			return p.parseClassLit(id)
		}
		return id
	case LPAREN:
		return p.parseParenOrLambda()
	case LBRACK:
		l := &ListExpr{Lbrack: p.next()}
		l.Elems, l.Rbrack = p.parseExprList(RBRACK, "list literal")
		return l
	case LBRACE:
		if p.atMapLiteral() {
			return p.parseMap()
		}
		return &BlockExpr{Block: p.parseBlock("to open a block")}
	case IF:
		return p.parseIf()
	}
	p.fail(p.tv.pos, "expected expression, found %s", p.describe())
	return nil
}

// atMapLiteral reports whether the '{' at hand opens a map literal rather
// than a block expression: `{}`, or a first entry `key: value`.
func (p *parser) atMapLiteral() bool {
	switch p.peek() {
	case RBRACE:
		return true
	case STRING, RAW_STRING, IDENT, INT, FLOAT:
		return p.peekN(1).tok == COLON // a block never starts with `x:`
	}
	return isKeyword(p.peek()) && p.peekN(1).tok == COLON
}

// parseParenOrLambda parses `(expr)` or a lambda: `(x: int, y) -> T { ... }`,
// `(x) -> { ... }`, `(x) => expr`, `() => expr`.
func (p *parser) parseParenOrLambda() Expr {
	switch {
	case p.peek() == RPAREN,
		p.peek() == IDENT && (p.peekN(1).tok == COLON || p.peekN(1).tok == COMMA):
		lp := p.next()
		return p.parseLambda(lp, p.parseLambdaParams())
	case p.peek() == IDENT && p.peekN(1).tok == RPAREN:
		lp := p.next()
		id := p.parseIdent("name")
		p.next() // ')'
		if p.tok == ARROW || p.tok == FATARROW {
			return p.parseLambda(lp, []*Param{{Name: id}})
		}
		return id
	}
	p.next()
	x := p.parseNested()
	p.expect(RPAREN, "to close '('")
	return x
}

// parseLambdaParams parses `x: T, y` up to and including the ')'.
func (p *parser) parseLambdaParams() []*Param {
	var params []*Param
	for p.tok != RPAREN {
		pm := &Param{Name: p.parseIdent("parameter name")}
		if p.tok == COLON {
			p.next()
			pm.Type = p.parseAttrType()
		}
		params = append(params, pm)
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	p.expect(RPAREN, "to close the parameters of a lambda")
	return params
}

// parseLambda parses a lambda's `-> [Type] { body }` or `=> expr` after its
// parameters.
func (p *parser) parseLambda(lparen Pos, params []*Param) Expr {
	p.enter("expression")
	defer p.leave()
	l := &LambdaExpr{Lparen: lparen, Params: params}
	switch p.tok {
	case ARROW:
		p.next()
		if p.tok != LBRACE {
			l.Result = p.parseType()
		}
		l.Body = p.parseBlock("to open the body of a lambda")
	case FATARROW:
		p.next()
		l.Value = p.parseNested()
		if b, ok := l.Value.(*BlockExpr); ok {
			l.Body, l.Value = b.Block, nil
		}
	default:
		p.fail(p.tv.pos, "expected '->' or '=>' after the parameters of a lambda, found %s", p.describe())
	}
	return l
}

func (p *parser) parseLiteral() *Literal {
	lit := &Literal{ValuePos: p.tv.pos, Raw: p.tv.raw}
	switch p.tok {
	case INT:
		lit.Kind, lit.Value = IntLit, p.tv.int
	case FLOAT:
		lit.Kind, lit.Value = FloatLit, p.tv.float
	case STRING, RAW_STRING:
		lit.Kind, lit.Value = StringLit, p.tv.str
	case TRUE, FALSE:
		lit.Kind, lit.Value = BoolLit, p.tok == TRUE
	case NULL:
		lit.Kind = NullLit
	}
	p.next()
	return lit
}

func (p *parser) parseMap() Expr {
	m := &MapExpr{Lbrace: p.next()}
	m.Entries, m.Rbrace = p.parseEntries(label{kind: "map literal"}, true)
	return m
}

func (p *parser) parseClassLit(name *Ident) Expr {
	p.next() // '{'
	c := &ClassLit{Name: name}
	what := label{kind: name.Name, name: "{ ... }"}
	for p.tok != RBRACE {
		if p.tok == DOTDOT {
			p.parseSpread(c)
		} else {
			c.Fields = append(c.Fields, p.parseEntry(what, false))
		}
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	if p.tok != RBRACE {
		p.fail(p.tv.pos, "expected ',' or '}' in %s, found %s", what, p.describe())
	}
	c.Rbrace = p.next()
	return c
}

// parseSpread parses `..x` (or `...x`) in a class literal.
func (p *parser) parseSpread(c *ClassLit) {
	pos := p.next()
	if p.tok == DOT && p.tv.off == p.prevOff+2 {
		p.next()
	}
	if c.Spread != nil {
		p.fail(pos, "%s literal has two spreads", c.Name.Name)
	}
	c.SpreadPos, c.Spread = pos, p.parseNested()
}

// parseEntries parses `key: value, ...` up to and including the '}' (the
// '{' is consumed). Keys are names, or also strings when strKeys is set.
func (p *parser) parseEntries(what label, strKeys bool) ([]*MapEntry, Pos) {
	var entries []*MapEntry
	for p.tok != RBRACE {
		entries = append(entries, p.parseEntry(what, strKeys))
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	if p.tok != RBRACE {
		p.fail(p.tv.pos, "expected ',' or '}' in %s, found %s", what, p.describe())
	}
	return entries, p.next()
}

// parseEntry parses one `key: value`.
func (p *parser) parseEntry(what label, strKeys bool) *MapEntry {
	e := &MapEntry{KeyPos: p.tv.pos}
	switch {
	case strKeys && (p.tok == STRING || p.tok == RAW_STRING):
		e.Key = p.tv.str
		p.next()
	case p.tok == IDENT || isKeyword(p.tok):
		e.Key = p.tv.raw
		p.next()
	case strKeys:
		p.fail(p.tv.pos, "expected map key (a string or a name), found %s", p.describe())
	default:
		p.fail(p.tv.pos, "expected field name in %s, found %s", what, p.describe())
	}
	if p.tok != COLON {
		p.fail(p.tv.pos, "expected ':' after %s in %s, found %s", quote(e.Key), what, p.describe())
	}
	p.next()
	e.Value = p.parseNested()
	return e
}

// parseIf parses an if expression; else-if chains are built iteratively.
func (p *parser) parseIf() Expr {
	root := &IfExpr{If: p.next()}
	root.Cond = p.parseExprNoClassLit()
	root.Then = p.parseBlock("after if condition")
	for tail := root; p.tok == ELSE; {
		p.next()
		if p.tok != IF {
			tail.Else = &BlockExpr{Block: p.parseBlock("or 'if' after else")}
			break
		}
		e := &IfExpr{If: p.next()}
		e.Cond = p.parseExprNoClassLit()
		e.Then = p.parseBlock("after if condition")
		tail.Else, tail = e, e
	}
	return root
}

// ---- types ----

// parseType parses a type: postfix types joined by '|'.
func (p *parser) parseType() TypeExpr {
	p.enter("type")
	t := p.parsePostfixType()
	if p.tok == PIPE {
		u := &UnionType{Types: []TypeExpr{t}}
		for p.tok == PIPE {
			p.next()
			u.Types = append(u.Types, p.parsePostfixType())
		}
		t = u
	}
	p.leave()
	return t
}

func (p *parser) parsePostfixType() TypeExpr {
	t := p.parsePrimaryType()
	for {
		switch p.tok {
		case LBRACK:
			p.next()
			p.expect(RBRACK, "after '[' in list type")
			t = &ListType{Elem: t}
		case QUESTION:
			p.next()
			t = &OptionalType{Elem: t}
		default:
			return t
		}
	}
}

func (p *parser) parsePrimaryType() TypeExpr {
	switch p.tok {
	case IDENT:
		name := p.tv.raw
		pos := p.next()
		if name == "map" && p.tok == LT {
			return p.parseMapType(pos)
		}
		return &NamedType{NamePos: pos, Name: name}
	case NULL:
		return &NamedType{NamePos: p.next(), Name: "null"}
	case STRING, RAW_STRING, INT, FLOAT, TRUE, FALSE:
		return &LiteralType{Value: p.parseLiteral()}
	case MINUS:
		return p.parseNegativeLiteralType()
	case LPAREN:
		return p.parseParenType()
	}
	p.fail(p.tv.pos, "expected type, found %s", p.describe())
	return nil
}

// parseParenType parses a parenthesized type `(T)` or a function type
// `(T, U) -> R`, whose parameters may be named (`(x: int) -> int`).
func (p *parser) parseParenType() TypeExpr {
	ft := &FuncType{Lparen: p.next()}
	named := false
	for p.tok != RPAREN {
		if p.tok == IDENT && p.peek() == COLON {
			p.next()
			p.next()
			named = true
		}
		ft.Params = append(ft.Params, p.parseAttrUnion())
		if p.tok != COMMA {
			break
		}
		p.next()
	}
	p.expect(RPAREN, "to close '(' in type")
	if p.tok == ARROW {
		p.next()
		ft.Result = p.parseType()
		return ft
	}
	if len(ft.Params) != 1 || named {
		p.fail(p.tv.pos, "expected '->' after the parameter types of a function type, found %s", p.describe())
	}
	return ft.Params[0]
}

// parseAttrUnion parses, inside parentheses, a type whose union members
// may each carry attributes, as in BAML's
// `(int @assert(pos, {{ this > 0 }}) | bool)`; attributes after a single
// type apply to it as in parseAttrType.
func (p *parser) parseAttrUnion() TypeExpr {
	p.enter("type")
	defer p.leave()
	member := func() TypeExpr {
		t := p.parsePostfixType()
		if p.tok == AT {
			return &AttrType{Type: t, Attrs: p.parseAttrs()}
		}
		return t
	}
	t := member()
	if p.tok != PIPE {
		return t
	}
	u := &UnionType{Types: []TypeExpr{t}}
	for p.tok == PIPE {
		p.next()
		u.Types = append(u.Types, member())
	}
	if p.tok == AT {
		return &AttrType{Type: u, Attrs: p.parseAttrs()}
	}
	return u
}

// parseAttrType parses a type followed by attributes (@assert, @check,
// @description ...), as written for parameters, results and aliases.
func (p *parser) parseAttrType() TypeExpr {
	t := p.parseType()
	if p.tok != AT {
		return t
	}
	return &AttrType{Type: t, Attrs: p.parseAttrs()}
}

func (p *parser) parseMapType(pos Pos) TypeExpr {
	p.next() // '<'
	m := &MapType{Map: pos, Key: p.parseType()}
	p.expect(COMMA, "between map key and value types")
	m.Value = p.parseType()
	if p.tok == COMMA {
		p.next()
	}
	p.expect(GT, "to close map<...>")
	return m
}

func (p *parser) parseNegativeLiteralType() TypeExpr {
	pos := p.next()
	if p.tok != INT && p.tok != FLOAT {
		p.fail(p.tv.pos, "expected number after '-' in type, found %s", p.describe())
	}
	lit := p.parseLiteral()
	lit.ValuePos, lit.Raw = pos, "-"+lit.Raw
	switch v := lit.Value.(type) {
	case int64:
		lit.Value = -v
	case float64:
		lit.Value = -v
	}
	return &LiteralType{Value: lit}
}
