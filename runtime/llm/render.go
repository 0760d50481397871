// render.go renders prompt templates with gonja and splits them into chat messages.

package llm

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// Chat roles accepted by _.role.
var validRoles = map[string]bool{"system": true, "user": true, "assistant": true}

// templates compiles prompt templates once and renders them per call. It is
// safe for concurrent use.
type templates struct {
	cache       sync.Map // promptKey -> *compiled
	marker      string   // role marker prefix; holds a per-runtime nonce
	mediaMarker string   // media marker prefix; holds the same nonce
	cfg         *config.Config
	env         *exec.Environment
	noPlan      bool // render every template with gonja (tests compare the two)
}

type promptKey struct {
	file string
	line int
	text string
}

type compiled struct {
	once sync.Once
	tpl  *exec.Template
	plan *plan // nil unless the template is simple enough (see plan)
	err  error
	// format caches the output format of the last schema rendered: a
	// function's schema is built once, so it is nearly always the same.
	format atomic.Pointer[schemaFormat]
}

type schemaFormat struct {
	schema *types.Type
	text   string
}

// outputFormat returns OutputFormatWith(s, o), cached for the last schema
// of calls without dynamic types (o == nil).
func (c *compiled) outputFormat(s *types.Type, o *types.Overlay) string {
	if o != nil {
		return OutputFormatWith(s, o)
	}
	if f := c.format.Load(); f != nil && f.schema == s {
		return f.text
	}
	f := &schemaFormat{s, OutputFormat(s)}
	c.format.Store(f)
	return f.text
}

func newTemplates(nonce string) *templates {
	cfg := config.New()
	// Undefined names are errors: a misspelt argument must not silently
	// render as nothing. `x is defined` still works.
	cfg.StrictUndefined = true
	env := &exec.Environment{
		Context:           exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables),
		Filters:           builtins.Filters,
		Tests:             builtins.Tests,
		ControlStructures: builtins.ControlStructures,
		Methods:           builtins.Methods,
	}
	return &templates{marker: "\x00role:" + nonce + ":", mediaMarker: "\x00media:" + nonce + ":", cfg: cfg, env: env}
}

const templateName = "/prompt"

// get returns the compiled template for a prompt, compiling it on first use.
func (t *templates) get(req *Request) (*compiled, error) {
	key := promptKey{req.PromptFile, req.PromptLine, req.Prompt}
	v, ok := t.cache.Load(key)
	if !ok {
		v, _ = t.cache.LoadOrStore(key, &compiled{})
	}
	c := v.(*compiled)
	c.once.Do(func() {
		defer recoverTo(&c.err, req)
		// A memory loader serving only this template: {% include %} and
		// {% extends %} cannot read the file system.
		src := dedent(req.Prompt)
		ld, err := loaders.NewMemoryLoader(map[string]string{templateName: src})
		if err == nil {
			c.tpl, err = exec.NewTemplate(templateName, t.cfg, ld, t.env)
		}
		if err != nil {
			c.err = compileError(req, err)
			return
		}
		c.plan = planOf(src, t.roleMarker)
	})
	return c, c.err
}

// roleMarker is what _.role(role) prints: a marker that split cuts at.
func (t *templates) roleMarker(role string) string { return t.marker + role + "\x00" }

// render renders req's prompt and splits it into messages.
func (t *templates) render(req *Request, clientName, provider, defaultRole string) ([]vmspan.Message, error) {
	c, err := t.get(req)
	if err != nil {
		return nil, err
	}
	if c.plan != nil && !t.noPlan {
		format := func() string { return c.outputFormat(req.Output, req.Types) }
		if out, ok := c.plan.render(req, format, clientName, provider); ok {
			return t.messages(req, out, defaultRole, nil)
		}
	}
	data := make(map[string]any, len(req.Args)+2)
	cv := &tplConv{marker: t.mediaMarker}
	for _, a := range req.Args {
		data[a.Name] = cv.value(a.Value)
	}
	data["ctx"] = map[string]any{
		"output_format": c.outputFormat(req.Output, req.Types),
		"client":        map[string]any{"name": clientName, "provider": provider},
	}
	data["_"] = map[string]any{"role": t.roleFunc()}
	out, err := execute(c.tpl, data, req)
	if pe := (*PromptError)(nil); errors.As(err, &pe) {
		return nil, pe
	}
	if err != nil {
		return nil, renderError(req, err)
	}
	return t.messages(req, out, defaultRole, cv.media)
}

// messages splits rendered text into messages; text that renders to no
// message is an error.
func (t *templates) messages(req *Request, out, defaultRole string, media []*vmspan.Media) ([]vmspan.Message, error) {
	msgs := t.split(out, defaultRole, media)
	if len(msgs) == 0 {
		return nil, &PromptError{Function: req.Function, File: req.PromptFile, Line: req.PromptLine, Msg: "the prompt renders to empty text"}
	}
	return msgs, nil
}

// execute runs a compiled template.
func execute(tpl *exec.Template, data map[string]any, req *Request) (out string, err error) {
	defer recoverTo(&err, req)
	return tpl.ExecuteToString(exec.NewContext(data))
}

