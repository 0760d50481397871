// scan.go holds the scanner, which turns source bytes into tokens.

package syntax

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A tokenValue holds the position, text and decoded value of one token.
type tokenValue struct {
	raw    string  // source text of the token
	pos    Pos     // position of the first byte
	end    Pos     // position just after the last byte
	off    int     // byte offset of the first byte
	int    int64   // INT value
	float  float64 // FLOAT value
	str    string  // STRING/RAW_STRING content (decoded)
	strPos Pos     // STRING/RAW_STRING: position of the first content byte
}

// A scanner reads tokens from one source file. Errors do not stop it: it
// reports them through errf and carries on with the most useful token, so
// that one bad character yields one message.
type scanner struct {
	src  string
	off  int   // offset of the next unread byte
	line int32 // position of src[off]
	col  int32
	errf func(pos Pos, msg string)
}

func newScanner(src []byte, errf func(Pos, string)) *scanner {
	s := &scanner{src: string(src), line: 1, col: 1, errf: errf}
	if strings.HasPrefix(s.src, "\ufeff") {
		s.off = 3 // a byte-order mark is not part of the program
	}
	return s
}

func (s *scanner) pos() Pos { return Pos{Line: s.line, Col: s.col} }

func (s *scanner) errorf(pos Pos, format string, args ...any) {
	s.errf(pos, fmt.Sprintf(format, args...))
}

// peekByte returns the byte k places ahead of the next one, or 0 past the end.
func (s *scanner) peekByte(k int) byte {
	if s.off+k < len(s.src) {
		return s.src[s.off+k]
	}
	return 0
}

// advance consumes n bytes on the current line (none of them a newline).
func (s *scanner) advance(n int) {
	s.off += n
	s.col += int32(n)
}

// advanceTo consumes bytes up to offset end, which may span lines.
func (s *scanner) advanceTo(end int) {
	chunk := s.src[s.off:end]
	if nl := strings.Count(chunk, "\n"); nl > 0 {
		s.line += int32(nl)
		s.col = int32(len(chunk)-strings.LastIndexByte(chunk, '\n')-1) + 1
	} else {
		s.col += int32(len(chunk))
	}
	s.off = end
}

// next scans the next token into tv and returns its kind.
func (s *scanner) next(tv *tokenValue) Token {
	for {
		s.skipSpace()
		tv.pos, tv.off = s.pos(), s.off
		tok := s.scanToken(tv)
		if tok == ILLEGAL {
			continue // the error is reported; resume with the next token
		}
		tv.raw = s.src[tv.off:s.off]
		tv.end = s.pos()
		return tok
	}
}

// skipSpace skips white space and comments: // to the end of the line,
// /* ... */, and BAML's {// ... //}.
func (s *scanner) skipSpace() {
	for s.off < len(s.src) {
		switch c := s.src[s.off]; {
		case c == '\n':
			s.off++
			s.line++
			s.col = 1
		case c == ' ' || c == '\t' || c == '\r':
			s.advance(1)
		case c == '/' && s.peekByte(1) == '/':
			end := strings.IndexByte(s.src[s.off:], '\n')
			if end < 0 {
				end = len(s.src) - s.off
			}
			s.advance(end)
		case c == '/' && s.peekByte(1) == '*':
			s.skipBlockComment()
		case c == '{' && s.peekByte(1) == '/' && s.peekByte(2) == '/' && strings.Contains(s.src[s.off+3:], "//}"):
			// BAML's block comment {// ... //}
			s.advanceTo(s.off + 3 + strings.Index(s.src[s.off+3:], "//}") + 3)
		default:
			return
		}
	}
}

func (s *scanner) skipBlockComment() {
	start := s.pos()
	end := strings.Index(s.src[s.off+2:], "*/")
	if end < 0 {
		s.errorf(start, "unterminated block comment")
		s.advanceTo(len(s.src))
		return
	}
	s.advanceTo(s.off + 2 + end + 2)
}

