// token.go defines the lexical tokens of the bex language.

package syntax

// A Token is a lexical token kind.
type Token uint8

// The tokens.
const (
	ILLEGAL Token = iota
	EOF

	// literals and names
	IDENT
	INT
	FLOAT
	STRING     // "..."
	RAW_STRING // #"..."#, ##"..."##, ...

	// punctuation and operators
	PLUS     // +
	MINUS    // -
	STAR     // *
	SLASH    // /
	PERCENT  // %
	EQL      // ==
	NEQ      // !=
	LT       // <
	LE       // <=
	GT       // >
	GE       // >=
	ANDAND   // &&
	OROR     // ||
	NOT      // !
	EQ       // =
	PLUS_EQ  // +=
	MINUS_EQ // -=
	STAR_EQ  // *=
	SLASH_EQ // /=
	PCT_EQ   // %=
	COMMA    // ,
	SEMI     // ;
	COLON    // :
	DOT      // .
	ARROW    // ->
	FATARROW // =>
	DOTDOT   // ..
	PIPE     // |
	QUESTION // ?
	AT       // @
	ATAT     // @@
	LPAREN   // (
	RPAREN   // )
	LBRACK   // [
	RBRACK   // ]
	LBRACE   // {
	RBRACE   // }

	// keywords
	CLASS
	ENUM
	CLIENT
	RETRY_POLICY
	FUNCTION
	TEST
	GENERATOR
	TEMPLATE_STRING
	LET
	IF
	ELSE
	FOR
	IN
	WHILE
	BREAK
	CONTINUE
	RETURN
	TRUE
	FALSE
	NULL
	MAP
	PROMPT
	INSTANCEOF

	maxToken
)

var tokenNames = [...]string{
	ILLEGAL:         "illegal token",
	EOF:             "end of file",
	IDENT:           "identifier",
	INT:             "int literal",
	FLOAT:           "float literal",
	STRING:          "string literal",
	RAW_STRING:      "raw string literal",
	PLUS:            "+",
	MINUS:           "-",
	STAR:            "*",
	SLASH:           "/",
	PERCENT:         "%",
	EQL:             "==",
	NEQ:             "!=",
	LT:              "<",
	LE:              "<=",
	GT:              ">",
	GE:              ">=",
	ANDAND:          "&&",
	OROR:            "||",
	NOT:             "!",
	EQ:              "=",
	PLUS_EQ:         "+=",
	MINUS_EQ:        "-=",
	STAR_EQ:         "*=",
	SLASH_EQ:        "/=",
	PCT_EQ:          "%=",
	COMMA:           ",",
	SEMI:            ";",
	COLON:           ":",
	DOT:             ".",
	ARROW:           "->",
	FATARROW:        "=>",
	DOTDOT:          "..",
	PIPE:            "|",
	QUESTION:        "?",
	AT:              "@",
	ATAT:            "@@",
	LPAREN:          "(",
	RPAREN:          ")",
	LBRACK:          "[",
	RBRACK:          "]",
	LBRACE:          "{",
	RBRACE:          "}",
	CLASS:           "class",
	ENUM:            "enum",
	CLIENT:          "client",
	RETRY_POLICY:    "retry_policy",
	FUNCTION:        "function",
	TEST:            "test",
	GENERATOR:       "generator",
	TEMPLATE_STRING: "template_string",
	LET:             "let",
	IF:              "if",
	ELSE:            "else",
	FOR:             "for",
	IN:              "in",
	WHILE:           "while",
	BREAK:           "break",
	CONTINUE:        "continue",
	RETURN:          "return",
	TRUE:            "true",
	FALSE:           "false",
	NULL:            "null",
	MAP:             "map",
	PROMPT:          "prompt",
	INSTANCEOF:      "instanceof",
}

// String returns the token's spelling (operators, keywords) or a description.
func (t Token) String() string {
	if int(t) < len(tokenNames) && tokenNames[t] != "" {
		return tokenNames[t]
	}
	return "token?"
}

// keywords maps reserved words to their tokens. Words such as `client`,
// `prompt`, `map`, `test` and `generator` are keywords only where the grammar
// expects them; the scanner returns IDENT for them and the parser decides
// (BAML programs use `client` and `prompt` as ordinary field names).
var keywords = map[string]Token{
	"class":        CLASS,
	"enum":         ENUM,
	"retry_policy": RETRY_POLICY,
	"function":     FUNCTION,
	"let":          LET,
	"if":           IF,
	"else":         ELSE,
	"for":          FOR,
	"in":           IN,
	"while":        WHILE,
	"break":        BREAK,
	"continue":     CONTINUE,
	"return":       RETURN,
	"true":         TRUE,
	"false":        FALSE,
	"null":         NULL,
	"instanceof":   INSTANCEOF,
}
