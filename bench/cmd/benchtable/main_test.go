package main

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestParseLine(t *testing.T) {
	tests := []struct {
		line        string
		bench, impl string
		figs        []figure
		ok          bool
	}{
		{"BenchmarkFib27/bex-2   \t 30\t  41000000 ns/op\t  25000000 cpu-ns/op", "Fib27", "bex",
			[]figure{{41e6, "ns/op"}, {25e6, "cpu-ns/op"}}, true},
		{"BenchmarkLoop10M/gopherlua-8 1 1107029710 ns/op", "Loop10M", "gopherlua", []figure{{1107029710, "ns/op"}}, true},
		{"BenchmarkFib27/native 363 4271011 ns/op 0 B/op 0 allocs/op", "Fib27", "native",
			[]figure{{4271011, "ns/op"}, {0, "B/op"}, {0, "allocs/op"}}, true},
		{"BenchmarkBridgeRatio-2 1 5 ns/op 0.88 ratio", "BridgeRatio", "", []figure{{5, "ns/op"}, {0.88, "ratio"}}, true},
		{"BenchmarkBridge100k-2 1 5 ns/op 7 sdk:ns/span", "Bridge100k", "", []figure{{5, "ns/op"}, {7, "sdk:ns/span"}}, true},
		{"BenchmarkFib27/bex-2 --- FAIL", "", "", nil, false},
		{"ok  	github.com/bexrun/bex/bench	23.6s", "", "", nil, false},
		{"PASS", "", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			bench, impl, figs, ok := parseLine(tt.line)
			if ok != tt.ok || bench != tt.bench || impl != tt.impl || !slices.Equal(figs, tt.figs) {
				t.Errorf("parseLine = %q %q %v %v", bench, impl, figs, ok)
			}
		})
	}
}

// TestReport checks the whole report on a recorded run (testdata/run.txt)
// against testdata/report.golden.
func TestReport(t *testing.T) {
	in, err := os.Open(filepath.Join("testdata", "run.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := parse(in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, r)
	golden := filepath.Join("testdata", "report.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestMedianAndRatio(t *testing.T) {
	in := `BenchmarkFib27/bex-2 10 40000000 ns/op 20000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 80000000 ns/op 60000000 cpu-ns/op
BenchmarkFib27/bex-2 10 50000000 ns/op 30000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 90000000 ns/op 70000000 cpu-ns/op
BenchmarkFib27/bex-2 10 45000000 ns/op 25000000 cpu-ns/op
BenchmarkFib27/gopherlua-2 4 85000000 ns/op 65000000 cpu-ns/op
`
	r, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, r)
	want := `## VM: fib(27) and a 10M-iteration loop, bex against gopher-lua, starlark-go and Go
benchmark  impl       runs  cpu ms/op  wall ms/op  bex/impl cpu (wall)
Fib27      bex           3      25.00       45.00
Fib27      gopherlua     3      65.00       85.00          0.38 (0.53)

## Budgets
budget (SPEC §7)                       measured  limit  verdict
VM fib(27): bex/gopher-lua, CPU time        0.38   <= 1      met
`
	if b.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestImplPrefixedUnits(t *testing.T) {
	in := "BenchmarkBridge100k-2 2 9 ns/op 120 bridge:cpu-ns/span 0 bridge:dropped 100 sdk:cpu-ns/span 0 sdk:dropped\n"
	r, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.get("Bridge100k", "bridge", "cpu-ns/span"); !ok || v != 120 {
		t.Errorf("bridge cpu-ns/span = %v, %v", v, ok)
	}
	if v, ok := ratio("Bridge100k", "bridge", "sdk", "cpu-ns/span")(r); !ok || v != 1.2 {
		t.Errorf("ratio = %v, %v", v, ok)
	}
}

func TestParseSection(t *testing.T) {
	in := `BenchmarkParse/valid-encoding-json-2 50000 11000 ns/op 110.0 MB/s 12000 cpu-ns/op 3208 B/op 37 allocs/op
BenchmarkParse/valid-bex-2 20000 25000 ns/op 52.9 MB/s 24000 cpu-ns/op 20080 B/op 247 allocs/op
BenchmarkParseNested1MB/bex-2 100 7000000 ns/op 149.8 MB/s 6900000 cpu-ns/op 5372377 B/op 1357 allocs/op
`
	r, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, r)
	want := `## Output parsing: a 1.3 KB reply to a class with a list of ten items; encoding/json decoding the same JSON into a Go struct, then typical messy replies
benchmark  impl                 runs  cpu ns/op  wall ns/op   MB/s  allocs/op   B/op  impl/encoding-json cpu (wall)
Parse      valid-encoding-json     1      12000       11000  110.0         37   3208
Parse      valid-bex               1      24000       25000   52.9        247  20080                    2.00 (2.27)

## Output parsing of a pathological 1 MB reply: opening brackets ([[[[...) to int[]
benchmark       impl  runs  cpu ms/op  wall ms/op
ParseNested1MB  bex      1       6.90        7.00

`
	if got := b.String(); !strings.HasPrefix(got, want) {
		t.Errorf("report:\n%s\nwant it to start with:\n%s", got, want)
	}
}
