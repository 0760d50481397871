// config.go holds client and retry policy declarations and their validation.

package llm

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// An Env is an option value read from the environment when a call is made
// (env.NAME in source), never when the program is loaded, so that a
// long-running engine sees rotated keys.
type Env struct{ Name string }

// A ClientDecl is a client<llm> declaration. Option values are string,
// int64, float64, bool, Env, []any or map[string]any (int and float32 are
// accepted too); identifiers in lists (strategy [A, B]) are strings.
type ClientDecl struct {
	Name        string
	Provider    string // openai, openai-generic, ollama, anthropic, fallback, round-robin
	RetryPolicy string // a retry_policy name, or ""
	Options     map[string]any
	Pos         string // "file:line:col", for errors
}

// A RetryPolicyDecl is a retry_policy declaration: max_retries and an
// optional nested "strategy" map (type constant_delay or
// exponential_backoff, delay_ms, multiplier, max_delay_ms).
type RetryPolicyDecl struct {
	Name   string
	Fields map[string]any
	Pos    string
}

// Wire protocols.
const (
	apiOpenAI    = "openai"    // Chat Completions
	apiAnthropic = "anthropic" // Messages
)

type providerInfo struct {
	api      string // wire protocol; "" for strategies
	strategy bool   // fallback or round-robin
	baseURL  string // default base_url
	urlEnv   string // environment variable that overrides the default base_url
	keyEnv   string // environment variable of the default api_key
}

var providers = map[string]providerInfo{
	"openai":         {api: apiOpenAI, baseURL: "https://api.openai.com/v1", urlEnv: "OPENAI_BASE_URL", keyEnv: "OPENAI_API_KEY"},
	"openai-generic": {api: apiOpenAI},
	"ollama":         {api: apiOpenAI, baseURL: "http://localhost:11434/v1"},
	"anthropic":      {api: apiAnthropic, baseURL: "https://api.anthropic.com", urlEnv: "ANTHROPIC_BASE_URL", keyEnv: "ANTHROPIC_API_KEY"},
	"fallback":       {strategy: true},
	"round-robin":    {strategy: true},
}

// Options the runtime interprets; every other option of a leaf client is
// passed through into the request body (top_p, stop, response_format, ...),
// except BAML options that mean nothing to a provider.
var (
	knownOptions   = map[string]bool{"model": true, "base_url": true, "api_key": true, "temperature": true, "max_tokens": true, "headers": true, "default_role": true, "request_timeout_ms": true}
	droppedOptions = map[string]bool{"allowed_roles": true, "supports_streaming": true, "finish_reason_allow_list": true, "finish_reason_deny_list": true, "http": true, "supported_request_modes": true}
)

// A client is a validated client<llm>.
type client struct {
	name     string
	provider string
	info     providerInfo
	options  map[string]any
	policy   *retryPolicy // nil: no retries
	children []string     // strategy clients
	pos      string
	next     atomic.Uint64 // round-robin position
}

// A retryPolicy is a validated retry_policy.
type retryPolicy struct {
	name        string
	maxRetries  int
	exponential bool
	delay       time.Duration
	multiplier  float64
	maxDelay    time.Duration
}

// BAML's defaults.
const (
	defaultDelay      = 200 * time.Millisecond
	defaultMultiplier = 1.5
	defaultMaxDelay   = 10 * time.Second
)

// compile validates the declarations. It reports every problem it finds,
// joined, each a *ConfigError with its position.
func compileDecls(decls []ClientDecl, pdecls []RetryPolicyDecl) (map[string]*client, error) {
	var errs []error
	policies := map[string]*retryPolicy{}
	for _, d := range pdecls {
		p, err := compilePolicy(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := policies[d.Name]; dup {
			errs = append(errs, &ConfigError{Pos: d.Pos, Msg: fmt.Sprintf("retry_policy %s declared twice", d.Name)})
		}
		policies[d.Name] = p
	}
	clients := map[string]*client{}
	for _, d := range decls {
		if _, dup := clients[d.Name]; dup {
			errs = append(errs, &ConfigError{Pos: d.Pos, Client: d.Name, Msg: "declared twice"})
			continue
		}
		c, cerrs := compileClient(d, policies)
		errs = append(errs, cerrs...)
		clients[d.Name] = c
	}
	errs = append(errs, checkStrategies(clients)...)
	return clients, errors.Join(errs...)
}

func compilePolicy(d RetryPolicyDecl) (*retryPolicy, error) {
	bad := func(format string, args ...any) error {
		return &ConfigError{Pos: d.Pos, Msg: "retry_policy " + d.Name + ": " + fmt.Sprintf(format, args...)}
	}
	p := &retryPolicy{name: d.Name, delay: defaultDelay, multiplier: defaultMultiplier, maxDelay: defaultMaxDelay}
	for k, v := range d.Fields {
		switch k {
		case "max_retries":
			n, ok := asInt(v)
			if !ok || n < 0 {
				return nil, bad("max_retries must be a non-negative int, not %s", describeOption(v))
			}
			p.maxRetries = int(n)
		case "strategy":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, bad("strategy must be a block { type ... }")
			}
			if err := p.setStrategy(m); err != nil {
				return nil, bad("strategy: %v", err)
			}
		default:
			return nil, bad("unknown field %q", k)
		}
	}
	return p, nil
}

