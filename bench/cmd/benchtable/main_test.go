package main

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line        string
		bench, impl string
		wall, cpu   float64
		ok          bool
	}{
		{"BenchmarkFib27/bex-2   \t 30\t  41000000 ns/op\t  25000000 cpu-ns/op", "Fib27", "bex", 41e6, 25e6, true},
		{"BenchmarkLoop10M/gopherlua-8 1 1107029710 ns/op", "Loop10M", "gopherlua", 1107029710, 0, true},
		{"BenchmarkFib27/native 363 4271011 ns/op 0 B/op 0 allocs/op", "Fib27", "native", 4271011, 0, true},
		{"BenchmarkFib27-2 10 5 ns/op", "", "", 0, 0, false}, // no implementation
		{"ok  	github.com/bexrun/bex/bench	23.6s", "", "", 0, 0, false},
		{"PASS", "", "", 0, 0, false},
	}
	for _, tt := range tests {
		k, wall, cpu, ok := parseLine(tt.line)
		if ok != tt.ok || k.bench != tt.bench || k.impl != tt.impl || wall != tt.wall || cpu != tt.cpu {
			t.Errorf("parseLine(%q) = %v %v %v %v", tt.line, k, wall, cpu, ok)
		}
	}
}

func TestTable(t *testing.T) {
	in := `goos: linux
BenchmarkFib27/bex-2 10 40000000 ns/op 20000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 80000000 ns/op 60000000 cpu-ns/op
BenchmarkFib27/bex-2 10 50000000 ns/op 30000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 90000000 ns/op 70000000 cpu-ns/op
BenchmarkFib27/bex-2 10 45000000 ns/op 25000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 85000000 ns/op 65000000 cpu-ns/op
PASS
`
	results, order, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, results, order)
	want := `benchmark  impl        runs     wall ms/op      cpu ms/op bex/impl cpu (wall)
Fib27      bex            3          45.00          25.00 
Fib27      gopherlua      3          85.00          65.00 0.38 (0.53)
target Fib27: bex/gopherlua = 0.38 <= 1.0: met
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
