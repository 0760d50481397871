// Command benchtable reads `go test -bench` output of the bench package on
// stdin and prints one table: the median time per operation of each
// benchmark and implementation, and the ratios of bex to the others.
//
// Each result line looks like
//
//	BenchmarkFib27/bex-2   30   41000000 ns/op   25000000 cpu-ns/op
//
// Medians are taken over the -count repetitions. Ratios are given in CPU
// time (cpu-ns/op, which excludes time the process spent waiting for a CPU
// on a busy machine) and, in parentheses, in wall-clock time.
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

// A key names one benchmark run: the benchmark and the implementation.
type key struct{ bench, impl string }

// samples holds the measurements of one key.
type samples struct{ wall, cpu []float64 }

func main() {
	results, order, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	write(os.Stdout, results, order)
}

// parse reads benchmark lines, returning the samples and the benchmarks in
// the order first seen.
func parse(r io.Reader) (map[key]*samples, []string, error) {
	results := map[key]*samples{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, wall, cpu, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		s := results[k]
		if s == nil {
			s = &samples{}
			results[k] = s
			if !slices.Contains(order, k.bench) {
				order = append(order, k.bench)
			}
		}
		s.wall = append(s.wall, wall)
		if cpu > 0 {
			s.cpu = append(s.cpu, cpu)
		}
	}
	return results, order, sc.Err()
}

// parseLine parses one "BenchmarkX/impl-N  iters  T ns/op  [C cpu-ns/op]" line.
func parseLine(line string) (k key, wall, cpu float64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return key{}, 0, 0, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // drop the GOMAXPROCS suffix
		}
	}
	bench, impl, found := strings.Cut(name, "/")
	if !found {
		return key{}, 0, 0, false
	}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			wall, ok = v, true
		case "cpu-ns/op":
			cpu = v
		}
	}
	return key{bench, impl}, wall, cpu, ok
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

// impls lists the implementations in table order: bex first, then the rest
// by name.
func impls(results map[key]*samples, bench string) []string {
	var names []string
	for k := range results {
		if k.bench == bench && k.impl != "bex" {
			names = append(names, k.impl)
		}
	}
	sort.Strings(names)
	if _, ok := results[key{bench, "bex"}]; ok {
		names = append([]string{"bex"}, names...)
	}
	return names
}

func write(w io.Writer, results map[key]*samples, order []string) {
	fmt.Fprintf(w, "%-10s %-10s %5s %14s %14s %s\n", "benchmark", "impl", "runs", "wall ms/op", "cpu ms/op", "bex/impl cpu (wall)")
	for _, bench := range order {
		bex := results[key{bench, "bex"}]
		for _, impl := range impls(results, bench) {
			s := results[key{bench, impl}]
			ratio := ""
			if bex != nil && impl != "bex" {
				ratio = fmt.Sprintf("%.2f (%.2f)", safeDiv(median(bex.cpu), median(s.cpu)), safeDiv(median(bex.wall), median(s.wall)))
			}
			fmt.Fprintf(w, "%-10s %-10s %5d %14.2f %14.2f %s\n", bench, impl, len(s.wall), median(s.wall)/1e6, median(s.cpu)/1e6, ratio)
		}
	}
	for _, bench := range order {
		bex, lua := results[key{bench, "bex"}], results[key{bench, "gopherlua"}]
		if bex == nil || lua == nil {
			continue
		}
		r := safeDiv(median(bex.cpu), median(lua.cpu))
		verdict := "met"
		if r > 1 {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "target %s: bex/gopherlua = %.2f <= 1.0: %s\n", bench, r, verdict)
	}
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
