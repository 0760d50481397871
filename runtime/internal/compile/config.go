// config.go checks the shape of client and retry_policy declarations.

package compile

import (
	"github.com/bexrun/bex/runtime/syntax"
)

// checkConfigs reports what BAML rejects in client and retry_policy blocks:
// a client kind other than llm, unknown fields of a client, options a
// strategy client does not take, unknown fields of a retry policy. Options
// of leaf clients are the LLM layer's to validate (they depend on the
// provider). Fields BAML knows but bex does not use are warnings.
func (c *compiler) checkConfigs() {
	for _, d := range c.prog.Clients {
		c.checkClient(d.File, d.Decl)
	}
	for _, d := range c.prog.RetryPolicies {
		c.checkRetryPolicy(d.File, d.Decl)
	}
}

func (c *compiler) checkClient(file string, d *syntax.ClientDecl) {
	if d.KindPos.IsValid() && d.Kind != "llm" {
		c.errorf(file, d.KindPos, "unknown client kind <%s> (write client<llm> %s)", d.Kind, d.Name.Name)
	}
	provider := ""
	for _, e := range d.Body.Entries {
		switch e.Key {
		case "provider":
			provider = syntax.Word(e.Value)
		case "options", "retry_policy":
		default:
			c.errorf(file, e.KeyPos, "unknown field `%s` in client %s (want provider, options, retry_policy)", e.Key, d.Name.Name)
		}
	}
	if provider == "" {
		c.errorf(file, d.Name.NamePos, "client %s has no provider", d.Name.Name)
	}
	if provider != "fallback" && provider != "round-robin" {
		return
	}
	for _, e := range d.Body.Entries {
		if e.Key != "options" || e.Block == nil {
			continue
		}
		for _, o := range e.Block.Entries {
			if o.Key != "strategy" && o.Key != "http" && !(o.Key == "start" && provider == "round-robin") { // http: total_timeout_ms, checked by the LLM layer
				c.errorf(file, o.KeyPos, "unsupported property `%s` for a %s client", o.Key, provider)
			}
		}
	}
}

// retryStrategyFields are the fields of a retry policy's strategy block.
var retryStrategyFields = map[string]bool{"type": true, "delay_ms": true, "multiplier": true, "max_delay_ms": true}

func (c *compiler) checkRetryPolicy(file string, d *syntax.RetryPolicyDecl) {
	for _, e := range d.Body.Entries {
		switch e.Key {
		case "max_retries":
		case "strategy":
			if e.Block == nil {
				continue
			}
			for _, s := range e.Block.Entries {
				if !retryStrategyFields[s.Key] {
					c.warnf(file, s.KeyPos, "retry_policy %s: unknown strategy field `%s` is ignored", d.Name.Name, s.Key)
				}
			}
		case "options":
			c.warnf(file, e.KeyPos, "retry_policy %s: options are ignored by bex", d.Name.Name)
		default:
			c.errorf(file, e.KeyPos, "unknown property `%s` in retry_policy %s (want max_retries, strategy)", e.Key, d.Name.Name)
		}
	}
}
