// ast.go holds the syntax tree produced by the parser.

package syntax

// A Pos is a position in a source file: 1-based line and column (column counts bytes).
// The zero Pos means "unknown".
type Pos struct {
	Line, Col int32
}

// IsValid reports whether p names a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// A Node is any syntax tree node.
type Node interface {
	// Span returns the node's first position.
	Span() Pos
}

// A File is one parsed source file.
type File struct {
	Name  string // as given to Parse; used in error messages
	Decls []Decl
}

// A Decl is a top-level declaration: *ClassDecl, *EnumDecl, *TypeAliasDecl,
// *ClientDecl, *RetryPolicyDecl, *FuncDecl, *GlobalDecl, *TestDecl or
// *OtherDecl.
type Decl interface {
	Node
	DeclName() string
}

// ---- declarations ----

// An Attr is an attribute: @name(args...) on a field or enum value, or
// @@name(args...) at block level (Block is then true).
type Attr struct {
	At    Pos
	Name  string
	Args  []Expr
	Block bool
}

// A ClassDecl is `class Name { field Type @attr ... @@attr }`. Methods
// are the functions declared inside the class.
type ClassDecl struct {
	Class   Pos
	Name    *Ident
	Fields  []*Field
	Methods []*FuncDecl
	Attrs   []*Attr // block attributes (@@...)
}

// A Field is one class field.
type Field struct {
	Name  *Ident
	Type  TypeExpr
	Attrs []*Attr
}

// An EnumDecl is `enum Name { A B @alias("b") ... }`.
type EnumDecl struct {
	Enum   Pos
	Name   *Ident
	Values []*EnumValue
	Attrs  []*Attr
}

// An EnumValue is one enum variant.
type EnumValue struct {
	Name  *Ident
	Attrs []*Attr
}

// A ClientDecl is `client<llm> Name { provider openai  retry_policy P  options { ... } }`.
type ClientDecl struct {
	Client  Pos
	Kind    string // the word between < >, normally "llm"; "" when written `client Name`
	KindPos Pos
	Name    *Ident
	Body    *ConfigBlock
}

// A TypeAliasDecl is `type Name = Type`, optionally followed by attributes
// (@assert, @check) that apply to every value of the alias.
type TypeAliasDecl struct {
	TypePos Pos
	Name    *Ident
	Type    TypeExpr
}

// A GlobalDecl is a top-level `let name = value;`: a constant the
// program's functions may read.
type GlobalDecl struct {
	Let *LetStmt
}

// A RetryPolicyDecl is `retry_policy Name { max_retries 3 strategy { ... } }`.
type RetryPolicyDecl struct {
	Retry Pos
	Name  *Ident
	Body  *ConfigBlock
}

// A ConfigBlock is a brace-delimited list of `key value` entries, as used by
// client<llm> and retry_policy declarations.
type ConfigBlock struct {
	Lbrace  Pos
	Entries []*ConfigEntry
	Rbrace  Pos
}

// A ConfigEntry is one `key value` line of a ConfigBlock. Exactly one of
// Value and Block is non-nil. Keys are identifiers or string literals
// (for headers). Values are literals, identifiers (`openai`), dotted names
// (`env.OPENAI_API_KEY`, a *DotExpr), or lists (`[A, B]`).
type ConfigEntry struct {
	KeyPos Pos
	Key    string
	Value  Expr
	Block  *ConfigBlock
}

// A FuncDecl is a function. Exactly one of Body (expression function) and
// LLM (LLM function) is non-nil.
type FuncDecl struct {
	Function Pos
	Name     *Ident
	Params   []*Param
	Result   TypeExpr // nil when omitted
	Attrs    []*Attr  // block attributes in the body, such as @@trace
	Body     *Block
	LLM      *LLMBody
}

// A Param is one function parameter `name: Type`. Type is nil for the
// `self` parameter of a method and for an untyped lambda parameter.
type Param struct {
	Name *Ident
	Type TypeExpr
}

// An LLMBody is the body of an LLM function:
//
//	client Fast            (or: client "openai/gpt-4o-mini")
//	prompt #"..."#
type LLMBody struct {
	ClientPos Pos
	Client    string // a client name, or a "provider/model" shorthand
	Shorthand bool   // Client was written as a string literal
	PromptPos Pos    // position of the first character of the template text
	Prompt    string // the raw template text, unescaped
}

