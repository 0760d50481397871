// config.go holds client and retry policy declarations and their validation.

package llm

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bexrun/bex/vmspan"
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
	Provider    string // a provider (see the package doc), an older BAML alias, fallback or round-robin
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
	apiGoogle    = "google"    // Gemini generateContent
	apiResponses = "responses" // OpenAI Responses
	apiBedrock   = "bedrock"   // Bedrock Converse, through the AWS SDK
)

type providerInfo struct {
	api         string // wire protocol; "" for strategies
	strategy    bool   // fallback or round-robin
	baseURL     string // default base_url
	urlEnv      string // environment variable that overrides the default base_url
	keyEnv      string // environment variable of the default api_key
	model       string // default model ("" when the model is required)
	noModel     bool   // the model is named otherwise (azure-openai: the deployment)
	defaultRole string // role of text before the first _.role marker (default "system")
}

var providers = map[string]providerInfo{
	"openai":           {api: apiOpenAI, baseURL: "https://api.openai.com/v1", urlEnv: "OPENAI_BASE_URL", keyEnv: "OPENAI_API_KEY"},
	"openai-generic":   {api: apiOpenAI},
	"ollama":           {api: apiOpenAI, baseURL: "http://localhost:11434/v1"},
	"openrouter":       {api: apiOpenAI, baseURL: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY"},
	"openai-responses": {api: apiResponses, baseURL: "https://api.openai.com/v1", urlEnv: "OPENAI_BASE_URL", keyEnv: "OPENAI_API_KEY"},
	"azure-openai":     {api: apiOpenAI, keyEnv: "AZURE_OPENAI_API_KEY", noModel: true},
	"anthropic":        {api: apiAnthropic, baseURL: "https://api.anthropic.com", urlEnv: "ANTHROPIC_BASE_URL", keyEnv: "ANTHROPIC_API_KEY"},
	"google-ai":        {api: apiGoogle, baseURL: "https://generativelanguage.googleapis.com/v1beta", keyEnv: "GOOGLE_API_KEY", model: "gemini-2.5-flash", defaultRole: "user"},
	"vertex-ai":        {api: apiGoogle, defaultRole: "user"},
	"aws-bedrock":      {api: apiBedrock, defaultRole: "user"},
	"fallback":         {strategy: true},
	"round-robin":      {strategy: true},
}

// providerAliases are BAML's older provider names.
var providerAliases = map[string]string{
	"baml-openai-chat":    "openai",
	"baml-azure-chat":     "azure-openai",
	"baml-ollama-chat":    "ollama",
	"baml-anthropic-chat": "anthropic",
	"baml-fallback":       "fallback",
	"baml-round-robin":    "round-robin",
}

// canonicalProvider returns the provider a name (or an older alias) means.
func canonicalProvider(name string) (string, providerInfo, bool) {
	if a, ok := providerAliases[name]; ok {
		name = a
	}
	info, ok := providers[name]
	return name, info, ok
}

// Options the runtime interprets; every other option of a leaf client is
// passed through into the request body (top_p, stop, response_format, ...),
// except BAML options that mean nothing to a provider.
var (
	knownOptions = map[string]bool{"model": true, "base_url": true, "api_key": true, "temperature": true, "max_tokens": true,
		"headers": true, "default_role": true, "request_timeout_ms": true, "media_url_handler": true, "media_url_resolver": true}
	droppedOptions = map[string]bool{"allowed_roles": true, "supports_streaming": true, "finish_reason_allow_list": true, "finish_reason_deny_list": true,
		"http": true, "supported_request_modes": true, "allowed_role_metadata": true, "remap_roles": true, "client_response_type": true}
	// providerOptions are the options a provider interprets itself (never
	// sent in the body).
	providerOptions = map[string]map[string]bool{
		"azure-openai": {"resource_name": true, "deployment_id": true, "api_version": true},
		"vertex-ai":    {"project_id": true, "location": true, "credentials": true, "credentials_content": true},
		"aws-bedrock": {"model_id": true, "region": true, "profile": true, "access_key_id": true, "secret_access_key": true,
			"session_token": true, "inference_configuration": true, "additional_model_request_fields": true, "endpoint_url": true},
	}
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
	next     atomic.Uint64                    // round-robin position
	resolved atomic.Pointer[resolvedEndpoint] // see Runtime.endpoint
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
func compileDecls(decls []ClientDecl, pdecls []RetryPolicyDecl) (map[string]*client, map[string]*retryPolicy, error) {
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
	return clients, policies, errors.Join(errs...)
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
	name, info, ok := canonicalProvider(d.Provider)
	if !ok {
		bad("unknown provider %q (want one of %s)", d.Provider, strings.Join(providerNames(), ", "))
	}
	c.provider, c.info = name, info
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
		if v, ok := d.Options["http"]; ok {
			for _, msg := range checkHTTPOptions(v, true) {
				bad("%s", msg)
			}
		}
		return c, errs
	}
	for _, msg := range checkLeafOptions(name, info, d.Options) {
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

// checkLeafOptions checks the options of a provider client.
func checkLeafOptions(provider string, info providerInfo, opts map[string]any) []string {
	var msgs []string
	bad := func(format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }
	_, hasModel := opts["model"]
	if provider == "aws-bedrock" {
		_, hasID := opts["model_id"]
		hasModel = hasModel || hasID
	}
	if !hasModel && info.model == "" && !info.noModel {
		bad("options need a model (a string)")
	}
	for _, k := range []string{"model", "model_id", "base_url", "api_key", "resource_name", "deployment_id", "api_version",
		"project_id", "location", "credentials_content", "region", "profile", "access_key_id", "secret_access_key", "session_token", "endpoint_url"} {
		if v, ok := opts[k]; ok && !isStr(v) {
			bad("%s must be a string or env.NAME", k)
		}
	}
	if v, ok := opts["credentials"]; ok && !isStr(v) {
		if _, isMap := v.(map[string]any); !isMap {
			bad("credentials must be a path, JSON text, env.NAME or a block")
		}
	}
	_, hasBase := opts["base_url"]
	switch {
	case hasBase || info.baseURL != "":
	case provider == "azure-openai":
		if !hasAll(opts, "resource_name", "deployment_id") {
			bad("provider azure-openai needs base_url, or resource_name and deployment_id")
		}
	case provider == "vertex-ai":
		if !hasAll(opts, "location") {
			bad("provider vertex-ai needs a location (or a base_url)")
		}
	case provider == "aws-bedrock":
	default:
		bad("provider %s needs a base_url", provider)
	}
	msgs = append(msgs, checkProviderOptions(provider, opts)...)
	if v, ok := opts["temperature"]; ok {
		if _, isNum := asFloat(v); !isNum && !isEnv(v) {
			bad("temperature must be a number")
		}
	}
	for _, k := range []string{"max_tokens", "request_timeout_ms"} {
		if v, ok := opts[k]; ok && !(k == "max_tokens" && v == nil) {
			if n, isInt := asInt(v); (!isInt || n <= 0) && !isEnv(v) {
				bad("%s must be a positive int", k)
			}
		}
	}
	if v, ok := opts["http"]; ok {
		msgs = append(msgs, checkHTTPOptions(v, false)...)
	}
	if v, ok := opts["headers"]; ok {
		m, isMap := v.(map[string]any)
		for _, hv := range m {
			isMap = isMap && isStr(hv)
		}
		if !isMap {
			bad("headers must be a block of \"Name\" \"value\" entries")
		}
	}
	if v, ok := opts["default_role"]; ok {
		if s, _ := v.(string); !validRoles[s] {
			bad("default_role must be \"system\", \"user\" or \"assistant\"")
		}
	}
	for _, k := range []string{"media_url_handler", "media_url_resolver"} {
		if v, ok := opts[k]; ok {
			if _, err := mediaHandler(v); err != nil {
				bad("%s: %v", k, err)
			}
		}
	}
	return msgs
}

func isStr(v any) bool { _, s := v.(string); _, e := v.(Env); return s || e }

func hasAll(opts map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := opts[k]; !ok {
			return false
		}
	}
	return true
}

// checkProviderOptions checks the rules of a provider's own options.
func checkProviderOptions(provider string, opts map[string]any) []string {
	var msgs []string
	switch provider {
	case "azure-openai":
		if _, ok := opts["api_version"]; !ok {
			msgs = append(msgs, "provider azure-openai needs an api_version")
		}
		if _, ok := opts["tenant_id"]; ok {
			msgs = append(msgs, "Microsoft Entra ID authentication (tenant_id, client_id) is not supported; use api_key")
		}
	case "aws-bedrock":
		_, id := opts["access_key_id"]
		_, secret := opts["secret_access_key"]
		_, session := opts["session_token"]
		_, profile := opts["profile"]
		switch {
		case id != secret:
			msgs = append(msgs, "access_key_id and secret_access_key go together")
		case session && !id:
			msgs = append(msgs, "session_token needs access_key_id and secret_access_key")
		case profile && id:
			msgs = append(msgs, "profile cannot be combined with explicit credentials")
		}
		for _, k := range []string{"inference_configuration", "additional_model_request_fields"} {
			if v, ok := opts[k]; ok {
				if _, isMap := v.(map[string]any); !isMap {
					msgs = append(msgs, k+" must be a block")
				}
			}
		}
	}
	return msgs
}

// mediaHandler reads a media_url_handler block: { image "send_base64" ... }.
func mediaHandler(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a block { image \"send_url\" ... }")
	}
	out := map[string]string{}
	for k, mv := range m {
		s, _ := mv.(string)
		mode, known := mediaModeAliases[s]
		if !vmspan.IsMediaKind(k) {
			return nil, fmt.Errorf("unknown media kind %q (want image, audio, pdf or video)", k)
		}
		if !known {
			return nil, fmt.Errorf("%s: unknown mode %s (want send_url, send_base64, send_url_add_mime_type or send_base64_unless_google_url)", k, describeOption(mv))
		}
		out[k] = mode
	}
	return out, nil
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
	provider, info, _ := canonicalProvider(provider)
	return &client{name: name, provider: provider, info: info, options: map[string]any{"model": model}}, nil
}

func shorthandError(name string) error {
	provider, model, ok := strings.Cut(name, "/")
	_, info, known := canonicalProvider(provider)
	if !ok || model == "" || !known || info.strategy || (info.baseURL == "" && info.api != apiBedrock) {
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
