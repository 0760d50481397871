// endpoint.go resolves a client's options, env.NAME included, at call time.

package llm

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
)

// An endpoint is a leaf client's options resolved for one attempt, or for
// the attempts of a client while its environment is the same (see
// Runtime.endpoint): once resolved, it is only read from.
type endpoint struct {
	provider     string
	api          string
	model        string
	modelInURL   bool   // Gemini: the model is part of the URL, not the body
	modelPath    string // Gemini: the URL path after baseURL that names the model
	baseURL      string
	apiKey       string
	bearer       string // an OAuth access token (vertex-ai)
	azure        bool   // azure-openai: api-key header, api-version query
	apiVersion   string
	temperature  *float64
	maxTokens    *int64
	headers      map[string]string
	extra        map[string]any // passed-through options
	timeouts     Timeouts       // the client's own (http block, request_timeout_ms)
	mediaHandler map[string]string
	aws          *awsOptions // aws-bedrock

	// Made from the fields above once they are resolved (see box), for
	// every attempt that uses the endpoint.
	serverAddress string // baseURL's host and port (see serverOf)
	serverPort    int
	boxed         struct{ model, temperature, maxTokens any } // as request bodies take them
	bearerKey     string                                      // "Bearer " + apiKey
	secrets       []string                                    // see ownSecrets; clipped

	// The plans of its Chat Completions requests, not streamed and
	// streamed, made at their second request (see openAIPlan).
	plans [2]atomic.Pointer[planRef]
}

// endpoint resolves c's options. Env values are read now; an unset
// variable is a *ConfigError naming it, except for base_url, which then
// falls back to the provider's default. ctx bounds what resolving needs
// from the network (a vertex-ai access token).
//
// The endpoint of a client whose options depend on nothing but the
// environment is resolved once and reused while the environment variables
// it reads keep their values: it is only read from once made. Vertex AI
// (an access token per call) and Bedrock (credentials that may expire) are
// resolved at every attempt.
func (r *Runtime) endpoint(ctx context.Context, c *client) (*endpoint, error) {
	if c.provider == "vertex-ai" || c.provider == "aws-bedrock" {
		return r.resolveEndpoint(ctx, c)
	}
	if e := c.resolved.Load(); e != nil && e.current(r) {
		return e.ep, nil
	}
	names := envNames(c)
	vals := make([]envValue, len(names))
	for i, name := range names {
		vals[i].val, vals[i].set = r.env(name)
	}
	ep, err := r.resolveEndpoint(ctx, c)
	if err == nil {
		c.resolved.Store(&resolvedEndpoint{names: names, vals: vals, ep: ep})
	}
	return ep, err
}

// A resolvedEndpoint is a client's endpoint and the environment variables
// it was resolved with: their names and values.
type resolvedEndpoint struct {
	names []string
	vals  []envValue
	ep    *endpoint
}

// An envValue is the value of an environment variable, and whether it is
// set.
type envValue struct {
	val string
	set bool
}

// current reports whether the environment variables of e still have the
// values e was resolved with.
func (e *resolvedEndpoint) current(r *Runtime) bool {
	for i, name := range e.names {
		if v, set := r.env(name); v != e.vals[i].val || set != e.vals[i].set {
			return false
		}
	}
	return true
}