// A TestDecl is a test block:
//
//	test Name {
//	    functions [F, G]
//	    args { body "text"  items [ { qty 1 } ] }
//	    type_builder { class Extra { ... }  dynamic class Ticket { ... } }
//	    @@check(name, {{ ... }})
//	    @@assert(name, {{ ... }})
//	}
//
// Args values are *Literal (strings, also unquoted text, numbers, bools,
// null), *ListExpr and *MapExpr (objects, for classes, maps and media).
type TestDecl struct {
	Test      Pos
	Name      *Ident
	Functions []*Ident
	Args      []*MapEntry
	ArgsPos   Pos          // the args keyword; zero when there is no args block
	Types     *TypeBuilder // the type_builder block, or nil
	Attrs     []*Attr      // @@check and @@assert, in order
	Rbrace    Pos
}

// A TypeBuilder declares types for one call: new classes and enums, and
// DynamicDecls that add fields and values to @@dynamic ones. It is the body
// of a test's type_builder block, or a file given to ParseTypes.
type TypeBuilder struct {
	Lbrace Pos
	Decls  []Decl // *ClassDecl, *EnumDecl and *DynamicDecl
}

// A DynamicDecl is `dynamic class Name { ... }` or `dynamic enum Name
// { ... }` in a type builder: the fields or values it lists are added to
// the @@dynamic class or enum of that name.
type DynamicDecl struct {
	Dynamic Pos
	Decl    Decl // *ClassDecl or *EnumDecl
}

// An OtherDecl is a declaration that is parsed and ignored: `generator`,
// `template_string`.
type OtherDecl struct {
	KeywordPos Pos
	Keyword    string
	Name       *Ident
}

// ---- types ----

// A TypeExpr is a type: *NamedType, *ListType, *MapType, *OptionalType,
// *UnionType, *LiteralType, *FuncType or *AttrType.
type TypeExpr interface {
	Node
	typeExpr()
}

// A NamedType is a primitive (int, float, string, bool, null, image...) or a
// class or enum name.
type NamedType struct {
	NamePos Pos
	Name    string
}

// A ListType is `T[]`.
type ListType struct {
	Elem TypeExpr
}

// A MapType is `map<K, V>`.
type MapType struct {
	Map   Pos
	Key   TypeExpr
	Value TypeExpr
}

// An OptionalType is `T?`.
type OptionalType struct {
	Elem TypeExpr
}

// A UnionType is `A | B | ...` (two or more).
type UnionType struct {
	Types []TypeExpr
}

// A LiteralType is a literal used as a type: `"a" | "b"`, `1`, `true`.
type LiteralType struct {
	Value *Literal
}

// A FuncType is the type of a function value: `(int, string) -> bool`.
// Parameter names, allowed as in `(x: int) -> int`, are dropped.
type FuncType struct {
	Lparen Pos
	Params []TypeExpr
	Result TypeExpr
}

// An AttrType is a type followed by attributes, as in a parameter
// `x: int @assert(positive, {{ this > 0 }})` or a result type
// `-> string @check(short, {{ this|length < 80 }})`.
type AttrType struct {
	Type  TypeExpr
	Attrs []*Attr
}

// ---- statements ----

// A Stmt is a statement: *LetStmt, *AssignStmt, *ExprStmt, *ForStmt,
// *WhileStmt, *BranchStmt or *ReturnStmt. (`if` is an expression, used as a
// statement through *ExprStmt.)
type Stmt interface {
	Node
	stmt()
}

// A Block is `{ stmts... value }`. Value is the trailing expression without a
// semicolon, or nil.
type Block struct {
	Lbrace Pos
	Stmts  []Stmt
	Value  Expr
	Rbrace Pos
}

// A LetStmt is `let name [: Type] = value;`.
type LetStmt struct {
	Let   Pos
	Name  *Ident
	Type  TypeExpr // optional
	Value Expr
}

// An AssignStmt is `target op value;` where op is one of = += -= *= /= %=
// and target is an *Ident, *DotExpr or *IndexExpr.
type AssignStmt struct {
	OpPos  Pos
	Op     Token
	Target Expr
	Value  Expr
}

// An ExprStmt is an expression evaluated for its effects.
type ExprStmt struct {
	X Expr
}

// A ForStmt is `for (x in xs) { ... }` (parentheses and a `let` before
// the variable optional).
type ForStmt struct {
	For  Pos
	Var  *Ident
	Iter Expr
	Body *Block
}

// A WhileStmt is `while (cond) { ... }` (parentheses optional).
type WhileStmt struct {
	While Pos
	Cond  Expr
	Body  *Block
}

// A BranchStmt is `break;` or `continue;` (Token is BREAK or CONTINUE).
type BranchStmt struct {
	TokPos Pos
	Token  Token
}

// A ReturnStmt is `return [value];`.
type ReturnStmt struct {
	Return Pos
	Value  Expr // may be nil
}

// ---- expressions ----

// An Expr is an expression.
type Expr interface {
	Node
	expr()
}

// An Ident is a name.
type Ident struct {
	NamePos Pos
	Name    string
}

