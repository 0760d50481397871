// registry.go holds ClientRegistry, the clients a single call adds or
// overrides.

package llm

import (
	"errors"
	"fmt"
	"maps"
)

// A ClientRegistry adds or overrides clients for one call and may choose
// the call's primary client, as BAML's ClientRegistry does. Its clients are
// validated like declared ones (provider, options, retry policy, strategy
// references and cycles) when a call uses it; a registry client may name
// the program's clients in its strategy, and the program's fallback and
// round-robin clients see a registry client that overrides one of theirs.
//
// Build a registry before the calls that use it; it is safe for concurrent
// use by calls once built (AddLLMClient and SetPrimary must not race with
// them). A round-robin client added by a registry starts its rotation anew
// for every call.
type ClientRegistry struct {
	clients []ClientDecl
	primary string
}

// NewClientRegistry returns an empty registry.
func NewClientRegistry() *ClientRegistry { return &ClientRegistry{} }

// AddLLMClient adds a client (or overrides the program's client of the same
// name) with a provider, options as in a client<llm> block (string, int64,
// float64, bool, Env, []any, map[string]any values) and an optional retry
// policy declared in the program.
func (cr *ClientRegistry) AddLLMClient(name, provider string, options map[string]any, retryPolicy ...string) *ClientRegistry {
	d := ClientDecl{Name: name, Provider: provider, Options: maps.Clone(options)}
	if len(retryPolicy) > 0 {
		d.RetryPolicy = retryPolicy[0]
	}
	cr.clients = append(cr.clients, d)
	return cr
}

// SetPrimary makes name, a registry client, a program client or a
// "provider/model" shorthand, the client of every LLM function the call
// runs.
func (cr *ClientRegistry) SetPrimary(name string) *ClientRegistry {
	cr.primary = name
	return cr
}

// Primary returns the primary client's name, or "".
func (cr *ClientRegistry) Primary() string { return cr.primary }

// overlay validates cr's clients against r and returns them by name.
func (r *Runtime) overlay(cr *ClientRegistry) (map[string]*client, error) {
	if cr == nil || len(cr.clients) == 0 {
		return nil, nil
	}
	var errs []error
	over := map[string]*client{}
	for _, d := range cr.clients {
		if _, dup := over[d.Name]; dup {
			errs = append(errs, &ConfigError{Pos: d.Pos, Client: d.Name, Msg: "added twice"})
			continue
		}
		c, cerrs := compileClient(d, r.policies)
		errs = append(errs, cerrs...)
		over[d.Name] = c
	}
	merged := maps.Clone(r.clients)
	maps.Copy(merged, over)
	errs = append(errs, checkStrategies(merged)...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("client registry: %w", err)
	}
	return over, nil
}
