package llm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/types"
)

// TestBAMLDifferential feeds the replies of parseCases to the reference
// BAML runtime (npm @boundaryml/baml, run by testdata/baml/oracle.js
// against a fake OpenAI server) and to ParseOutput. It checks that BAML
// gives what each case says it gives (want or err, or baml where bex
// deliberately differs), so that the table documents BAML's behaviour, and
// reports how often the two runtimes agree. The directory of the BAML
// install comes from BEX_BAML_DIR (scripts/test.sh sets it through
// scripts/baml.sh).
func TestBAMLDifferential(t *testing.T) {
	node, dir := bamlOracle(t)
	all := append([]parseCase(nil), parseCases...)
	for _, h := range heldOutReplies {
		all = append(all, parseCase{typ: h.typ, reply: h.reply})
	}
	source, fn := bamlProgram(all)
	outs := runOracle(t, node, dir, oracleInput(source, fn, all))
	if len(outs) != len(parseCases)+len(heldOutReplies) {
		t.Fatalf("the oracle answered %d of %d cases: %v", len(outs), len(parseCases)+len(heldOutReplies), outs)
	}
	heldOut := outs[len(parseCases):]
	outs = outs[:len(parseCases)]
	agree, differ := 0, map[string]bool{}
	for i, tc := range parseCases {
		baml := outs[i]
		if !baml.matches(tc.expectBAML()) {
			t.Errorf("%s: BAML gives %s, the table says %s", tc.name, baml, tc.expectBAML())
		}
		if baml.matches(bexOutcome(tc)) {
			agree++
		} else {
			differ[tc.name] = true
			if tc.baml == "" {
				t.Errorf("%s: bex gives %s, BAML %s", tc.name, bexOutcome(tc), baml)
			}
		}
	}
	var names []string
	for n := range differ {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("bex agrees with BAML on %d of %d replies of the table (%.1f%%); deliberate differences: %s",
		agree, len(parseCases), 100*float64(agree)/float64(len(parseCases)), strings.Join(names, "; "))
	agree = 0
	for i, h := range heldOutReplies {
		bex := bexOutcome(parseCase{typ: h.typ, reply: h.reply})
		if heldOut[i].matches(bex) {
			agree++
			continue
		}
		t.Errorf("held-out reply %d (%s) %q: bex gives %s, BAML %s", i, h.typ, h.reply, bex, heldOut[i])
	}
	t.Logf("bex agrees with BAML on %d of %d held-out replies (%.1f%%)", agree, len(heldOutReplies), 100*float64(agree)/float64(len(heldOutReplies)))
}

// TestBAMLDifferentialMutations feeds both runtimes replies made by
// mutating the replies of the table and the held-out set (bytes inserted,
// deleted, the end cut off; a fixed seed) and checks that they agree on
// nearly all of them: the rest are bex's deliberate differences (see the
// package docs), which random text hits now and then.
func TestBAMLDifferentialMutations(t *testing.T) {
	node, dir := bamlOracle(t)
	seeds := append([]parseCase(nil), parseCases...)
	for _, h := range heldOutReplies {
		seeds = append(seeds, parseCase{typ: h.typ, reply: h.reply})
	}
	rng := rand.New(rand.NewPCG(17, 2026))
	pieces := []string{"{", "}", "[", "]", ",", ":", "\"", "'", " ", "\n", "```", "```json\n", "//", "/*", "*/",
		"true", "null", "1", "2.5", "x", "\\", "\\n", "`", `"""`, "#", "$", "%", "1/2", "é"}
	var cases []parseCase
	for range 1000 {
		s := seeds[rng.IntN(len(seeds))]
		r := []byte(s.reply)
		for range 1 + rng.IntN(3) {
			p := rng.IntN(len(r) + 1)
			switch rng.IntN(3) {
			case 0:
				r = append(r[:p], append([]byte(pieces[rng.IntN(len(pieces))]), r[p:]...)...)
			case 1:
				r = append(r[:p], r[min(p+1+rng.IntN(3), len(r)):]...)
			case 2:
				r = r[:p]
			}
		}
		cases = append(cases, parseCase{typ: s.typ, reply: string(r)})
	}
	source, fn := bamlProgram(seeds)
	outs := runOracle(t, node, dir, oracleInput(source, fn, cases))
	if len(outs) != len(cases) {
		t.Fatalf("the oracle answered %d of %d cases", len(outs), len(cases))
	}
	agree := 0
	for i, tc := range cases {
		if bex := bexOutcome(tc); outs[i].matches(bex) {
			agree++
		} else {
			t.Logf("%s %q: bex gives %s, BAML %s", tc.typ, tc.reply, bex, outs[i])
		}
	}
	rate := 100 * float64(agree) / float64(len(cases))
	t.Logf("bex agrees with BAML on %d of %d mutated replies (%.1f%%)", agree, len(cases), rate)
	if rate < 99 {
		t.Errorf("agreement on mutated replies fell to %.1f%%: see the differences above", rate)
	}
}

// bamlOracle returns node and the BAML install directory, or skips.
func bamlOracle(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("BEX_BAML_DIR")
	if dir == "" {
		t.Skip("BEX_BAML_DIR is not set: run `bash scripts/baml.sh` (needs node and npm) and export its output")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@boundaryml", "baml")); err != nil {
		t.Skipf("no BAML runtime under BEX_BAML_DIR: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the BAML runtime cannot run")
	}
	return node, dir
}

type oracleCase struct {
	Function string `json:"function"`
	Reply    string `json:"reply"`
	Partial  bool   `json:"partial,omitempty"` // parse the reply as a stream's partial reply
}

type oracleRequest struct {
	Source string       `json:"source"`
	Cases  []oracleCase `json:"cases"`
}

func oracleInput(source string, fn map[string]string, cases []parseCase) oracleRequest {
	in := oracleRequest{Source: source}
	for _, tc := range cases {
		in.Cases = append(in.Cases, oracleCase{Function: fn[bamlType(tc.typ)], Reply: tc.reply})
	}
	return in
}

// An outcome is what a runtime made of a reply: a value (JSON) or an error.
type outcome struct {
	OK    any     `json:"ok"`
	Error *string `json:"error"`
	Fatal string  `json:"fatal"`
}

func (o outcome) String() string {
	if o.Error != nil {
		return "error (" + *o.Error + ")"
	}
	b, _ := json.Marshal(o.OK)
	return string(b)
}

// matches reports whether both are errors or both the same value.
func (o outcome) matches(p outcome) bool {
	if (o.Error != nil) != (p.Error != nil) {
		return false
	}
	return o.Error != nil || reflect.DeepEqual(o.OK, p.OK)
}

// expectBAML returns the outcome the case says BAML gives.
func (tc parseCase) expectBAML() outcome {
	text := tc.want
	if tc.baml != "" {
		text = tc.baml
	}
	if text == "error" || tc.baml == "" && tc.err != "" {
		e := "an error"
		return outcome{Error: &e}
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		panic(fmt.Sprintf("%s: bad JSON %q", tc.name, text))
	}
	return outcome{OK: v}
}

// bexOutcome parses the case's reply with ParseOutput.
func bexOutcome(tc parseCase) outcome {
	p, err := ParseOutput(tc.reply, tc.typ, ParseOptions{})
	if err != nil {
		e := err.Error()
		return outcome{Error: &e}
	}
	var v any
	b, _ := json.Marshal(snapshotJSON(p.Value))
	_ = json.Unmarshal(b, &v)
	return outcome{OK: v}
}

func runOracle(t *testing.T, node, dir string, in any) []outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "baml", "oracle.js"))
	cmd.Env = append(os.Environ(), "BEX_BAML_DIR="+dir, "BAML_LOG=off")
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = strings.NewReader(string(b))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	var outs []outcome
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var o outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		if o.Fatal != "" {
			t.Fatalf("BAML rejects the test program: %s", o.Fatal)
		}
		outs = append(outs, o)
	}
	return outs
}