// scanToken scans one token starting at a non-space byte. It returns
// ILLEGAL (after reporting an error) for input that makes no token.
func (s *scanner) scanToken(tv *tokenValue) Token {
	if s.off >= len(s.src) {
		return EOF
	}
	c := s.src[s.off]
	switch {
	case isLetter(c):
		return s.scanIdent()
	case isDigit(c):
		return s.scanNumber(tv)
	case c == '"':
		return s.scanString(tv)
	case c == '#':
		return s.scanRawString(tv)
	case c >= utf8.RuneSelf:
		return s.scanUnicode()
	}
	return s.scanOperator(c)
}

func (s *scanner) scanIdent() Token {
	start := s.off
	s.skipIdentChars()
	if c := s.src[start]; c < 'a' || c > 'z' {
		return IDENT // every keyword starts with a lower-case letter
	}
	if tok, ok := keywords[s.src[start:s.off]]; ok {
		return tok
	}
	return IDENT
}

// skipIdentChars consumes letters, digits, underscores and non-ASCII letters.
func (s *scanner) skipIdentChars() {
	for s.off < len(s.src) {
		c := s.src[s.off]
		if isLetter(c) || isDigit(c) {
			s.advance(1)
			continue
		}
		if c < utf8.RuneSelf {
			return
		}
		r, size := utf8.DecodeRuneInString(s.src[s.off:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return
		}
		s.advance(size)
	}
}

// scanUnicode handles a non-ASCII byte: an identifier or an error.
func (s *scanner) scanUnicode() Token {
	r, size := utf8.DecodeRuneInString(s.src[s.off:])
	if unicode.IsLetter(r) {
		return s.scanIdent()
	}
	if r == utf8.RuneError && size == 1 {
		s.errorf(s.pos(), "invalid utf-8 encoding")
	} else {
		s.errorf(s.pos(), "unexpected character %q", r)
	}
	s.advance(size)
	return ILLEGAL
}

func (s *scanner) scanNumber(tv *tokenValue) Token {
	start, startPos := s.off, s.pos()
	s.skipDigits()
	float := false
	if s.peekByte(0) == '.' && isDigit(s.peekByte(1)) {
		float = true
		s.advance(1)
		s.skipDigits()
	}
	if e := s.peekByte(0); e == 'e' || e == 'E' {
		if isDigit(s.peekByte(1)) {
			float = true
			s.advance(1)
			s.skipDigits()
		} else if (s.peekByte(1) == '+' || s.peekByte(1) == '-') && isDigit(s.peekByte(2)) {
			float = true
			s.advance(2)
			s.skipDigits()
		}
	}
	text := s.src[start:s.off]
	if c := s.peekByte(0); isLetter(c) {
		s.errorf(s.pos(), "invalid character %q in number %s", c, text)
		s.skipIdentChars()
	}
	if float {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			s.errorf(startPos, "float literal %s out of range", text)
		}
		tv.float = f
		return FLOAT
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		s.errorf(startPos, "integer literal %s out of range", text)
	}
	tv.int = n
	return INT
}

func (s *scanner) skipDigits() {
	for s.off < len(s.src) && isDigit(s.src[s.off]) {
		s.advance(1)
	}
}

// scanString scans a "..." literal, decoding escapes. A newline or the end
// of the file before the closing quote is an error.
func (s *scanner) scanString(tv *tokenValue) Token {
	openPos := s.pos()
	s.advance(1)
	tv.strPos = s.pos()
	start := s.off
	for i := start; i < len(s.src); i++ {
		switch s.src[i] {
		case '"':
			tv.str = s.src[start:i]
			s.advanceTo(i + 1)
			return STRING
		case '\\':
			return s.scanEscapedString(tv, openPos, start)
		case '\n':
			i = len(s.src)
		}
	}
	return s.unterminatedString(tv, openPos, start)
}

func (s *scanner) unterminatedString(tv *tokenValue, openPos Pos, start int) Token {
	s.errorf(openPos, "unterminated string literal")
	end := strings.IndexByte(s.src[start:], '\n')
	if end < 0 {
		end = len(s.src) - start
	}
	tv.str = s.src[start : start+end]
	s.advanceTo(start + end)
	return STRING
}

