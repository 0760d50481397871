// Package syntax scans and parses bex source files (.baml) into the syntax
// tree defined in ast.go, and reports syntax errors with file:line:col
// positions.
//
// The language follows BAML: classes, enums, client<llm> and retry_policy
// blocks, LLM functions (a client and a Jinja prompt template) and
// expression functions (statements with a trailing value). See SPEC.md §2.
//
// # Use
//
// Parse returns a *File whose Decls are *ClassDecl, *EnumDecl,
// *TypeAliasDecl, *ClientDecl, *RetryPolicyDecl, *FuncDecl, *GlobalDecl and
// *OtherDecl. Walk visits every node of a tree; Sprint renders one as a
// compact S-expression for tests and debug output. ParseExpr parses a lone
// expression and ParseType a lone type (host function signatures).
//
// Errors come back as an ErrorList of *Error (sorted by position; use
// errors.As to reach either). The compiler reports its errors and warnings
// with the same types. The parser recovers at statement, member and
// declaration boundaries, keeps only the first error of each line and drops
// follow-on errors at end of file, so one mistake gives one message and
// several independent mistakes are reported together (at most 50). Parse
// never panics, and nesting deeper than 1000 levels is an error rather than
// a Go stack overflow.
//
// # Tracing attribute
//
// An expression function is marked traced by the block attribute @@trace,
// written as a statement anywhere in its body (usually first):
//
//	function Triage(body: string) -> string {
//	    @@trace
//	    ...
//	}
//
// Block attributes in a function body, @@trace or any other @@name(args),
// are collected into FuncDecl.Attrs; their meaning is the compiler's
// business.
//
// # Lexical notes
//
// Comments are // to end of line, /* ... */ and BAML's {// ... //} (not
// nested). Strings are "..." with escapes \n \t \r \0 \" \' \\ \/ \u{1F600} \u00e9 (no newlines
// inside), or raw: #"..."#, ##"..."## and so on, taken verbatim up to the
// first quote followed by as many #s as opened the string. Raw string
// values, including prompts, are not dedented; prompt rendering owns that.
// Words such as client, prompt, map, test and generator are identifiers
// that the parser recognises by position, so they remain usable as field
// and variable names. Keywords may also be used as field names, method
// names after '.', attribute names and map keys.
//
// Configuration values may be unquoted strings as in BAML (provider
// openai-generic, model gpt-4o-mini, base_url https://host/v1): an
// identifier directly followed by '-', '/' or "://" extends over the
// following run of letters, digits and - / . : and becomes a string literal.
// The same holds for `client openai/gpt-4o`. Attribute arguments may be
// unquoted across words (@description(The user's age)): the text up to a
// comma, bracket, quote or the end of the line.
//
// # Grammar
//
// Newlines are not significant; ';' ends statements.
//
//	File        = { Decl } .
//	Decl        = Class | Enum | Alias | Client | RetryPolicy | Function | Global | Other .
//	Class       = "class" ident "{" { Field | BlockAttr | Function } "}" .
//	Field       = name Type { Attr } .
//	Enum        = "enum" ident "{" { name { Attr } | BlockAttr } "}" .
//	Alias       = "type" ident "=" AttrType .
//	Global      = "let" ident [ ":" Type ] "=" Expr ";" .
//	Attr        = "@" name { "." name } [ "(" [ AttrArgs ] ")" ] .
//	BlockAttr   = "@@" name { "." name } [ "(" [ AttrArgs ] ")" ] .
//	AttrArgs    = ( Expr | "{{" jinja "}}" | unquoted ) { "," ... } .
//	Client      = "client" [ "<" ident ">" ] ident Config .
//	RetryPolicy = "retry_policy" ident Config .
//	Config      = "{" { ( name | string ) [ ":" ] ( Config | Value ) [ "," ] } "}" .
//	Value       = literal | [ "-" ] number | ident { "." name } | unquoted
//	            | "[" { Value [ "," ] } "]" .
//	Function    = "function" ident "(" [ Params ] ")" [ "->" AttrType ]
//	              ( LLMBody | Block ) .
//	Params      = Param { "," Param } [ "," ] .
//	Param       = ident ":" AttrType | "self" .
//	LLMBody     = "{" { "client" ( ident | string | unquoted )
//	                  | "prompt" ( string | rawstring ) } "}" .
//	Other       = ( "test" | "generator" ) ident "{" balanced tokens "}"
//	            | "template_string" ident tokens ( string | rawstring ) .
//
//	AttrType    = Type { Attr } .
//	Type        = PostfixType { "|" PostfixType } .
//	PostfixType = PrimaryType { "[" "]" | "?" } .
//	PrimaryType = ident | "null" | "map" "<" Type "," Type [ "," ] ">"
//	            | string | [ "-" ] number | "true" | "false"
//	            | "(" AttrType ")" | FuncType .
//	FuncType    = "(" [ [ ident ":" ] AttrType { "," ... } ] ")" "->" Type .
//
//	Block       = "{" { Stmt } [ Expr ] "}" .
//	Stmt        = "let" ident [ ":" Type ] "=" Expr ";"
//	            | Target ( "=" | "+=" | "-=" | "*=" | "/=" | "%=" ) Expr ";"
//	            | "for" ( "(" [ "let" ] ident "in" Expr ")" | [ "let" ] ident "in" CondExpr ) Block
//	            | "while" CondExpr Block
//	            | ( "break" | "continue" ) ";"
//	            | "return" [ Expr ] ";"
//	            | BlockAttr [ ";" ]
//	            | If [ ";" ]
//	            | Block [ ";" ]
//	            | Expr ";"
//	            | ";" .
//	Target      = ident | Postfix "." name | Postfix "[" Expr "]" .
//
//	Expr        = Or .
//	Or          = And { "||" And } .
//	And         = Equality { "&&" Equality } .
//	Equality    = Relational { ( "==" | "!=" ) Relational } .
//	Relational  = Additive { ( "<" | "<=" | ">" | ">=" ) Additive | "instanceof" ident } .
//	Additive    = Term { ( "+" | "-" ) Term } .
//	Term        = Unary { ( "*" | "/" | "%" ) Unary } .
//	Unary       = ( "-" | "!" ) Unary | Postfix .
//	Postfix     = Primary { "." name | "[" Expr "]" | "(" [ Exprs ] ")" } .
//	Primary     = int | float | string | rawstring | "true" | "false" | "null"
//	            | ident | ident "{" [ Fields ] "}"
//	            | "(" Expr ")" | "[" [ Exprs ] "]" | "{" [ Entries ] "}" | Block | If | Lambda .
//	If          = "if" CondExpr Block { "else" "if" CondExpr Block } [ "else" Block ] .
//	Lambda      = "(" [ LParam { "," LParam } ] ")" ( "->" [ Type ] Block | "=>" Expr ) .
//	LParam      = ident [ ":" AttrType ] .
//	Exprs       = Expr { "," Expr } [ "," ] .
//	Fields      = Field { "," Field } [ "," ] .
//	Field       = name ":" Expr | ( ".." | "..." ) Expr .
//	Entries     = ( string | name ) ":" Expr { "," ( string | name ) ":" Expr } [ "," ] .
//
// CondExpr is an Expr in which, as in Rust, `ident {` outside brackets is
// not a class literal: the brace opens the body. A block's last expression
// without ';' is its value (Block.Value); an if or a block used as a
// statement needs no ';'. A '{' in expression position opens a map literal
// when it is followed by '}' or by a key and ':', and a block otherwise.
// A function declared inside a class is a method; `function` at the start
// of a line ends the class. Words such as type, self and client stay
// identifiers: `type Name =` declares an alias only at the top level.
package syntax
