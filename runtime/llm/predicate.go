// predicate.go evaluates the Jinja expressions of @assert and @check
// constraints and of test blocks, with the template engine of the prompts.

package llm

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"github.com/bexrun/bex/internal/memo"
	"github.com/bexrun/bex/vmspan"
)

// EvalPredicate evaluates expr, a Jinja expression as written between
// {{ and }} in an @assert, @check, @@assert or @@check, with the variables
// vars (values in snapshot form: classes are seen as maps of their fields,
// enum values as their variant's name) and reports its value. As in BAML,
// the expression must evaluate to a boolean: anything else, an undefined
// name or attribute, or a failing filter is an error. Besides the standard
// filters, regex_match(pattern) reports whether a string contains a match
// of the regular expression (Go's RE2 syntax; anchor it with ^ and $ to
// match the whole string).
//
// Compiled expressions are cached; EvalPredicate is safe for concurrent use.
func EvalPredicate(expr string, vars map[string]any) (ok bool, err error) {
	x, err := compilePredicate(expr)
	if err != nil {
		return false, err
	}
	defer func() {
		if p := recover(); p != nil { // a template engine failure must not crash the call
			ok, err = false, fmt.Errorf("evaluating {{ %s }}: template engine failure: %v", expr, p)
		}
	}()
	ctx := predicateContext.Inherit()
	for k, v := range vars {
		ctx.Set(k, predicateValue(v, 0))
	}
	ev := &exec.Evaluator{Config: predicateConfig, Environment: &exec.Environment{
		Context: ctx, Filters: predicateFilters, Tests: builtins.Tests,
		ControlStructures: builtins.ControlStructures, Methods: builtins.Methods,
	}}
	v := ev.Eval(x)
	switch {
	case v.IsError():
		return false, fmt.Errorf("evaluating {{ %s }}: %s", expr, v.Error())
	case !v.IsBool():
		return false, fmt.Errorf("{{ %s }} is %s, not a boolean", expr, excerpt(v.String(), 60))
	}
	return v.Bool(), nil
}

var (
	predicateConfig = func() *config.Config {
		cfg := config.New()
		cfg.StrictUndefined = true // a misspelt field is an error, not a silent false
		return cfg
	}()
	predicateContext = exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	predicateFilters = func() *exec.FilterSet {
		fs := exec.NewFilterSet(map[string]exec.FilterFunction{"regex_match": filterRegexMatch})
		return fs.Update(builtins.Filters)
	}()
)

// predicates caches compiled expressions by their text.
var predicates = memo.NewStrings(4096, parsePredicate)

type compiledPredicate struct {
	x   nodes.Expression
	err error
}

// compilePredicate parses expr as the expression of a {{ }} block.
func compilePredicate(expr string) (nodes.Expression, error) {
	cp := predicates.Get(expr)
	return cp.x, cp.err
}

func parsePredicate(expr string) (cp *compiledPredicate) {
	defer func() {
		if p := recover(); p != nil {
			cp = &compiledPredicate{err: fmt.Errorf("{{ %s }}: template engine failure: %v", expr, p)}
		}
	}()
	if strings.Contains(expr, "}}") || strings.Contains(expr, "{%") {
		return &compiledPredicate{err: fmt.Errorf("{{ %s }}: not a single expression", expr)}
	}
	p := parser.NewParser("constraint", tokens.LexAll("{{ "+expr+" }}", predicateConfig), predicateConfig, nil, builtins.ControlStructures)
	tpl, err := p.Parse()
	if err != nil {
		return &compiledPredicate{err: fmt.Errorf("{{ %s }}: %w", expr, err)}
	}
	if len(tpl.Nodes) != 1 {
		return &compiledPredicate{err: fmt.Errorf("{{ %s }}: not a single expression", expr)}
	}
	out, ok := tpl.Nodes[0].(*nodes.Output)
	if !ok || out.Condition != nil {
		return &compiledPredicate{err: fmt.Errorf("{{ %s }}: not a single expression", expr)}
	}
	return &compiledPredicate{x: out.Expression}
}

// CheckPredicate compiles expr without evaluating it, reporting a syntax
// error. The compiler's callers use it to reject a bad constraint before
// any call.
func CheckPredicate(expr string) error {
	_, err := compilePredicate(expr)
	return err
}

// filterRegexMatch is BAML's regex_match filter: whether the string
// contains a match of the pattern.
func filterRegexMatch(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if len(params.Args) != 1 || len(params.KwArgs) != 0 {
		return exec.AsValue(exec.ErrInvalidCall(errors.New("regex_match takes one pattern")))
	}
	re := regexMatchPatterns.Get(params.Args[0].String())
	if re.err != nil {
		return exec.AsValue(exec.ErrInvalidCall(fmt.Errorf("regex_match: %w", re.err)))
	}
	return exec.AsValue(re.re.MatchString(in.String()))
}

// regexMatchPatterns caches the patterns of regex_match, compiled: a
// constraint's pattern is the same at each evaluation.
var regexMatchPatterns = memo.NewStrings(4096, func(p string) compiledRegexp {
	re, err := regexp.Compile(p)
	return compiledRegexp{re, err}
})

type compiledRegexp struct {
	re  *regexp.Regexp
	err error
}

// predicateValue converts a snapshot value to what an expression sees:
// a class as a map of its fields, an enum value as its variant's name,
// media as a map of its reference (url, media_type, ...).
func predicateValue(v any, depth int) any {
	if depth > 200 {
		return nil
	}
	switch x := v.(type) {
	case vmspan.Object:
		m := make(map[string]any, len(x.Fields))
		for _, f := range x.Fields {
			m[f.Name] = predicateValue(f.Value, depth+1)
		}
		return m
	case vmspan.Enum:
		return x.Value
	case *vmspan.Media:
		return map[string]any{"url": x.URL, "media_type": x.MediaType}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = predicateValue(e, depth+1)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = predicateValue(e, depth+1)
		}
		return out
	}
	return v
}
