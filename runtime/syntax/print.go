// print.go renders syntax trees as compact S-expressions, for tests and debugging.

package syntax

import (
	"strconv"
	"strings"
)

// Sprint renders n as a compact, single-line S-expression that shows the
// tree's shape (not its positions), for example
//
//	(function Score (a int) (b int) -> int {(+ (* a 10) b)})
//
// A *File renders one declaration per line. The format is meant for tests
// and debugging output; it is stable but not a bex syntax.
func Sprint(n Node) string {
	var pr printer
	pr.node(n)
	return pr.String()
}

type printer struct{ strings.Builder }

// list writes "(head item item ...)" using print for each item.
func list[T any](pr *printer, head string, items []T, print func(T)) {
	pr.WriteString("(" + head)
	for _, it := range items {
		pr.WriteByte(' ')
		print(it)
	}
	pr.WriteByte(')')
}

func (pr *printer) node(n Node) {
	switch n := n.(type) {
	case nil:
		pr.WriteString("<nil>")
	case *File:
		for i, d := range n.Decls {
			if i > 0 {
				pr.WriteByte('\n')
			}
			pr.node(d)
		}
	case Decl:
		pr.decl(n)
	case TypeExpr:
		pr.typ(n)
	case Stmt:
		pr.stmt(n)
	case Expr:
		pr.expr(n)
	default:
		pr.part(n)
	}
}

// part prints the nodes that are parts of declarations and expressions.
func (pr *printer) part(n Node) {
	switch n := n.(type) {
	case *Field:
		pr.WriteString("(field " + n.Name.Name + " ")
		pr.typ(n.Type)
		pr.attrs(n.Attrs)
		pr.WriteByte(')')
	case *EnumValue:
		pr.WriteString(n.Name.Name)
		pr.attrs(n.Attrs)
	case *Attr:
		pr.WriteString("@")
		if n.Block {
			pr.WriteString("@")
		}
		pr.WriteString(n.Name)
		if n.Args != nil {
			pr.WriteByte('(')
			pr.exprs(n.Args, ", ")
			pr.WriteByte(')')
		}
	case *Param:
		pr.WriteString("(" + n.Name.Name)
		if n.Type != nil {
			pr.WriteByte(' ')
			pr.typ(n.Type)
		}
		pr.WriteByte(')')
	case *ConfigBlock:
		pr.config(n)
	case *ConfigEntry:
		pr.configEntry(n)
	case *LLMBody:
		pr.llm(n)
	case *Block:
		pr.block(n)
	case *MapEntry:
		pr.WriteString(n.Key + ": ")
		pr.expr(n.Value)
	default:
		pr.WriteString("<?>")
	}
}

func (pr *printer) attrs(attrs []*Attr) {
	for _, a := range attrs {
		pr.WriteByte(' ')
		pr.part(a)
	}
}

func (pr *printer) decl(d Decl) {
	switch d := d.(type) {
	case *ClassDecl:
		pr.WriteString("(class " + d.Name.Name)
		for _, f := range d.Fields {
			pr.WriteByte(' ')
			pr.part(f)
		}
		for _, m := range d.Methods {
			pr.WriteByte(' ')
			pr.function(m)
		}
		pr.attrs(d.Attrs)
		pr.WriteByte(')')
	case *TypeAliasDecl:
		pr.WriteString("(type " + d.Name.Name + " ")
		pr.typ(d.Type)
		pr.WriteByte(')')
	case *GlobalDecl:
		pr.stmt(d.Let)
	case *EnumDecl:
		pr.WriteString("(enum " + d.Name.Name)
		for _, v := range d.Values {
			pr.WriteByte(' ')
			pr.part(v)
		}
		pr.attrs(d.Attrs)
		pr.WriteByte(')')
	case *ClientDecl:
		kind := ""
		if d.KindPos.IsValid() {
			kind = "<" + d.Kind + ">"
		}
		pr.WriteString("(client" + kind + " " + d.Name.Name + " ")
		pr.config(d.Body)
		pr.WriteByte(')')
	case *RetryPolicyDecl:
		pr.WriteString("(retry_policy " + d.Name.Name + " ")
		pr.config(d.Body)
		pr.WriteByte(')')
	case *FuncDecl:
		pr.function(d)
	case *OtherDecl:
		pr.WriteString("(" + d.Keyword + " " + d.DeclName() + ")")
	case *TestDecl:
		pr.WriteString("(test " + d.Name.Name + " [")
		for i, fn := range d.Functions {
			if i > 0 {
				pr.WriteByte(' ')
			}
			pr.WriteString(fn.Name)
		}
		pr.WriteString("] ")
		pr.expr(&MapExpr{Entries: d.Args})
		if d.Types != nil {
			pr.WriteByte(' ')
			pr.typeBuilder(d.Types)
		}
		pr.attrs(d.Attrs)
		pr.WriteByte(')')
	case *DynamicDecl:
		pr.WriteString("(dynamic ")
		pr.decl(d.Decl)
		pr.WriteByte(')')
	}
}