// envNames returns the environment variables that resolving c's endpoint
// may read: the env.NAME values of its options, and its provider's
// variables for the base URL and API key.
func envNames(c *client) []string {
	var names []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case Env:
			names = append(names, x.Name)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(c.options)
	for _, name := range []string{c.info.urlEnv, c.info.keyEnv} {
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}

// resolveEndpoint resolves c's options (see endpoint).
func (r *Runtime) resolveEndpoint(ctx context.Context, c *client) (*endpoint, error) {
	ep := &endpoint{provider: c.provider, api: c.info.api}
	var err error
	if ep.model, _, err = r.stringOption(c, "model"); err != nil {
		return nil, err
	}
	if ep.model == "" {
		ep.model = c.info.model
	}
	if err := r.numbers(c, ep); err != nil {
		return nil, err
	}
	if ep.headers, err = r.headers(c); err != nil {
		return nil, err
	}
	for _, k := range []string{"media_url_handler", "media_url_resolver"} {
		if v, ok := c.options[k]; ok {
			ep.mediaHandler, _ = mediaHandler(v) // checked by NewRuntime
		}
	}
	if ep.extra, err = r.extraOptions(c); err != nil {
		return nil, err
	}
	switch c.provider {
	case "azure-openai":
		err = r.azureEndpoint(c, ep)
	case "google-ai":
		err = r.googleAIEndpoint(c, ep)
	case "vertex-ai":
		err = r.vertexEndpoint(ctx, c, ep)
	case "aws-bedrock":
		err = r.bedrockEndpoint(c, ep)
	default:
		if ep.baseURL, err = r.baseURL(c); err == nil {
			ep.apiKey, err = r.apiKey(c)
		}
	}
	if err != nil {
		return ep, err
	}
	if ep.baseURL != "" {
		ep.serverAddress, ep.serverPort = serverOf(ep.baseURL)
	}
	ep.box()
	return ep, nil
}

// box sets the fields of ep made from the others once they are resolved.
func (ep *endpoint) box() {
	ep.boxed.model = ep.model
	if ep.temperature != nil {
		ep.boxed.temperature = *ep.temperature
	}
	if ep.maxTokens != nil {
		ep.boxed.maxTokens = *ep.maxTokens
	}
	if ep.apiKey != "" {
		ep.bearerKey = "Bearer " + ep.apiKey
	}
	ep.secrets = ep.ownSecrets()
}

// azureEndpoint resolves an azure-openai client. The deployment stands for
// the model: it is in the URL, and attempts record it as the model.
func (r *Runtime) azureEndpoint(c *client, ep *endpoint) error {
	ep.azure, ep.modelInURL = true, true
	if _, ok := c.options["max_tokens"]; !ok && ep.maxTokens == nil {
		ep.maxTokens = int64p(anthropicMaxTokens) // BAML's default for Azure
	}
	var err error
	if ep.apiVersion, _, err = r.stringOption(c, "api_version"); err != nil {
		return err
	}
	if u, ok, err := r.stringOption(c, "base_url"); err != nil {
		return err
	} else if ok && u != "" {
		ep.baseURL = strings.TrimRight(u, "/")
	} else {
		res, _, err := r.stringOption(c, "resource_name")
		if err != nil {
			return err
		}
		dep, _, err := r.stringOption(c, "deployment_id")
		if err != nil {
			return err
		}
		ep.baseURL = "https://" + res + ".openai.azure.com/openai/deployments/" + dep
	}
	if dep, _, _ := r.stringOption(c, "deployment_id"); dep != "" && ep.model == "" {
		ep.model = dep
	} else if _, dep, ok := strings.Cut(ep.baseURL, "/deployments/"); ok && ep.model == "" {
		ep.model, _, _ = strings.Cut(dep, "/")
	}
	ep.apiKey, err = r.apiKey(c)
	return err
}

func (r *Runtime) googleAIEndpoint(c *client, ep *endpoint) error {
	var err error
	if ep.baseURL, err = r.baseURL(c); err != nil {
		return err
	}
	ep.modelInURL, ep.modelPath = true, "/models/"+ep.model
	ep.apiKey, err = r.apiKey(c)
	return err
}

func (r *Runtime) unset(c *client, key, name string) error {
	return &ConfigError{Pos: c.pos, Client: c.name, Msg: fmt.Sprintf("%s: environment variable %s is not set", key, name)}
}

// stringOption returns a string option; ok is false when it is absent.
func (r *Runtime) stringOption(c *client, key string) (string, bool, error) {
	switch x := c.options[key].(type) {
	case string:
		return x, true, nil
	case Env:
		v, ok := r.env(x.Name)
		if !ok {
			return "", false, r.unset(c, key, x.Name)
		}
		return v, true, nil
	}
	return "", false, nil
}

func (r *Runtime) baseURL(c *client) (string, error) {
	u, ok, err := r.stringOption(c, "base_url")
	if !ok || u == "" {
		u = c.info.baseURL
		if v, set := r.env(c.info.urlEnv); c.info.urlEnv != "" && set && v != "" {
			u = v
		}
	}
	if u == "" {
		if err == nil {
			err = &ConfigError{Pos: c.pos, Client: c.name, Msg: "base_url is empty"}
		}
		return "", err
	}
	return strings.TrimRight(u, "/"), nil
}

// apiKey returns the api_key option, else the provider's default variable
// (OPENAI_API_KEY, ANTHROPIC_API_KEY), which must then be set. Providers
// without a default (ollama, openai-generic) send no key.
func (r *Runtime) apiKey(c *client) (string, error) {
	key, ok, err := r.stringOption(c, "api_key")
	if err != nil || ok {
		return key, err
	}
	if c.info.keyEnv == "" {
		return "", nil
	}
	key, set := r.env(c.info.keyEnv)
	if !set {
		return "", r.unset(c, "api_key", c.info.keyEnv)
	}
	return key, nil
}

func (r *Runtime) numbers(c *client, ep *endpoint) error {
	if v, ok, err := r.numberOption(c, "temperature"); err != nil {
		return err
	} else if ok {
		ep.temperature = &v
	}
	if v, ok, err := r.numberOption(c, "max_tokens"); err != nil {
		return err
	} else if ok {
		n := int64(v)
		ep.maxTokens = &n
	} else if ep.api == apiAnthropic {
		n := int64(anthropicMaxTokens) // required by the Messages API
		ep.maxTokens = &n
	}
	if v, present := c.options["max_tokens"]; present && v == nil {
		ep.maxTokens = nil // max_tokens null: send none (reasoning models)
	}
	var err error
	ep.timeouts, err = r.clientTimeouts(c)
	return err
}

func (r *Runtime) numberOption(c *client, key string) (float64, bool, error) {
	v, present := c.options[key]
	if !present || v == nil {
		return 0, false, nil
	}
	if e, ok := v.(Env); ok {
		s, set := r.env(e.Name)
		if !set {
			return 0, false, r.unset(c, key, e.Name)
		}
		n, err := parseFloatOption(s)
		if err != nil {
			return 0, false, &ConfigError{Pos: c.pos, Client: c.name, Msg: fmt.Sprintf("%s: env.%s = %q is not a number", key, e.Name, s)}
		}
		return n, true, nil
	}
	f, _ := asFloat(v) // types were checked by NewRuntime
	return f, true, nil
}

func parseFloatOption(s string) (float64, error) {
	n, ok := parseNumber(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("not a number")
	}
	f, _ := asFloat(n)
	return f, nil
}

func (r *Runtime) headers(c *client) (map[string]string, error) {
	m, _ := c.options["headers"].(map[string]any)
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case Env:
			s, ok := r.env(x.Name)
			if !ok {
				return nil, r.unset(c, "headers."+k, x.Name)
			}
			out[k] = s
		}
	}
	return out, nil
}

// extraOptions returns the options passed through into the request body,
// with env values resolved.
func (r *Runtime) extraOptions(c *client) (map[string]any, error) {
	var out map[string]any
	for k, v := range c.options {
		if knownOptions[k] || droppedOptions[k] || providerOptions[c.provider][k] {
			continue
		}
		rv, err := r.resolveValue(c, k, v)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = rv
	}
	return out, nil
}

func (r *Runtime) resolveValue(c *client, key string, v any) (any, error) {
	switch x := v.(type) {
	case Env:
		s, ok := r.env(x.Name)
		if !ok {
			return nil, r.unset(c, key, x.Name)
		}
		return s, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = r.resolveValue(c, key, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var err error
			if out[k], err = r.resolveValue(c, key+"."+k, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
