// resolve.go binds the names of a function body to local slots, captures and
// globals before code generation.

package compile

import (
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// A binding is one local variable: a parameter, a let, a for-loop variable,
// or, in a lambda, a captured variable of an enclosing function.
type binding struct {
	name     string
	slot     int32
	declared *types.Type // the declared type, or nil
	typ      *types.Type // the static type the compiler uses; set when the binding is compiled
	assigned bool        // assigned after its declaration
	captured *syntax.Ident
	pos      syntax.Pos
}

// An fscope is one function being resolved: a function body, or a lambda
// inside it. Each has its own slots.
type fscope struct {
	parent    *fscope
	scopes    []map[string]*binding
	next, max int32
	names     []string
	captures  []capture
	monotonic bool // slots are never reused (lambdas: captures get slots mid-body)
}

// A capture is a variable a lambda copies from its enclosing function when
// it is created.
type capture struct {
	outer *binding // the variable in the enclosing function
	inner *binding // the lambda's slot for its copy
}

// A resolver walks a function body once, before code generation, giving every
// binding a slot (block-scoped slots are reused once their block ends),
// recording whether each binding is ever reassigned (a binding that is not
// keeps the static type of its initializer), which variables lambdas
// capture, and which names are globals.
type resolver struct {
	c       *compiler
	file    string
	fs      *fscope
	uses    map[*syntax.Ident]*binding // declarations and uses of locals
	iters   map[*syntax.ForStmt]int32  // the two hidden slots of each for loop
	lambdas map[*syntax.LambdaExpr]*fscope
	globals map[*syntax.Ident]*Global
}

func newResolver(c *compiler, file string) *resolver {
	return &resolver{c: c, file: file, fs: &fscope{}, uses: map[*syntax.Ident]*binding{},
		iters: map[*syntax.ForStmt]int32{}, lambdas: map[*syntax.LambdaExpr]*fscope{},
		globals: map[*syntax.Ident]*Global{}}
}

func (r *resolver) push() { r.fs.scopes = append(r.fs.scopes, map[string]*binding{}) }

func (r *resolver) pop(saved int32) {
	r.fs.scopes = r.fs.scopes[:len(r.fs.scopes)-1]
	if !r.fs.monotonic {
		r.fs.next = saved
	}
}

// alloc returns a fresh slot named name (for the disassembler).
func (r *resolver) alloc(name string) int32 {
	fs := r.fs
	s := fs.next
	fs.next++
	if fs.next > fs.max {
		fs.max = fs.next
		fs.names = append(fs.names, name)
	} else if !containsName(fs.names[s], name) {
		fs.names[s] += "/" + name
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

// bind declares id in the innermost scope. A name declared again in the
// same scope shadows the earlier binding from there on, as in BAML. (A
// repeated parameter name was reported with the function's declaration.)
func (r *resolver) bind(id *syntax.Ident, declared *types.Type) *binding {
	scope := r.fs.scopes[len(r.fs.scopes)-1]
	b := &binding{name: id.Name, slot: r.alloc(id.Name), declared: declared, pos: id.NamePos}
	scope[id.Name] = b
	r.uses[id] = b
	return b
}

// lookup finds name among the locals of the current function and, failing
// that, of the enclosing ones, which the current lambda then captures.
func (r *resolver) lookup(name string, id *syntax.Ident) *binding {
	return r.lookupIn(r.fs, name, id)
}

func (r *resolver) lookupIn(fs *fscope, name string, id *syntax.Ident) *binding {
	for i := len(fs.scopes) - 1; i >= 0; i-- {
		if b, ok := fs.scopes[i][name]; ok {
			return b
		}
	}
	for _, cp := range fs.captures {
		if cp.inner.name == name {
			return cp.inner
		}
	}
	if fs.parent == nil {
		return nil
	}
	outer := r.lookupIn(fs.parent, name, id)
	if outer == nil {
		return nil
	}
	saved := r.fs
	r.fs = fs
	inner := &binding{name: name, slot: r.alloc(name), pos: outer.pos, captured: id}
	r.fs = saved
	fs.captures = append(fs.captures, capture{outer: outer, inner: inner})
	if outer.captured == nil {
		outer.captured = id
	}
	return inner
}

func (r *resolver) use(id *syntax.Ident) *binding {
	b := r.lookup(id.Name, id)
	if b != nil {
		r.uses[id] = b
	} else if g := r.c.globals[id.Name]; g != nil {
		r.globals[id] = g
	}
	return b
}

func (r *resolver) block(b *syntax.Block) {
	saved := r.fs.next
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
		var declared *types.Type
		if s.Type != nil {
			declared = r.c.resolveType(r.file, s.Type)
		}
		r.c.checkName(r.file, s.Name, "variable")
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
		saved := r.fs.next
		r.push()
		r.iters[s] = r.alloc("for." + s.Var.Name)
		r.alloc("for.index")
		r.c.checkName(r.file, s.Var, "variable")
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
		r.expr(e.Spread)
		for _, m := range e.Fields {
			r.expr(m.Value)
		}
	case *syntax.DotExpr:
		r.dotted(e)
	case *syntax.IndexExpr:
		r.expr(e.X)
		r.expr(e.Index)
	case *syntax.CallExpr:
		r.callee(e.Fn)
		for _, a := range e.Args {
			r.expr(a)
		}
	case *syntax.UnaryExpr:
		r.expr(e.X)
	case *syntax.BinaryExpr:
		r.expr(e.X)
		r.expr(e.Y)
	case *syntax.InstanceofExpr:
		r.expr(e.X)
	case *syntax.IfExpr:
		r.expr(e.Cond)
		r.block(e.Then)
		r.expr(e.Else)
	case *syntax.BlockExpr:
		r.block(e.Block)
	case *syntax.LambdaExpr:
		r.lambda(e)
	}
}

// callee resolves the function of a call: a name that is not a variable is
// a function (resolved by the compiler), not a use.
func (r *resolver) callee(fn syntax.Expr) {
	if id, ok := fn.(*syntax.Ident); ok {
		if r.lookup(id.Name, id) != nil || r.c.globals[id.Name] != nil {
			r.use(id)
		}
		return
	}
	r.expr(fn)
}

// dotted resolves x.name: a qualified name such as baml.Array.length or
// Color.Red resolves nothing unless its root is a variable.
func (r *resolver) dotted(e *syntax.DotExpr) {
	root := syntax.Expr(e)
	for {
		d, ok := root.(*syntax.DotExpr)
		if !ok {
			break
		}
		root = d.X
	}
	if id, ok := root.(*syntax.Ident); ok && r.lookup(id.Name, id) == nil && r.c.globals[id.Name] == nil {
		return // an enum, a class, or a namespace such as baml
	}
	r.expr(e.X)
}

// lambda resolves a lambda in a scope of its own, whose slots hold its
// parameters, then its captures and locals.
func (r *resolver) lambda(e *syntax.LambdaExpr) {
	fs := &fscope{parent: r.fs, monotonic: true}
	r.lambdas[e] = fs
	saved := r.fs
	r.fs = fs
	r.push()
	for _, p := range e.Params {
		var declared *types.Type
		if p.Type != nil {
			declared = r.c.resolveType(r.file, p.Type)
		}
		r.c.checkName(r.file, p.Name, "parameter")
		r.bind(p.Name, declared)
	}
	if e.Body != nil {
		r.block(e.Body)
	} else {
		r.expr(e.Value)
	}
	r.fs = saved
}

// checkCaptures reports captured variables that are assigned after their
// declaration: a lambda holds a copy taken when it is created, so it would
// not see the assignment.
func (r *resolver) checkCaptures() {
	for _, fs := range r.lambdas {
		for _, cp := range fs.captures {
			if cp.outer.assigned || cp.inner.assigned {
				r.c.errorf(r.file, cp.inner.captured.NamePos,
					"lambda captures %s, which is assigned after its declaration (a lambda keeps a copy: copy %s into a new let first)",
					cp.inner.name, cp.inner.name)
			}
		}
	}
}
