package syntax

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse, ParseExpr and ParseTypes never panic, that every error
// is positioned and one line long, and that error-free trees are
// well-formed. Seeds: the committed corpus in testdata/fuzz/FuzzParse and
// the .baml programs in testdata.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.baml")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.baml", src)
		if file == nil {
			t.Fatal("Parse returned a nil File")
		}
		lines := int32(strings.Count(string(src), "\n") + 1)
		checkErrors(t, err, lines)
		if err == nil {
			checkTree(t, file, lines)
			if again, _ := Parse("fuzz.baml", src); Sprint(again) != Sprint(file) {
				t.Fatal("Parse is not deterministic")
			}
		}
		x, err := ParseExpr("fuzz.baml", src)
		checkErrors(t, err, lines)
		if err == nil {
			checkTree(t, x, lines)
		}
		tb, err := ParseTypes("fuzz.baml", src)
		checkErrors(t, err, lines)
		if err == nil {
			for _, d := range tb.Decls {
				checkTree(t, d, lines)
			}
		}
	})
}

func checkErrors(t *testing.T, err error, lines int32) {
	if err == nil {
		return
	}
	list, ok := err.(ErrorList)
	if !ok || len(list) == 0 || len(list) > maxErrors+1 {
		t.Fatalf("bad error value %T with %d entries", err, len(list))
	}
	for i, e := range list {
		if !e.Pos.IsValid() || e.Pos.Line > lines || e.Pos.Col < 1 {
			t.Errorf("error at bad position: %v", e)
		}
		if e.Msg == "" || strings.ContainsAny(e.Msg, "\n\r") {
			t.Errorf("bad message: %q", e.Msg)
		}
		if i > 0 && e.Pos.Before(list[i-1].Pos) {
			t.Errorf("errors not sorted: %v before %v", list[i-1], e)
		}
	}
}

func checkTree(t *testing.T, root Node, lines int32) {
	Walk(root, func(n Node) bool {
		if pos := n.Span(); !pos.IsValid() || pos.Line > lines {
			t.Errorf("%T has bad span %s", n, pos)
		}
		return true
	})
	_ = Sprint(root)
}