func (pr *printer) typeBuilder(tb *TypeBuilder) {
	pr.WriteString("(type_builder")
	for _, d := range tb.Decls {
		pr.WriteByte(' ')
		pr.decl(d)
	}
	pr.WriteByte(')')
}

func (pr *printer) function(d *FuncDecl) {
	pr.WriteString("(function " + d.Name.Name)
	for _, p := range d.Params {
		pr.WriteByte(' ')
		pr.part(p)
	}
	if d.Result != nil {
		pr.WriteString(" -> ")
		pr.typ(d.Result)
	}
	pr.attrs(d.Attrs)
	pr.WriteByte(' ')
	if d.LLM != nil {
		pr.llm(d.LLM)
	} else {
		pr.block(d.Body)
	}
	pr.WriteByte(')')
}

func (pr *printer) llm(b *LLMBody) {
	client := b.Client
	if b.Shorthand {
		client = strconv.Quote(client)
	}
	pr.WriteString("(llm " + client + " " + strconv.Quote(b.Prompt) + ")")
}

func (pr *printer) config(b *ConfigBlock) {
	pr.WriteByte('{')
	for i, e := range b.Entries {
		if i > 0 {
			pr.WriteString(", ")
		}
		pr.configEntry(e)
	}
	pr.WriteByte('}')
}

func (pr *printer) configEntry(e *ConfigEntry) {
	pr.WriteString(e.Key + " ")
	if e.Block != nil {
		pr.config(e.Block)
	} else {
		pr.expr(e.Value)
	}
}

func (pr *printer) typ(t TypeExpr) {
	switch t := t.(type) {
	case *NamedType:
		pr.WriteString(t.Name)
	case *ListType:
		pr.typ(t.Elem)
		pr.WriteString("[]")
	case *OptionalType:
		pr.typ(t.Elem)
		pr.WriteString("?")
	case *MapType:
		pr.WriteString("map<")
		pr.typ(t.Key)
		pr.WriteString(", ")
		pr.typ(t.Value)
		pr.WriteString(">")
	case *UnionType:
		pr.WriteByte('(')
		for i, u := range t.Types {
			if i > 0 {
				pr.WriteString(" | ")
			}
			pr.typ(u)
		}
		pr.WriteByte(')')
	case *LiteralType:
		pr.WriteString(t.Value.Raw)
	case *FuncType:
		pr.WriteByte('(')
		for i, u := range t.Params {
			if i > 0 {
				pr.WriteString(", ")
			}
			pr.typ(u)
		}
		pr.WriteString(") -> ")
		pr.typ(t.Result)
	case *AttrType:
		pr.typ(t.Type)
		pr.attrs(t.Attrs)
	default:
		pr.WriteString("<nil>")
	}
}

func (pr *printer) block(b *Block) {
	pr.WriteByte('{')
	for i, s := range b.Stmts {
		if i > 0 {
			pr.WriteByte(' ')
		}
		pr.stmt(s)
		pr.WriteByte(';')
	}
	if b.Value != nil {
		if len(b.Stmts) > 0 {
			pr.WriteByte(' ')
		}
		pr.expr(b.Value)
	}
	pr.WriteByte('}')
}

