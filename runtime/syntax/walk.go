// walk.go holds Walk, a depth-first traversal of the syntax tree.

package syntax

// Span returns the position of the file's first byte: line 1, column 1.
// It makes *File a Node, so Walk can start from a whole file.
func (f *File) Span() Pos { return Pos{Line: 1, Col: 1} }

// Walk traverses the syntax tree rooted at n in depth-first order, children
// in source order. It calls f(n); if f returns true, Walk visits each
// non-nil child of n the same way. Unlike go/ast.Inspect, Walk never calls
// f(nil). n must not be nil.
//
// Every node is visited: the names of declarations, fields, parameters and
// variables (*Ident), attributes (*Attr), types, LLM bodies, config blocks
// and entries, and map and class-literal entries (*MapEntry).
func Walk(n Node, f func(Node) bool) {
	if !f(n) {
		return
	}
	switch n := n.(type) {
	case *File:
		for _, d := range n.Decls {
			Walk(d, f)
		}
	case *ClassDecl:
		Walk(n.Name, f)
		for _, fld := range n.Fields {
			Walk(fld, f)
		}
		for _, m := range n.Methods {
			Walk(m, f)
		}
		walkAttrs(n.Attrs, f)
	case *TypeAliasDecl:
		Walk(n.Name, f)
		Walk(n.Type, f)
	case *GlobalDecl:
		Walk(n.Let, f)
	case *Field:
		Walk(n.Name, f)
		Walk(n.Type, f)
		walkAttrs(n.Attrs, f)
	case *EnumDecl:
		Walk(n.Name, f)
		for _, v := range n.Values {
			Walk(v, f)
		}
		walkAttrs(n.Attrs, f)
	case *EnumValue:
		Walk(n.Name, f)
		walkAttrs(n.Attrs, f)
	case *Attr:
		walkExprs(n.Args, f)
	case *ClientDecl:
		Walk(n.Name, f)
		Walk(n.Body, f)
	case *RetryPolicyDecl:
		Walk(n.Name, f)
		Walk(n.Body, f)
	case *ConfigBlock:
		for _, e := range n.Entries {
			Walk(e, f)
		}
	case *ConfigEntry:
		if n.Value != nil {
			Walk(n.Value, f)
		}
		if n.Block != nil {
			Walk(n.Block, f)
		}
	case *FuncDecl:
		walkFunc(n, f)
	case *Param:
		Walk(n.Name, f)
		if n.Type != nil {
			Walk(n.Type, f)
		}
	case *OtherDecl:
		if n.Name != nil {
			Walk(n.Name, f)
		}
	case *TestDecl:
		Walk(n.Name, f)
		for _, fn := range n.Functions {
			Walk(fn, f)
		}
		for _, e := range n.Args {
			Walk(e, f)
		}
		if n.Types != nil {
			Walk(n.Types, f)
		}
		walkAttrs(n.Attrs, f)
	case *TypeBuilder:
		for _, d := range n.Decls {
			Walk(d, f)
		}
	case *DynamicDecl:
		Walk(n.Decl, f)
	case *LiteralType:
		Walk(n.Value, f)
	case *LLMBody, *NamedType, *Ident, *Literal, *BranchStmt:
		// leaves
	default:
		walkStmtOrExpr(n, f)
	}
}

func walkFunc(n *FuncDecl, f func(Node) bool) {
	Walk(n.Name, f)
	for _, p := range n.Params {
		Walk(p, f)
	}
	if n.Result != nil {
		Walk(n.Result, f)
	}
	walkAttrs(n.Attrs, f)
	if n.Body != nil {
		Walk(n.Body, f)
	}
	if n.LLM != nil {
		Walk(n.LLM, f)
	}
}

// walkStmtOrExpr walks the children of types, statements and expressions.
func walkStmtOrExpr(n Node, f func(Node) bool) {
	switch n := n.(type) {
	case *ListType:
		Walk(n.Elem, f)
	case *OptionalType:
		Walk(n.Elem, f)
	case *MapType:
		Walk(n.Key, f)
		Walk(n.Value, f)
	case *UnionType:
		for _, t := range n.Types {
			Walk(t, f)
		}
	case *FuncType:
		for _, t := range n.Params {
			Walk(t, f)
		}
		Walk(n.Result, f)
	case *AttrType:
		Walk(n.Type, f)
		walkAttrs(n.Attrs, f)
	case *Block:
		for _, s := range n.Stmts {
			Walk(s, f)
		}
		if n.Value != nil {
			Walk(n.Value, f)
		}
	case *LetStmt:
		Walk(n.Name, f)
		if n.Type != nil {
			Walk(n.Type, f)
		}
		Walk(n.Value, f)
	case *AssignStmt:
		Walk(n.Target, f)
		Walk(n.Value, f)
	case *ExprStmt:
		Walk(n.X, f)
	case *ForStmt:
		Walk(n.Var, f)
		Walk(n.Iter, f)
		Walk(n.Body, f)
	case *WhileStmt:
		Walk(n.Cond, f)
		Walk(n.Body, f)
	case *ReturnStmt:
		if n.Value != nil {
			Walk(n.Value, f)
		}
	default:
		walkExpr(n, f)
	}
}

func walkExpr(n Node, f func(Node) bool) {
	switch n := n.(type) {
	case *ListExpr:
		walkExprs(n.Elems, f)
	case *MapExpr:
		walkEntries(n.Entries, f)
	case *MapEntry:
		Walk(n.Value, f)
	case *ClassLit:
		Walk(n.Name, f)
		walkEntries(n.Fields, f)
		if n.Spread != nil {
			Walk(n.Spread, f)
		}
	case *InstanceofExpr:
		Walk(n.X, f)
		Walk(n.Type, f)
	case *LambdaExpr:
		for _, p := range n.Params {
			Walk(p, f)
		}
		if n.Result != nil {
			Walk(n.Result, f)
		}
		if n.Body != nil {
			Walk(n.Body, f)
		} else {
			Walk(n.Value, f)
		}
	case *DotExpr:
		Walk(n.X, f)
		Walk(n.Name, f)
	case *IndexExpr:
		Walk(n.X, f)
		Walk(n.Index, f)
	case *CallExpr:
		Walk(n.Fn, f)
		walkExprs(n.Args, f)
	case *UnaryExpr:
		Walk(n.X, f)
	case *BinaryExpr:
		Walk(n.X, f)
		Walk(n.Y, f)
	case *IfExpr:
		Walk(n.Cond, f)
		Walk(n.Then, f)
		if n.Else != nil {
			Walk(n.Else, f)
		}
	case *BlockExpr:
		Walk(n.Block, f)
	}
}

func walkExprs(xs []Expr, f func(Node) bool) {
	for _, x := range xs {
		Walk(x, f)
	}
}

func walkAttrs(attrs []*Attr, f func(Node) bool) {
	for _, a := range attrs {
		Walk(a, f)
	}
}

func walkEntries(entries []*MapEntry, f func(Node) bool) {
	for _, e := range entries {
		Walk(e, f)
	}
}