func (p *retryPolicy) setStrategy(m map[string]any) error {
	for k, v := range m {
		switch k {
		case "type":
			switch v {
			case "constant_delay":
			case "exponential_backoff":
				p.exponential = true
			default:
				return fmt.Errorf("type must be constant_delay or exponential_backoff, not %s", describeOption(v))
			}
		case "delay_ms", "max_delay_ms":
			n, ok := asInt(v)
			if !ok || n < 0 {
				return fmt.Errorf("%s must be a non-negative int, not %s", k, describeOption(v))
			}
			if k == "delay_ms" {
				p.delay = time.Duration(n) * time.Millisecond
			} else {
				p.maxDelay = time.Duration(n) * time.Millisecond
			}
		case "multiplier":
			f, ok := asFloat(v)
			if !ok || f < 1 {
				return fmt.Errorf("multiplier must be a number >= 1, not %s", describeOption(v))
			}
			p.multiplier = f
		default:
			return fmt.Errorf("unknown field %q", k)
		}
	}
	return nil
}

func compileClient(d ClientDecl, policies map[string]*retryPolicy) (*client, []error) {
	c := &client{name: d.Name, provider: d.Provider, options: d.Options, pos: d.Pos}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, &ConfigError{Pos: d.Pos, Client: d.Name, Msg: fmt.Sprintf(format, args...)})
	}
	info, ok := providers[d.Provider]
	if !ok {
		bad("unknown provider %q (want one of %s)", d.Provider, strings.Join(providerNames(), ", "))
	}
	c.info = info
	if d.RetryPolicy != "" {
		if c.policy = policies[d.RetryPolicy]; c.policy == nil {
			bad("unknown retry_policy %q", d.RetryPolicy)
		}
	}
	if !ok {
		return c, errs
	}
	if info.strategy {
		c.children = strategyNames(d.Options["strategy"])
		if len(c.children) == 0 {
			bad("a %s client needs options { strategy [ClientA, ClientB] }", d.Provider)
		}
		return c, errs
	}
	for _, msg := range checkLeafOptions(d.Provider, info, d.Options) {
		bad("%s", msg)
	}
	return c, errs
}

func providerNames() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func strategyNames(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil
		}
		names = append(names, s)
	}
	return names
}

// checkLeafOptions checks the option types of a provider client.
func checkLeafOptions(provider string, info providerInfo, opts map[string]any) []string {
	var msgs []string
	isStr := func(v any) bool { _, s := v.(string); _, e := v.(Env); return s || e }
	if v, ok := opts["model"]; !ok || !isStr(v) {
		msgs = append(msgs, "options need a model (a string)")
	}
	for _, k := range []string{"base_url", "api_key"} {
		if v, ok := opts[k]; ok && !isStr(v) {
			msgs = append(msgs, k+" must be a string or env.NAME")
		}
	}
	if _, ok := opts["base_url"]; !ok && info.baseURL == "" {
		msgs = append(msgs, "provider "+provider+" needs a base_url")
	}
	if v, ok := opts["temperature"]; ok {
		if _, isNum := asFloat(v); !isNum && !isEnv(v) {
			msgs = append(msgs, "temperature must be a number")
		}
	}
	for _, k := range []string{"max_tokens", "request_timeout_ms"} {
		if v, ok := opts[k]; ok {
			if n, isInt := asInt(v); (!isInt || n <= 0) && !isEnv(v) {
				msgs = append(msgs, k+" must be a positive int")
			}
		}
	}
	if v, ok := opts["headers"]; ok {
		m, isMap := v.(map[string]any)
		for _, hv := range m {
			isMap = isMap && isStr(hv)
		}
		if !isMap {
			msgs = append(msgs, "headers must be a block of \"Name\" \"value\" entries")
		}
	}
	if v, ok := opts["default_role"]; ok {
		if s, _ := v.(string); !validRoles[s] {
			msgs = append(msgs, "default_role must be \"system\", \"user\" or \"assistant\"")
		}
	}
	return msgs
}

func isEnv(v any) bool { _, ok := v.(Env); return ok }

// checkStrategies checks that strategy clients name known clients and do not
// form cycles.
func checkStrategies(clients map[string]*client) []error {
	var errs []error
	names := make([]string, 0, len(clients))
	for n := range clients {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic error order
	for _, n := range names {
		c := clients[n]
		for _, child := range c.children {
			if _, ok := clients[child]; !ok && shorthandError(child) != nil {
				errs = append(errs, &ConfigError{Pos: c.pos, Client: c.name, Msg: fmt.Sprintf("strategy names unknown client %q", child)})
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		c, ok := clients[n]
		if !ok || state[n] == 2 {
			return nil
		}
		if state[n] == 1 {
			return &ConfigError{Pos: c.pos, Client: n, Msg: "strategy cycle: " + strings.Join(append(path, n), " -> ")}
		}
		state[n] = 1
		for _, child := range c.children {
			if err := visit(child, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return append(errs, err) // one cycle is enough; the others may share it
		}
	}
	return errs
}

// shorthandClient makes the client of a "provider/model" shorthand: the
// provider's default base_url and api_key environment variable.
func shorthandClient(name string) (*client, error) {
	if err := shorthandError(name); err != nil {
		return nil, err
	}
	provider, model, _ := strings.Cut(name, "/")
	info := providers[provider]
	return &client{name: name, provider: provider, info: info, options: map[string]any{"model": model}}, nil
}

func shorthandError(name string) error {
	provider, model, ok := strings.Cut(name, "/")
	info, known := providers[provider]
	if !ok || model == "" || !known || info.strategy || info.baseURL == "" {
		return &ConfigError{Msg: fmt.Sprintf("unknown client %q (not declared, and not a provider/model shorthand such as \"openai/gpt-4o-mini\")", name)}
	}
	return nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

func describeOption(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case Env:
		return "env." + x.Name
	}
	return fmt.Sprint(v)
}