// recoverTo turns a panic of the template engine into a *PromptError: a bad
// template must fail its call, not crash the process.
func recoverTo(err *error, req *Request) {
	if p := recover(); p != nil {
		*err = &PromptError{Function: req.Function, File: req.PromptFile, Line: req.PromptLine, Msg: fmt.Sprintf("template engine failure: %v", p), rendering: true}
	}
}

func (t *templates) roleFunc() func(string) (string, error) {
	return func(role string) (string, error) {
		if !validRoles[role] {
			return "", fmt.Errorf("_.role(%q): role must be \"system\", \"user\" or \"assistant\"", role)
		}
		return t.roleMarker(role), nil
	}
}

// split cuts rendered text at role markers. Text before the first marker
// takes defaultRole ("system" unless the client's default_role option says
// otherwise, as in BAML). Each message is trimmed; empty ones are dropped.
// A message that holds media markers gets parts: its text pieces (trimmed,
// empty ones dropped, as BAML does) and the media, in order.
func (t *templates) split(text, defaultRole string, media []*vmspan.Media) []vmspan.Message {
	if defaultRole == "" {
		defaultRole = "system"
	}
	msgs := make([]vmspan.Message, 0, strings.Count(text, t.marker)+1) // at most
	role := defaultRole
	for {
		i := strings.Index(text, t.marker)
		chunk := text
		if i >= 0 {
			chunk = text[:i]
		}
		if c := strings.TrimSpace(chunk); c != "" {
			msgs = append(msgs, t.message(role, c, media))
		}
		if i < 0 {
			return msgs
		}
		rest := text[i+len(t.marker):]
		end := strings.IndexByte(rest, 0)
		if end < 0 { // cannot happen: roleFunc always closes the marker
			return msgs
		}
		role, text = rest[:end], rest[end+1:]
	}
}

// message makes the message of role with text, cutting it into parts at
// media markers.
func (t *templates) message(role, text string, media []*vmspan.Media) vmspan.Message {
	if len(media) == 0 || !strings.Contains(text, t.mediaMarker) {
		return vmspan.Message{Role: role, Content: text}
	}
	var parts []vmspan.Part
	var content strings.Builder
	addText := func(s string) {
		content.WriteString(s)
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, vmspan.Part{Text: s})
		}
	}
	for {
		i := strings.Index(text, t.mediaMarker)
		if i < 0 {
			addText(text)
			break
		}
		addText(text[:i])
		rest := text[i+len(t.mediaMarker):]
		end := strings.IndexByte(rest, 0)
		n, err := strconv.Atoi(rest[:max(end, 0)])
		if end < 0 || err != nil || n >= len(media) { // cannot happen: markers come from tplConv
			addText(rest)
			break
		}
		parts = append(parts, vmspan.Part{Media: media[n]})
		content.WriteString(media[n].String())
		text = rest[end+1:]
	}
	return vmspan.Message{Role: role, Content: strings.TrimSpace(content.String()), Parts: parts}
}

// dedent removes the whitespace prefix common to all non-blank lines, so
// that a prompt indented inside #"..."# renders flush left. Line count is
// kept, so template line numbers still map to source lines.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	prefix, first := "", true
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ws := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first {
			prefix, first = ws, false
			continue
		}
		for !strings.HasPrefix(ws, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if prefix == "" {
		return s
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, prefix)
		if strings.TrimSpace(lines[i]) == "" {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// fileLine maps a 1-based template line to a line of the source file.
func fileLine(req *Request, tline int) int {
	if tline <= 0 {
		return req.PromptLine
	}
	if req.PromptLine <= 0 {
		return tline
	}
	return req.PromptLine + tline - 1
}

func compileError(req *Request, err error) *PromptError {
	pe := &PromptError{Function: req.Function, File: req.PromptFile, Err: err}
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		pe.Line = fileLine(req, se.Line)
		pe.Msg = "syntax error: " + se.Message
		if se.Raw != "" {
			pe.Msg += " near " + strconv.Quote(se.Raw)
		}
		return pe
	}
	pe.Line = fileLine(req, 0)
	msg := err.Error()
	if inner := errors.Unwrap(err); inner != nil {
		msg = inner.Error() // gonja's outer message repeats the whole source
	}
	pe.Msg = "syntax error: " + msg
	return pe
}

var atLine = regexp.MustCompile(`at line (\d+): `)

func renderError(req *Request, err error) *PromptError {
	pe := &PromptError{Function: req.Function, File: req.PromptFile, Err: err, rendering: true}
	msg := strings.TrimPrefix(err.Error(), "unable to execute template: ")
	tline := 0
	if locs := atLine.FindAllStringSubmatchIndex(msg, -1); len(locs) > 0 {
		last := locs[len(locs)-1]
		tline, _ = strconv.Atoi(msg[last[2]:last[3]])
		msg = msg[last[1]:] // the innermost failure is the informative part
	}
	if i := strings.Index(msg, "_.role("); i >= 0 {
		msg = msg[i:] // drop gonja's account of the Go function behind _.role
	}
	pe.Line = fileLine(req, tline)
	pe.Msg = msg
	return pe
}
