// Command benchtable reads `go test -bench` output of the bench package (and
// of otelbridge's BenchmarkBridgeRatio) on stdin and prints one report:
// a table per group of benchmarks with the median of every figure over the
// repetitions, the ratios that SPEC §7 budgets, and a verdict per budget.
//
// A result line looks like
//
//	BenchmarkFib27/bex-2   30   41000000 ns/op   25000000 cpu-ns/op
//
// The name gives the group (Fib27) and the implementation (bex). A figure
// whose unit has the form impl:unit belongs to that implementation of the
// group instead, so that one benchmark can report two implementations
// measured in turn in the same op (BenchmarkBridge100k reports bridge:ns/span
// and sdk:ns/span). Ratios are given in CPU time (which excludes the time the
// process waited for a CPU on a busy machine) and, in parentheses, in
// wall-clock time.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A key names one implementation of one benchmark group.
type key struct{ bench, impl string }

// results holds every figure by key and unit, and the groups in the order
// first seen.
type results struct {
	vals  map[key]map[string][]float64
	runs  map[key]int
	order []string
}

func main() {
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(r.vals) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, r)
}

// parse reads benchmark lines.
func parse(in io.Reader) (*results, error) {
	r := &results{vals: map[key]map[string][]float64{}, runs: map[key]int{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		bench, impl, figs, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		if !slices.Contains(r.order, bench) {
			r.order = append(r.order, bench)
		}
		seen := map[key]bool{}
		for _, f := range figs {
			k := key{bench, impl}
			unit := f.unit
			if i, u, found := strings.Cut(f.unit, ":"); found {
				k.impl, unit = i, u
			}
			if r.vals[k] == nil {
				r.vals[k] = map[string][]float64{}
			}
			r.vals[k][unit] = append(r.vals[k][unit], f.v)
			if !seen[k] {
				seen[k] = true
				r.runs[k]++
			}
		}
	}
	return r, sc.Err()
}

type figure struct {
	v    float64
	unit string
}

// parseLine parses "BenchmarkX[/impl]-N  iters  v unit  v unit ...".
func parseLine(line string) (bench, impl string, figs []figure, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", "", nil, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return "", "", nil, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // drop the GOMAXPROCS suffix
		}
	}
	bench, impl, _ = strings.Cut(name, "/")
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", "", nil, false
		}
		figs = append(figs, figure{v, f[i+1]})
	}
	return bench, impl, figs, len(figs) > 0
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// get returns the median of a figure, and whether there is one.
func (r *results) get(bench, impl, unit string) (float64, bool) {
	xs := r.vals[key{bench, impl}][unit]
	return median(xs), len(xs) > 0
}

// has reports whether there are figures of the group bench.
func (r *results) has(bench string) bool { return slices.Contains(r.order, bench) }

// impls lists the implementations of bench: those of first, in its order,
// then the others by name.
func (r *results) impls(bench string, first ...string) []string {
	var rest []string
	for k := range r.vals {
		if k.bench == bench && !slices.Contains(first, k.impl) {
			rest = append(rest, k.impl)
		}
	}
	sort.Strings(rest)
	var out []string
	for _, f := range first {
		if _, ok := r.vals[key{bench, f}]; ok {
			out = append(out, f)
		}
	}
	return append(out, rest...)
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