// A LiteralKind says what kind of value a Literal holds.
type LiteralKind uint8

// Literal kinds.
const (
	IntLit LiteralKind = iota + 1
	FloatLit
	StringLit
	BoolLit
	NullLit
)

// A Literal is an int, float, string (quoted or raw #"..."#), bool or null literal.
// Value is int64, float64, string, bool or nil.
type Literal struct {
	ValuePos Pos
	Kind     LiteralKind
	Raw      string // source text
	Value    any
}

// A ListExpr is `[a, b, c]`.
type ListExpr struct {
	Lbrack Pos
	Elems  []Expr
	Rbrack Pos
}

// A MapExpr is `{k: v, ...}`. Keys are string literals or bare identifiers
// (an identifier key `k` means the string "k").
type MapExpr struct {
	Lbrace  Pos
	Entries []*MapEntry
	Rbrace  Pos
}

// A MapEntry is one `key: value` of a MapExpr.
type MapEntry struct {
	KeyPos Pos
	Key    string
	Value  Expr
}

// A ClassLit constructs a class instance: `Name { field: value, ... }`.
// Omitted optional fields are null, or with a spread `Name { a: 1, ..x }`
// (also written `...x`) the fields of x.
type ClassLit struct {
	Name      *Ident
	Fields    []*MapEntry
	SpreadPos Pos  // position of the spread's dots
	Spread    Expr // nil without a spread
	Rbrace    Pos
}

// A DotExpr is `x.name` (field access; a method when it is a CallExpr's Fn).
type DotExpr struct {
	X    Expr
	Dot  Pos
	Name *Ident
}

// An IndexExpr is `x[i]`.
type IndexExpr struct {
	X      Expr
	Lbrack Pos
	Index  Expr
}

// A CallExpr is `fn(args...)`; a method call when Fn is a *DotExpr.
type CallExpr struct {
	Fn     Expr
	Lparen Pos
	Args   []Expr
	Rparen Pos
}

// A UnaryExpr is `-x` or `!x` (Op is MINUS or NOT).
type UnaryExpr struct {
	OpPos Pos
	Op    Token
	X     Expr
}

// A BinaryExpr is `x op y` for arithmetic, comparison, && and ||.
type BinaryExpr struct {
	X     Expr
	OpPos Pos
	Op    Token
	Y     Expr
}

// An IfExpr is `if cond { ... } else if cond { ... } else { ... }` (parentheses
// around cond optional). Else is nil, a *BlockExpr or an *IfExpr. Its value
// is the value of the branch taken (null when no branch is taken).
type IfExpr struct {
	If   Pos
	Cond Expr
	Then *Block
	Else Expr
}

// A BlockExpr is a block used as an expression: an else branch, or
// `{ let y = 1; y + 1 }` in expression position.
type BlockExpr struct {
	Block *Block
}

// An InstanceofExpr is `x instanceof Name`: whether x is an instance of the
// class Name. In the branch it guards, x has the type Name.
type InstanceofExpr struct {
	X     Expr
	OpPos Pos
	Type  *Ident
}

// A LambdaExpr is an anonymous function: `(x: int, y) -> int { x + y }`, or
// `(x) => x + 1`. Result is nil when omitted. Exactly one of Body (a block)
// and Value (the expression after =>) is non-nil.
type LambdaExpr struct {
	Lparen Pos
	Params []*Param
	Result TypeExpr
	Body   *Block
	Value  Expr
}

// Word returns the text of a name-like value, as configuration values and
// attribute arguments use them: a string literal's value (another
// literal's source text), an identifier, or a dotted name such as a.b;
// "" for any other expression.
func Word(x Expr) string {
	switch x := x.(type) {
	case *Literal:
		if s, ok := x.Value.(string); ok {
			return s
		}
		return x.Raw
	case *Ident:
		return x.Name
	case *DotExpr:
		if w := Word(x.X); w != "" {
			return w + "." + x.Name.Name
		}
	}
	return ""
}

// ---- Span and marker methods ----

func (d *ClassDecl) Span() Pos       { return d.Class }
func (d *EnumDecl) Span() Pos        { return d.Enum }
func (d *ClientDecl) Span() Pos      { return d.Client }
func (d *RetryPolicyDecl) Span() Pos { return d.Retry }
func (d *FuncDecl) Span() Pos        { return d.Function }
func (d *OtherDecl) Span() Pos       { return d.KeywordPos }
func (d *TypeAliasDecl) Span() Pos   { return d.TypePos }
func (d *GlobalDecl) Span() Pos      { return d.Let.Let }
func (d *TestDecl) Span() Pos        { return d.Test }
func (d *DynamicDecl) Span() Pos     { return d.Dynamic }
func (b *TypeBuilder) Span() Pos     { return b.Lbrace }