// scanEscapedString is the slow path of scanString, used once a backslash
// has been seen.
func (s *scanner) scanEscapedString(tv *tokenValue, openPos Pos, start int) Token {
	var b []byte
	s.advanceTo(start)
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch c {
		case '"':
			s.advance(1)
			tv.str = string(b)
			return STRING
		case '\n':
			s.errorf(openPos, "unterminated string literal")
			tv.str = string(b)
			return STRING
		case '\\':
			b = s.scanEscape(b)
		default:
			b = append(b, c)
			s.advance(1)
		}
	}
	s.errorf(openPos, "unterminated string literal")
	tv.str = string(b)
	return STRING
}

// scanEscape decodes one escape sequence starting at a backslash and appends
// the result to b.
func (s *scanner) scanEscape(b []byte) []byte {
	pos := s.pos()
	c := s.peekByte(1)
	if v, ok := simpleEscapes[c]; ok {
		s.advance(2)
		return append(b, v)
	}
	if c == 'u' {
		s.advance(2)
		return utf8.AppendRune(b, s.scanUnicodeEscape(pos))
	}
	if c == '\n' || c == '\r' || c == 0 {
		s.advance(1)
		return append(b, '\\')
	}
	r, size := utf8.DecodeRuneInString(s.src[s.off+1:])
	if unicode.IsPrint(r) {
		s.errorf(pos, "unknown escape sequence '\\%c'", r)
	} else {
		s.errorf(pos, "unknown escape sequence %q", "\\"+string(r))
	}
	s.advance(1 + size)
	return utf8.AppendRune(b, r)
}

// scanUnicodeEscape decodes the part of \u{X...} or \uXXXX after the "\u".
// A UTF-16 surrogate pair \uD83D\uDE00 decodes to one rune.
func (s *scanner) scanUnicodeEscape(pos Pos) rune {
	var r rune
	var ok bool
	if s.peekByte(0) == '{' {
		r, ok = s.scanBracedHex()
	} else {
		r, ok = s.scanHex(4)
		if ok && utf16.IsSurrogate(r) && s.peekByte(0) == '\\' && s.peekByte(1) == 'u' {
			save, saveCol := s.off, s.col
			s.advance(2)
			if r2, ok2 := s.scanHex(4); ok2 {
				if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
					return d
				}
			}
			s.off, s.col = save, saveCol
		}
	}
	if !ok {
		s.errorf(pos, "invalid unicode escape (want \\u{1F600} or \\u00e9)")
		return unicode.ReplacementChar
	}
	if utf16.IsSurrogate(r) || r > unicode.MaxRune {
		s.errorf(pos, "invalid unicode code point %U in escape", r)
		return unicode.ReplacementChar
	}
	return r
}

func (s *scanner) scanBracedHex() (rune, bool) {
	end := strings.IndexByte(s.src[s.off:], '}')
	if end < 2 || end > 7 {
		return 0, false
	}
	n, err := strconv.ParseUint(s.src[s.off+1:s.off+end], 16, 32)
	if err != nil {
		return 0, false
	}
	s.advance(end + 1)
	return rune(n), true
}

func (s *scanner) scanHex(digits int) (rune, bool) {
	if s.off+digits > len(s.src) {
		return 0, false
	}
	n, err := strconv.ParseUint(s.src[s.off:s.off+digits], 16, 32)
	if err != nil {
		return 0, false
	}
	s.advance(digits)
	return rune(n), true
}

// scanRawString scans #"..."#, ##"..."## and so on: the text between the
// quotes is taken verbatim and ends at the first quote followed by as many
// #s as opened the string.
func (s *scanner) scanRawString(tv *tokenValue) Token {
	openPos := s.pos()
	hashes := 0
	for s.peekByte(hashes) == '#' {
		hashes++
	}
	if s.peekByte(hashes) != '"' {
		s.errorf(openPos, "unexpected '#' (raw strings are written #\"...\"#; comments start with //)")
		s.advance(hashes)
		return ILLEGAL
	}
	s.advance(hashes + 1)
	tv.strPos = s.pos()
	closer := "\"" + strings.Repeat("#", hashes)
	end := strings.Index(s.src[s.off:], closer)
	if end < 0 {
		s.errorf(openPos, "unterminated raw string: missing %s", closer)
		tv.str = s.src[s.off:]
		s.advanceTo(len(s.src))
		return RAW_STRING
	}
	tv.str = s.src[s.off : s.off+end]
	s.advanceTo(s.off + end + len(closer))
	return RAW_STRING
}

