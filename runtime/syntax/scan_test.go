package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// scanAll returns the tokens of src as "KIND raw" strings, decoded values
// in braces where the token has one, plus the errors.
func scanAll(src string) (toks []string, errs []string) {
	s := newScanner([]byte(src), func(pos Pos, msg string) {
		errs = append(errs, pos.String()+": "+msg)
	})
	for {
		var tv tokenValue
		tok := s.next(&tv)
		if tok == EOF {
			return toks, errs
		}
		desc := tok.String()
		switch tok {
		case IDENT:
			desc = "id " + tv.raw
		case INT:
			desc = fmt.Sprintf("int %d", tv.int)
		case FLOAT:
			desc = fmt.Sprintf("float %g", tv.float)
		case STRING, RAW_STRING:
			desc = fmt.Sprintf("%s %q", map[Token]string{STRING: "str", RAW_STRING: "raw"}[tok], tv.str)
		}
		toks = append(toks, desc)
	}
}

func TestScanTokens(t *testing.T) {
	tests := []struct {
		src  string
		want string // tokens joined by " | "
	}{
		{"foo _bar b4z", "id foo | id _bar | id b4z"},
		{"élan über", "id élan | id über"},
		{"class enum function retry_policy let if else for in while break continue return true false null",
			"class | enum | function | retry_policy | let | if | else | for | in | while | break | continue | return | true | false | null"},
		{"client prompt map test generator template_string",
			"id client | id prompt | id map | id test | id generator | id template_string"},
		{"0 42 9223372036854775807", "int 0 | int 42 | int 9223372036854775807"},
		{"1.5 1e3 2E-2 3.25e+1", "float 1.5 | float 1000 | float 0.02 | float 32.5"},
		{"1.foo", "int 1 | . | id foo"},
		{"x.0", "id x | . | int 0"},
		{`"" "a b" "tab\there"`, `str "" | str "a b" | str "tab\there"`},
		{`"q\"q" "b\\s" "\n\r\t\0\/\'"`, `str "q\"q" | str "b\\s" | str "\n\r\t\x00/'"`},
		{`"\u{1F600}" "\u00e9" "\uD83D\uDE00" "\u{41}"`, `str "😀" | str "é" | str "😀" | str "A"`},
		{`#"raw"#`, `raw "raw"`},
		{`#"has "quotes" and # and {{ x }}"#`, `raw "has \"quotes\" and # and {{ x }}"`},
		{`##"inner "# stays"##`, `raw "inner \"# stays"`},
		{"#\"\n  multi\n  line\n\"#", `raw "\n  multi\n  line\n"`},
		{`#"\n is not an escape"#`, `raw "\\n is not an escape"`},
		{"a // comment\nb", "id a | id b"},
		{"a /* block\n comment */ b", "id a | id b"},
		{"a /* x */ /* y */ b // end", "id a | id b"},
		{"+ - * / % == != < <= > >= && || ! =", "+ | - | * | / | % | == | != | < | <= | > | >= | && | || | ! | ="},
		{"+= -= *= /= %= , ; : . -> | ? @ @@", "+= | -= | *= | /= | %= | , | ; | : | . | -> | | | ? | @ | @@"},
		{"( ) [ ] { }", "( | ) | [ | ] | { | }"},
		{"a-1 a->b x--y", "id a | - | int 1 | id a | -> | id b | id x | - | - | id y"},
		{"@@@", "@@ | @"},
		{"@description(\"x\")", `@ | id description | ( | str "x" | )`},
		{"\ufeffclass", "class"},
		{"a\r\nb", "id a | id b"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			toks, errs := scanAll(tt.src)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if got := strings.Join(toks, " | "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestScanErrors(t *testing.T) {
	tests := []struct {
		src  string
		toks string
		errs string
	}{
		{`"abc`, `str "abc"`, "1:1: unterminated string literal"},
		{"\"abc\nx", `str "abc" | id x`, "1:1: unterminated string literal"},
		{"\"a\\tb\nx", `str "a\tb" | id x`, "1:1: unterminated string literal"},
		{`#"abc`, `raw "abc"`, `1:1: unterminated raw string: missing "#`},
		{`##"abc"#`, `raw "abc\"#"`, `1:1: unterminated raw string: missing "##`},
		{"a # b", "id a | id b", `1:3: unexpected '#' (raw strings are written #"..."#; comments start with //)`},
		{"a /* b", "id a", "1:3: unterminated block comment"},
		{"a $ b", "id a | id b", "1:3: unexpected character '$'"},
		{"a & b", "id a | id b", "1:3: unexpected character '&' (did you mean '&&'?)"},
		{"x ¶ y", "id x | id y", "1:3: unexpected character '¶'"},
		{"x \xff y", "id x | id y", "1:3: invalid utf-8 encoding"},
		{`"\q"`, `str "q"`, `1:2: unknown escape sequence '\q'`},
		{`"\u{}"`, `str "�{}"`, `1:2: invalid unicode escape (want \u{1F600} or \u00e9)`},
		{`"\u12"`, `str "�12"`, `1:2: invalid unicode escape (want \u{1F600} or \u00e9)`},
		{`"\u{110000}"`, `str "�"`, `1:2: invalid unicode code point U+110000 in escape`},
		{`"\uD800"`, `str "�"`, `1:2: invalid unicode code point U+D800 in escape`},
		{"99999999999999999999", "int 9223372036854775807", "1:1: integer literal 99999999999999999999 out of range"},
		{"1e999", "float +Inf", "1:1: float literal 1e999 out of range"},
		{"4o x", "int 4 | id x", "1:2: invalid character 'o' in number 4"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			toks, errs := scanAll(tt.src)
			if got := strings.Join(toks, " | "); got != tt.toks {
				t.Errorf("tokens: got  %s\nwant %s", got, tt.toks)
			}
			if got := strings.Join(errs, "\n"); got != tt.errs {
				t.Errorf("errors: got  %s\nwant %s", got, tt.errs)
			}
		})
	}
}

func TestScanPositions(t *testing.T) {
	src := "class A {\n\tx  int // c\n\ty #\"a\nb\"# z\n  /* c\n */ é w\n}"
	want := []string{
		"1:1 class", "1:7 A", "1:9 {",
		"2:2 x", "2:5 int",
		"3:2 y", "3:4 #\"a\nb\"#", "4:5 z",
		"6:5 é", "6:8 w",
		"7:1 }",
	}
	s := newScanner([]byte(src), func(pos Pos, msg string) { t.Errorf("%s: %s", pos, msg) })
	var got []string
	for {
		var tv tokenValue
		if s.next(&tv) == EOF {
			if tv.pos != (Pos{7, 2}) {
				t.Errorf("EOF at %s, want 7:2", tv.pos)
			}
			break
		}
		got = append(got, tv.pos.String()+" "+tv.raw)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestScanStringContentPos(t *testing.T) {
	tests := []struct {
		src  string
		want Pos
	}{
		{`"abc"`, Pos{1, 2}},
		{`  #"abc"#`, Pos{1, 5}},
		{"\n ###\"abc\"###", Pos{2, 6}},
	}
	for _, tt := range tests {
		s := newScanner([]byte(tt.src), func(Pos, string) {})
		var tv tokenValue
		s.next(&tv)
		if tv.strPos != tt.want {
			t.Errorf("%q: content at %s, want %s", tt.src, tv.strPos, tt.want)
		}
	}
}

func TestTokenString(t *testing.T) {
	for tok := ILLEGAL; tok < maxToken; tok++ {
		if s := tok.String(); s == "" || s == "token?" {
			t.Errorf("token %d has no name", tok)
		}
	}
	if got := maxToken.String(); got != "token?" {
		t.Errorf("maxToken.String() = %q", got)
	}
}