func (d *ClassDecl) DeclName() string       { return d.Name.Name }
func (d *EnumDecl) DeclName() string        { return d.Name.Name }
func (d *ClientDecl) DeclName() string      { return d.Name.Name }
func (d *RetryPolicyDecl) DeclName() string { return d.Name.Name }
func (d *FuncDecl) DeclName() string        { return d.Name.Name }
func (d *TypeAliasDecl) DeclName() string   { return d.Name.Name }
func (d *GlobalDecl) DeclName() string      { return d.Let.Name.Name }
func (d *TestDecl) DeclName() string        { return d.Name.Name }
func (d *DynamicDecl) DeclName() string     { return d.Decl.DeclName() }
func (d *OtherDecl) DeclName() string {
	if d.Name == nil {
		return ""
	}
	return d.Name.Name
}

func (a *Attr) Span() Pos        { return a.At }
func (f *Field) Span() Pos       { return f.Name.NamePos }
func (v *EnumValue) Span() Pos   { return v.Name.NamePos }
func (b *ConfigBlock) Span() Pos { return b.Lbrace }
func (e *ConfigEntry) Span() Pos { return e.KeyPos }
func (p *Param) Span() Pos       { return p.Name.NamePos }
func (b *LLMBody) Span() Pos     { return b.ClientPos }
func (b *Block) Span() Pos       { return b.Lbrace }
func (e *MapEntry) Span() Pos    { return e.KeyPos }

func (t *NamedType) Span() Pos    { return t.NamePos }
func (t *ListType) Span() Pos     { return t.Elem.Span() }
func (t *MapType) Span() Pos      { return t.Map }
func (t *OptionalType) Span() Pos { return t.Elem.Span() }
func (t *UnionType) Span() Pos    { return t.Types[0].Span() }
func (t *LiteralType) Span() Pos  { return t.Value.ValuePos }
func (t *FuncType) Span() Pos     { return t.Lparen }
func (t *AttrType) Span() Pos     { return t.Type.Span() }

func (*NamedType) typeExpr()    {}
func (*ListType) typeExpr()     {}
func (*MapType) typeExpr()      {}
func (*OptionalType) typeExpr() {}
func (*UnionType) typeExpr()    {}
func (*LiteralType) typeExpr()  {}
func (*FuncType) typeExpr()     {}
func (*AttrType) typeExpr()     {}

func (s *LetStmt) Span() Pos    { return s.Let }
func (s *AssignStmt) Span() Pos { return s.Target.Span() }
func (s *ExprStmt) Span() Pos   { return s.X.Span() }
func (s *ForStmt) Span() Pos    { return s.For }
func (s *WhileStmt) Span() Pos  { return s.While }
func (s *BranchStmt) Span() Pos { return s.TokPos }
func (s *ReturnStmt) Span() Pos { return s.Return }

func (*LetStmt) stmt()    {}
func (*AssignStmt) stmt() {}
func (*ExprStmt) stmt()   {}
func (*ForStmt) stmt()    {}
func (*WhileStmt) stmt()  {}
func (*BranchStmt) stmt() {}
func (*ReturnStmt) stmt() {}

func (e *Ident) Span() Pos          { return e.NamePos }
func (e *Literal) Span() Pos        { return e.ValuePos }
func (e *ListExpr) Span() Pos       { return e.Lbrack }
func (e *MapExpr) Span() Pos        { return e.Lbrace }
func (e *ClassLit) Span() Pos       { return e.Name.NamePos }
func (e *DotExpr) Span() Pos        { return e.X.Span() }
func (e *IndexExpr) Span() Pos      { return e.X.Span() }
func (e *CallExpr) Span() Pos       { return e.Fn.Span() }
func (e *UnaryExpr) Span() Pos      { return e.OpPos }
func (e *BinaryExpr) Span() Pos     { return e.X.Span() }
func (e *IfExpr) Span() Pos         { return e.If }
func (e *BlockExpr) Span() Pos      { return e.Block.Lbrace }
func (e *InstanceofExpr) Span() Pos { return e.X.Span() }
func (e *LambdaExpr) Span() Pos     { return e.Lparen }

func (*Ident) expr()          {}
func (*Literal) expr()        {}
func (*ListExpr) expr()       {}
func (*MapExpr) expr()        {}
func (*ClassLit) expr()       {}
func (*DotExpr) expr()        {}
func (*IndexExpr) expr()      {}
func (*CallExpr) expr()       {}
func (*UnaryExpr) expr()      {}
func (*BinaryExpr) expr()     {}
func (*IfExpr) expr()         {}
func (*BlockExpr) expr()      {}
func (*InstanceofExpr) expr() {}
func (*LambdaExpr) expr()     {}
