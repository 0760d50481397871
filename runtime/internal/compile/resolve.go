// resolve.go binds local variable names to slots before code generation.

package compile

import "github.com/bexrun/bex/runtime/syntax"

// A binding is one local variable: a parameter, a let, or a for-loop variable.
type binding struct {
	name     string
	slot     int32
	declared *Type // the declared type, or nil
	typ      *Type // the static type the compiler uses; set when the binding is compiled
	assigned bool  // assigned after its declaration
}

// A resolver walks a function body once, before code generation, giving every
// binding a slot (block-scoped slots are reused once their block ends) and
// recording whether each binding is ever reassigned: a binding that is not
// keeps the static type of its initializer.
type resolver struct {
	c      *compiler
	file   string
	scopes []map[string]*binding
	next   int32 // the next free slot
	max    int32 // the number of slots used
	names  []string
	uses   map[*syntax.Ident]*binding // declarations and uses of locals
	iters  map[*syntax.ForStmt]int32  // the two hidden slots of each for loop
}

func newResolver(c *compiler, file string) *resolver {
	return &resolver{c: c, file: file, uses: map[*syntax.Ident]*binding{}, iters: map[*syntax.ForStmt]int32{}}
}

func (r *resolver) push() { r.scopes = append(r.scopes, map[string]*binding{}) }

func (r *resolver) pop(saved int32) {
	r.scopes = r.scopes[:len(r.scopes)-1]
	r.next = saved
}

// alloc returns a fresh slot named name (for the disassembler).
func (r *resolver) alloc(name string) int32 {
	s := r.next
	r.next++
	if r.next > r.max {
		r.max = r.next
		r.names = append(r.names, name)
	} else if !containsName(r.names[s], name) {
		r.names[s] += "/" + name
	}
	return s
}

func containsName(list, name string) bool {
	for len(list) > 0 {
		i := 0
		for i < len(list) && list[i] != '/' {
			i++
		}
		if list[:i] == name {
			return true
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return false
}

// bind declares id in the innermost scope. (A repeated parameter name was
// reported with the function's declaration.)
func (r *resolver) bind(id *syntax.Ident, declared *Type) *binding {
	scope := r.scopes[len(r.scopes)-1]
	if _, dup := scope[id.Name]; dup && len(r.scopes) > 1 {
		r.c.errorf(r.file, id.NamePos, "%s redeclared in this block", id.Name)
	}
	b := &binding{name: id.Name, slot: r.alloc(id.Name), declared: declared}
	scope[id.Name] = b
	r.uses[id] = b
	return b
}

func (r *resolver) lookup(name string) *binding {
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if b, ok := r.scopes[i][name]; ok {
			return b
		}
	}
	return nil
}

func (r *resolver) use(id *syntax.Ident) *binding {
	b := r.lookup(id.Name)
	if b != nil {
		r.uses[id] = b
	}
	return b
}

func (r *resolver) block(b *syntax.Block) {
	saved := r.next
	r.push()
	for _, s := range b.Stmts {
		r.stmt(s)
	}
	r.expr(b.Value)
	r.pop(saved)
}

func (r *resolver) stmt(s syntax.Stmt) {
	switch s := s.(type) {
	case *syntax.LetStmt:
		r.expr(s.Value)
		var declared *Type
		if s.Type != nil {
			declared = r.c.resolveType(r.file, s.Type)
		}
		r.bind(s.Name, declared)
	case *syntax.AssignStmt:
		if id, ok := s.Target.(*syntax.Ident); ok {
			if b := r.use(id); b != nil {
				b.assigned = true
			}
		} else {
			r.expr(s.Target)
		}
		r.expr(s.Value)
	case *syntax.ExprStmt:
		r.expr(s.X)
	case *syntax.ForStmt:
		r.expr(s.Iter)
		saved := r.next
		r.push()
		r.iters[s] = r.alloc("for." + s.Var.Name)
		r.alloc("for.index")
		r.bind(s.Var, nil)
		r.block(s.Body)
		r.pop(saved)
	case *syntax.WhileStmt:
		r.expr(s.Cond)
		r.block(s.Body)
	case *syntax.ReturnStmt:
		r.expr(s.Value)
	case *syntax.BranchStmt:
	}
}

func (r *resolver) expr(e syntax.Expr) {
	switch e := e.(type) {
	case nil, *syntax.Literal:
	case *syntax.Ident:
		r.use(e)
	case *syntax.ListExpr:
		for _, x := range e.Elems {
			r.expr(x)
		}
	case *syntax.MapExpr:
		for _, m := range e.Entries {
			r.expr(m.Value)
		}
	case *syntax.ClassLit:
		for _, m := range e.Fields {
			r.expr(m.Value)
		}
	case *syntax.DotExpr:
		r.expr(e.X)
	case *syntax.IndexExpr:
		r.expr(e.X)
		r.expr(e.Index)
	case *syntax.CallExpr:
		if _, isName := e.Fn.(*syntax.Ident); !isName {
			r.expr(e.Fn) // a function name is not a variable
		}
		for _, a := range e.Args {
			r.expr(a)
		}
	case *syntax.UnaryExpr:
		r.expr(e.X)
	case *syntax.BinaryExpr:
		r.expr(e.X)
		r.expr(e.Y)
	case *syntax.IfExpr:
		r.expr(e.Cond)
		r.block(e.Then)
		r.expr(e.Else)
	case *syntax.BlockExpr:
		r.block(e.Block)
	}
}
