package syntax

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseTestdata(t *testing.T, name string) (*File, string) {
	t.Helper()
	src, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, string(src)), string(src)
}

// reachable collects, by reflection, every Node reachable from n through
// struct fields, slices and interfaces. Walk must visit exactly these.
func reachable(v reflect.Value, seen map[Node]bool) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			reachable(v.Elem(), seen)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if n, ok := v.Interface().(Node); ok {
			if seen[n] {
				return
			}
			seen[n] = true
		}
		reachable(v.Elem(), seen)
	case reflect.Struct:
		for i := range v.NumField() {
			reachable(v.Field(i), seen)
		}
	case reflect.Slice:
		for i := range v.Len() {
			reachable(v.Index(i), seen)
		}
	}
}

// TestWalkVisitsEveryNode checks Walk against reflection on files that use
// every node type, so a node type or field added later without a Walk case
// fails here.
func TestWalkVisitsEveryNode(t *testing.T) {
	for _, name := range []string{"all_forms.baml", "spec_example.baml"} {
		f, _ := parseTestdata(t, name)
		want := map[Node]bool{}
		reachable(reflect.ValueOf(f), want)
		got := map[Node]bool{}
		Walk(f, func(n Node) bool {
			if got[n] {
				t.Errorf("%s: visited twice: %T at %s", name, n, n.Span())
			}
			got[n] = true
			return true
		})
		for n := range want {
			if !got[n] {
				t.Errorf("%s: Walk missed %T at %s", name, n, n.Span())
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: Walk visited %d nodes, reflection found %d", name, len(got), len(want))
		}
	}
}

func TestWalkCoversAllNodeTypes(t *testing.T) {
	f, _ := parseTestdata(t, "all_forms.baml")
	types := map[string]bool{}
	Walk(f, func(n Node) bool {
		types[fmt.Sprintf("%T", n)] = true
		return true
	})
	for _, want := range []Node{
		&File{}, &ClassDecl{}, &EnumDecl{}, &ClientDecl{}, &RetryPolicyDecl{}, &FuncDecl{}, &OtherDecl{},
		&Attr{}, &Field{}, &EnumValue{}, &ConfigBlock{}, &ConfigEntry{}, &Param{}, &LLMBody{},
		&NamedType{}, &ListType{}, &MapType{}, &OptionalType{}, &UnionType{}, &LiteralType{},
		&Block{}, &LetStmt{}, &AssignStmt{}, &ExprStmt{}, &ForStmt{}, &WhileStmt{}, &BranchStmt{}, &ReturnStmt{},
		&Ident{}, &Literal{}, &ListExpr{}, &MapExpr{}, &MapEntry{}, &ClassLit{}, &DotExpr{}, &IndexExpr{},
		&CallExpr{}, &UnaryExpr{}, &BinaryExpr{}, &IfExpr{}, &BlockExpr{},
		&TypeAliasDecl{}, &GlobalDecl{}, &FuncType{}, &AttrType{}, &InstanceofExpr{}, &LambdaExpr{},
		&TestDecl{}, &TypeBuilder{}, &DynamicDecl{},
	} {
		if name := fmt.Sprintf("%T", want); !types[name] {
			t.Errorf("testdata/all_forms.baml has no %s", name)
		}
	}
}

func TestWalkPrune(t *testing.T) {
	f, _ := parseTestdata(t, "spec_example.baml")
	var idents []string
	Walk(f, func(n Node) bool {
		switch n := n.(type) {
		case *FuncDecl:
			return n.Name.Name == "Score" // skip the other functions
		case *ClassDecl, *ClientDecl:
			return false
		case *Ident:
			idents = append(idents, n.Name)
		}
		return true
	})
	if got := strings.Join(idents, " "); got != "Score a b a b" {
		t.Errorf("idents: %s", got)
	}
}

// source maps positions to text.
type source struct {
	text  string
	lines []int // offset of each line's first byte
}

func newSource(text string) *source {
	s := &source{text: text, lines: []int{0}}
	for i := range len(text) {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// at returns the text starting at pos, or "" for an invalid position.
func (s *source) at(pos Pos) string {
	if !pos.IsValid() || int(pos.Line) > len(s.lines) || pos.Col < 1 {
		return ""
	}
	off := s.lines[pos.Line-1] + int(pos.Col) - 1
	if off > len(s.text) {
		return ""
	}
	return s.text[off:]
}

// expectedAt returns the texts a node's positions must point at.
func expectedAt(n Node) map[string]Pos {
	m := map[string]Pos{}
	switch n := n.(type) {
	case *ClassDecl:
		m["class"] = n.Class
	case *EnumDecl:
		m["enum"] = n.Enum
	case *ClientDecl:
		if n.KindPos.IsValid() {
			m["client<"+n.Kind+">"] = n.Client
			m[n.Kind+">"] = n.KindPos
		} else {
			m["client "+n.Name.Name] = n.Client
		}
	case *TypeAliasDecl:
		m["type"] = n.TypePos
	case *FuncType:
		m["("] = n.Lparen
	case *InstanceofExpr:
		m["instanceof"] = n.OpPos
	case *LambdaExpr:
		m["("] = n.Lparen

	case *RetryPolicyDecl:
		m["retry_policy"] = n.Retry
	case *FuncDecl:
		m["function"] = n.Function
	case *OtherDecl:
		m[n.Keyword] = n.KeywordPos
	case *Attr:
		m[map[bool]string{false: "@", true: "@@"}[n.Block]+n.Name] = n.At
	case *ConfigBlock:
		m["{"], m["}"] = n.Lbrace, n.Rbrace
	case *ConfigEntry:
		if !strings.Contains(n.Key, "-") {
			m[n.Key] = n.KeyPos
		}
	case *LLMBody:
		m["client"] = n.ClientPos
		m[n.Prompt[:min(len(n.Prompt), 10)]] = n.PromptPos
	case *NamedType:
		m[n.Name] = n.NamePos
	case *MapType:
		m["map<"] = n.Map
	case *Block:
		m["{"], m["}"] = n.Lbrace, n.Rbrace
	case *LetStmt:
		m["let"] = n.Let
	case *AssignStmt:
		m[n.Op.String()] = n.OpPos
	case *ForStmt:
		m["for"] = n.For
	case *WhileStmt:
		m["while"] = n.While
	case *BranchStmt:
		m[n.Token.String()] = n.TokPos
	case *ReturnStmt:
		m["return"] = n.Return
	case *Ident:
		m[n.Name] = n.NamePos
	case *Literal:
		m[n.Raw] = n.ValuePos
	case *ListExpr:
		m["["], m["]"] = n.Lbrack, n.Rbrack
	case *MapExpr:
		m["{"], m["}"] = n.Lbrace, n.Rbrace
	case *MapEntry:
		m[n.Key] = n.KeyPos // or its quoted form; see TestPositions
	case *ClassLit:
		m["}"] = n.Rbrace
		if n.Spread != nil {
			m[".."] = n.SpreadPos
		}
	case *DotExpr:
		m["."] = n.Dot
	case *IndexExpr:
		m["["] = n.Lbrack
	case *CallExpr:
		m["("], m[")"] = n.Lparen, n.Rparen
	case *UnaryExpr:
		m[n.Op.String()] = n.OpPos
	case *BinaryExpr:
		m[n.Op.String()] = n.OpPos
	case *IfExpr:
		m["if"] = n.If
	}
	return m
}

// TestPositions checks that every position of every node points at the
// text it names, and that each node's Span lies within the file.
func TestPositions(t *testing.T) {
	for _, name := range []string{"all_forms.baml", "spec_example.baml"} {
		f, text := parseTestdata(t, name)
		src := newSource(text)
		Walk(f, func(n Node) bool {
			if src.at(n.Span()) == "" {
				t.Errorf("%s: %T has bad span %s", name, n, n.Span())
			}
			for want, pos := range expectedAt(n) {
				got := src.at(pos)
				if !strings.HasPrefix(got, want) && !strings.HasPrefix(got, `"`+want) {
					t.Errorf("%s: %T position %s points at %.12q, want %q", name, n, pos, got, want)
				}
			}
			return true
		})
	}
}

// TestSpans checks Span for the nodes whose span is a child's.
func TestSpans(t *testing.T) {
	src := "function f(a: int[]?, b: A | B) { x.y[1](2) + -z; q = 1; }"
	f := mustParse(t, src)
	fn := f.Decls[0].(*FuncDecl)
	stmt0 := fn.Body.Stmts[0].(*ExprStmt)
	bin := stmt0.X.(*BinaryExpr)
	call := bin.X.(*CallExpr)
	index := call.Fn.(*IndexExpr)
	dot := index.X.(*DotExpr)
	tests := []struct {
		n    Node
		want int32
	}{
		{fn.Params[0], 12}, {fn.Params[0].Type, 15}, {fn.Params[0].Type.(*OptionalType).Elem, 15},
		{fn.Params[1].Type, 26},
		{stmt0, 35}, {bin, 35}, {call, 35}, {index, 35}, {dot, 35},
		{bin.Y, 47}, {fn.Body.Stmts[1], 51},
	}
	for _, tt := range tests {
		if got := tt.n.Span(); got != (Pos{1, tt.want}) {
			t.Errorf("%T: span %s, want 1:%d", tt.n, got, tt.want)
		}
	}
}