// bamlProgram declares the classes and enums the cases use, as BAML source,
// and one function per return type; fn maps a type (as written) to the
// name of its function.
func bamlProgram(cases []parseCase) (source string, fn map[string]string) {
	var b strings.Builder
	d := bamlDecls{seenClass: map[*types.ClassDecl]bool{}, seenEnum: map[*types.EnumDecl]bool{}, out: &b}
	fn = map[string]string{}
	var types []string
	for _, tc := range cases {
		d.walk(tc.typ)
		if _, ok := fn[bamlType(tc.typ)]; !ok {
			fn[bamlType(tc.typ)] = fmt.Sprintf("F%d", len(types))
			types = append(types, bamlType(tc.typ))
		}
	}
	for i, typ := range types {
		fmt.Fprintf(&b, "function F%d(x: string) -> %s {\n  client Oracle\n  prompt #\"{{ x }} {{ ctx.output_format }}\"#\n}\n", i, typ)
	}
	return b.String(), fn
}

// bamlType is t as BAML source; nil (a string for ParseOutput) is string.
func bamlType(t *types.Type) string {
	if t == nil {
		return "string"
	}
	return t.String()
}

type bamlDecls struct {
	seenClass map[*types.ClassDecl]bool
	seenEnum  map[*types.EnumDecl]bool
	out       *strings.Builder
}

func (d *bamlDecls) walk(s *types.Type) {
	if s == nil {
		return
	}
	switch s.Kind {
	case types.List, types.Map, types.Optional:
		d.walk(s.Elem)
	case types.Union:
		for _, v := range s.Variants {
			d.walk(v)
		}
	case types.Class:
		if d.seenClass[s.Class] {
			return
		}
		d.seenClass[s.Class] = true
		fmt.Fprintf(d.out, "class %s {\n", s.Class.Name)
		for _, f := range s.Class.Fields {
			fmt.Fprintf(d.out, "  %s %s%s%s\n", f.Name, f.Type, attrs(f.Alias, f.Description), streamAttrs(f.Stream, "@"))
		}
		if s.Class.Description != "" {
			fmt.Fprintf(d.out, "  @@description(#\"%s\"#)\n", s.Class.Description)
		}
		if a := streamAttrs(s.Class.Stream, "@@"); a != "" {
			fmt.Fprintf(d.out, " %s\n", a)
		}
		d.out.WriteString("}\n")
		for _, f := range s.Class.Fields {
			d.walk(f.Type)
		}
	case types.Enum:
		if d.seenEnum[s.Enum] {
			return
		}
		d.seenEnum[s.Enum] = true
		fmt.Fprintf(d.out, "enum %s {\n", s.Enum.Name)
		for _, v := range s.Enum.Values {
			fmt.Fprintf(d.out, "  %s%s\n", v.Name, attrs(v.Alias, v.Description))
		}
		d.out.WriteString("}\n")
	}
}

func attrs(alias, desc string) string {
	s := ""
	if alias != "" {
		s += ` @alias(#"` + alias + `"#)`
	}
	if desc != "" {
		s += ` @description(#"` + desc + `"#)`
	}
	return s
}

// streamAttrs renders streaming attributes, each with the prefix (@ for a
// field, @@ for a class).
func streamAttrs(a types.Stream, prefix string) string {
	s := ""
	for _, x := range []struct {
		on   bool
		name string
	}{{a.Done, "done"}, {a.NotNull, "not_null"}, {a.WithState, "with_state"}} {
		if x.on {
			s += " " + prefix + "stream." + x.name
		}
	}
	return s
}