// scanOperator scans punctuation; two-byte operators win over one-byte ones.
func (s *scanner) scanOperator(c byte) Token {
	if tok := twoByteOp(c, s.peekByte(1)); tok != ILLEGAL {
		s.advance(2)
		return tok
	}
	if tok := oneByteOps[c]; tok != ILLEGAL {
		s.advance(1)
		return tok
	}
	switch c {
	case '&':
		s.errorf(s.pos(), "unexpected character '&' (did you mean '&&'?)")
	default:
		s.errorf(s.pos(), "unexpected character %q", c)
	}
	s.advance(1)
	return ILLEGAL
}

var simpleEscapes = map[byte]byte{
	'n': '\n', 't': '\t', 'r': '\r', '0': 0, '"': '"', '\\': '\\', '\'': '\'', '/': '/',
}

// twoByteOp returns the two-byte operator c1c2, or ILLEGAL.
func twoByteOp(c1, c2 byte) Token {
	switch c2 {
	case '=':
		return withEq[c1]
	case '&':
		if c1 == '&' {
			return ANDAND
		}
	case '|':
		if c1 == '|' {
			return OROR
		}
	case '>':
		switch c1 {
		case '-':
			return ARROW
		case '=':
			return FATARROW
		}
	case '.':
		if c1 == '.' {
			return DOTDOT
		}
	case '@':
		if c1 == '@' {
			return ATAT
		}
	}
	return ILLEGAL
}

// withEq maps c to the operator "c=".
var withEq = [256]Token{
	'=': EQL, '!': NEQ, '<': LE, '>': GE,
	'+': PLUS_EQ, '-': MINUS_EQ, '*': STAR_EQ, '/': SLASH_EQ, '%': PCT_EQ,
}

var oneByteOps = [256]Token{
	'+': PLUS, '-': MINUS, '*': STAR, '/': SLASH, '%': PERCENT,
	'<': LT, '>': GT, '!': NOT, '=': EQ, ',': COMMA, ';': SEMI, ':': COLON,
	'.': DOT, '|': PIPE, '?': QUESTION, '@': AT,
	'(': LPAREN, ')': RPAREN, '[': LBRACK, ']': RBRACK, '{': LBRACE, '}': RBRACE,
}

// scanUnquotedTail extends an identifier just scanned into an unquoted
// string such as openai-generic, gpt-4o-mini or openai/gpt-4o, as BAML
// allows for configuration values. It consumes the run of name characters
// and - / . : that directly follows (no space) and returns it; it returns ""
// unless the run starts with '-', '/' or ":/" (as in https://host).
func (s *scanner) scanUnquotedTail() string {
	if c := s.peekByte(0); c != '-' && c != '/' && !(c == ':' && s.peekByte(1) == '/') {
		return ""
	}
	start := s.off
	for s.off < len(s.src) && isUnquotedChar(s.src[s.off]) {
		if s.src[s.off] == '/' && (s.peekByte(1) == '/' || s.peekByte(1) == '*') && s.src[s.off-1] != ':' {
			break // a comment (but https://host is not one)
		}
		s.advance(1)
	}
	return s.src[start:s.off]
}

func isUnquotedChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '-' || c == '/' || c == '.' || c == ':'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// unquotedFrom returns the unquoted string that starts at offset off, as
// BAML reads attribute arguments: the text up to a character that cannot
// be part of one (# @ { ( [ < } ) ] > , ' ; " or a newline) or a " //"
// comment, without trailing blanks.
func (s *scanner) unquotedFrom(off int) string {
	end := off
	for end < len(s.src) {
		c := s.src[end]
		if strings.IndexByte("#@{([<})]>,';\"\n\r", c) >= 0 {
			break
		}
		if c == ' ' && strings.HasPrefix(s.src[end:], " //") {
			break
		}
		end++
	}
	return strings.TrimRight(s.src[off:end], " \t")
}

// rewind moves the scanner back to offset off, which is at position pos.
func (s *scanner) rewind(off int, pos Pos) {
	s.off, s.line, s.col = off, pos.Line, pos.Col
}