func (pr *printer) stmt(s Stmt) {
	switch s := s.(type) {
	case *LetStmt:
		pr.WriteString("(let " + s.Name.Name + " ")
		if s.Type != nil {
			pr.typ(s.Type)
			pr.WriteByte(' ')
		}
		pr.expr(s.Value)
		pr.WriteByte(')')
	case *AssignStmt:
		pr.WriteString("(" + s.Op.String() + " ")
		pr.exprs([]Expr{s.Target, s.Value}, " ")
		pr.WriteByte(')')
	case *ExprStmt:
		pr.expr(s.X)
	case *ForStmt:
		pr.WriteString("(for " + s.Var.Name + " ")
		pr.expr(s.Iter)
		pr.WriteByte(' ')
		pr.block(s.Body)
		pr.WriteByte(')')
	case *WhileStmt:
		pr.WriteString("(while ")
		pr.expr(s.Cond)
		pr.WriteByte(' ')
		pr.block(s.Body)
		pr.WriteByte(')')
	case *BranchStmt:
		pr.WriteString(s.Token.String())
	case *ReturnStmt:
		pr.WriteString("(return")
		if s.Value != nil {
			pr.WriteByte(' ')
			pr.expr(s.Value)
		}
		pr.WriteByte(')')
	}
}

func (pr *printer) exprs(xs []Expr, sep string) {
	for i, x := range xs {
		if i > 0 {
			pr.WriteString(sep)
		}
		pr.expr(x)
	}
}

func (pr *printer) expr(x Expr) {
	switch x := x.(type) {
	case *Ident:
		pr.WriteString(x.Name)
	case *Literal:
		pr.WriteString(x.Raw)
	case *ListExpr:
		pr.WriteByte('[')
		pr.exprs(x.Elems, " ")
		pr.WriteByte(']')
	case *MapExpr:
		list(pr, "map", x.Entries, func(e *MapEntry) { pr.part(e) })
	case *ClassLit:
		pr.WriteString("(new " + x.Name.Name)
		for _, e := range x.Fields {
			pr.WriteByte(' ')
			pr.part(e)
		}
		if x.Spread != nil {
			pr.WriteString(" ..")
			pr.expr(x.Spread)
		}
		pr.WriteByte(')')
	case *InstanceofExpr:
		pr.WriteString("(instanceof ")
		pr.expr(x.X)
		pr.WriteString(" " + x.Type.Name + ")")
	case *LambdaExpr:
		pr.WriteString("(lambda")
		for _, p := range x.Params {
			pr.WriteByte(' ')
			pr.part(p)
		}
		if x.Result != nil {
			pr.WriteString(" -> ")
			pr.typ(x.Result)
		}
		pr.WriteByte(' ')
		if x.Body != nil {
			pr.block(x.Body)
		} else {
			pr.WriteString("=> ")
			pr.expr(x.Value)
		}
		pr.WriteByte(')')
	case *DotExpr:
		pr.WriteString("(. ")
		pr.expr(x.X)
		pr.WriteString(" " + x.Name.Name + ")")
	case *IndexExpr:
		list(pr, "index", []Expr{x.X, x.Index}, pr.expr)
	case *CallExpr:
		list(pr, "call", append([]Expr{x.Fn}, x.Args...), pr.expr)
	case *UnaryExpr:
		list(pr, x.Op.String(), []Expr{x.X}, pr.expr)
	case *BinaryExpr:
		list(pr, x.Op.String(), []Expr{x.X, x.Y}, pr.expr)
	case *IfExpr:
		pr.ifExpr(x)
	case *BlockExpr:
		pr.block(x.Block)
	default:
		pr.WriteString("<nil>")
	}
}

func (pr *printer) ifExpr(x *IfExpr) {
	pr.WriteString("(if ")
	pr.expr(x.Cond)
	pr.WriteByte(' ')
	pr.block(x.Then)
	if x.Else != nil {
		pr.WriteString(" else ")
		pr.expr(x.Else)
	}
	pr.WriteByte(')')
}
