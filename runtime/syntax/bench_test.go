package syntax

import (
	"bytes"
	"os"
	"testing"
)

func benchSource(b *testing.B) []byte {
	src, err := os.ReadFile("testdata/all_forms.baml")
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func BenchmarkParse(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.baml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	src := bytes.Repeat(benchSource(b), 10)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		s := newScanner(src, func(Pos, string) {}) // unquoted strings (llama-3.1-8b) are the parser's job
		var tv tokenValue
		for s.next(&tv) != EOF {
		}
	}
}
