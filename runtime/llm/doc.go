// Package llm makes bex's LLM function calls: it renders prompt templates,
// sends them to providers over plain net/http (no vendor SDK), retries and
// falls back as the program's client<llm> and retry_policy declarations say,
// records every provider attempt for tracing, and parses the model's reply
// into the function's declared return type.
//
// The engine builds one Runtime per loaded program with NewRuntime and calls
// Runtime.Call for every LLM function call. The package knows nothing of
// the VM: arguments and results are vmspan snapshot values (nil, bool,
// int64, float64, string, []any, map[string]any, vmspan.Object,
// vmspan.Enum), and the return type is described by a Schema.
//
//	rt, err := llm.NewRuntime(clients, policies)        // validates; reports all errors with positions
//	res, err := rt.Call(ctx, llm.Request{Function: "ClassifyTicket", Client: "Fast",
//		Prompt: prompt, PromptFile: "main.baml", PromptLine: 12, Args: args, Output: ticketSchema})
//	// res.Value is a vmspan.Object; res.Attempts go into the LLM span's end event.
//
// # Providers
//
//   - openai: the Chat Completions API, POST {base_url}/chat/completions with
//     "Authorization: Bearer KEY"; base_url defaults to $OPENAI_BASE_URL when
//     set, else https://api.openai.com/v1; api_key to $OPENAI_API_KEY. Every
//     OpenAI-compatible server (vLLM, LiteLLM, OpenRouter, Ollama) works
//     through base_url.
//   - openai-generic: the same API; base_url is required and no key is sent
//     unless api_key is given.
//   - ollama: the same API; base_url defaults to http://localhost:11434/v1.
//   - anthropic: the Messages API, POST {base_url}/v1/messages with
//     x-api-key and anthropic-version: 2023-06-01; base_url defaults to
//     $ANTHROPIC_BASE_URL when set, else https://api.anthropic.com; api_key to
//     $ANTHROPIC_API_KEY. System messages become the top-level system prompt;
//     when no other message is left (a prompt without role markers) the text
//     is sent as one user message, since the API needs one. max_tokens
//     defaults to 4096 (the API requires it).
//   - fallback: options { strategy [A, B, ...] } tries the clients in order,
//     each with its own retry policy, until one succeeds; any error moves to
//     the next client.
//   - round-robin: options { strategy [A, B, ...] } sends each call to the
//     next client in turn.
//
// A function may also name a client by shorthand, "openai/gpt-4o-mini" or
// "anthropic/claude-3-5-haiku-latest": the provider's defaults with that
// model.
//
// # Options
//
// model (required), base_url, api_key, temperature, max_tokens, headers (a
// block of "Name" "value"; they override the runtime's own headers),
// default_role (the role of text before the first _.role marker, default
// "system"), and request_timeout_ms (a per-request timeout; a timeout is
// retried). Any other option is passed through into the request body
// (top_p, stop, seed, response_format, ...), except BAML options that mean
// nothing to a provider (allowed_roles, supports_streaming, http, ...).
//
// Option values written env.NAME are read when a call is made, never at
// load, so rotated keys are picked up without reloading. An unset variable is
// a *ConfigError naming it — except for base_url, which then falls back to
// the provider's default.
//
// # Prompts
//
// Prompts are Jinja templates rendered with gonja v2
// (github.com/nikolalohinski/gonja/v2), a maintained, pure-Go implementation
// that aims at compatibility with Python's Jinja2; BAML's templates are
// Jinja too, so existing prompts keep working, and no template engine had to
// be written here. Templates compile once per prompt (cached; safe for
// concurrent use) and render per call. The prompt text is dedented first, so
// an indented #"..."# block renders flush left.
//
// Templates see the function's arguments by name; class instances expose
// their fields ({{ t.title }}, {{ t["title"] }}), enums print their value,
// and a class instance, list or map printed whole prints as JSON in the
// prompt form of package vmspan/spanjson (fields in declaration order, map
// keys sorted, floats such as 2.0 keep their ".0"), the encoding trace
// files and OpenTelemetry attributes use too.
// {{ ctx.output_format }} describes the return type (see OutputFormat; empty
// for string), {{ ctx.client.name }} and {{ ctx.client.provider }} name the
// client. {{ _.role("system"|"user"|"assistant") }} starts a new chat
// message. As in BAML, text before the first marker is a system message
// (default_role changes that); messages are trimmed and empty ones dropped.
// Role markers carry a per-Runtime random nonce, so argument text cannot
// forge them. Undefined names are errors (x is defined still works), and
// {% include %} and {% extends %} cannot read files. Errors are
// *PromptError with the source line of the failing template line.
//
// # Retries and fallbacks
//
// A client's retry_policy allows max_retries more attempts after the first,
// waiting delay_ms between them (constant_delay, BAML's default strategy with
// 200 ms), or delay_ms × multiplier^n capped at max_delay_ms
// (exponential_backoff; defaults 200 ms, 1.5, 10 s). Retried: status 429
// and 5xx, network errors and request timeouts; not retried: other 4xx,
// malformed reply bodies, configuration errors, cancellation. On 429 and 503
// a Retry-After header (seconds or an HTTP date) is honoured when it asks for
// more than the policy's delay; one asking for more than a minute is not
// waited for, and the error is returned. Waits end early when ctx ends.
//
// A reply that cannot be coerced to the return type is NOT retried (and does
// not trigger a fallback): the request succeeded, and repeating the same
// prompt would cost as much again for a likely similar reply. The error is a
// *ParseError; its attempt records it.
//
// # Connections and timeouts
//
// Requests go through one HTTP client per process (NewHTTPClient; replace
// it with WithHTTPClient). Its pool keeps up to 256 idle connections per
// provider host (1,024 in all), each closed after 90 s unused, so that a
// program with many calls in flight reuses its connections instead of
// opening one, and paying a TLS handshake, for most requests, as Go's
// default of two idle connections per host makes it do. It speaks HTTP/2 to
// providers that offer it over TLS (many calls share one connection) and
// honours HTTPS_PROXY and NO_PROXY. Every network wait is bounded:
//
//   - connect: 10 s per dial (a provider that does not answer is tried
//     again by the retry policy rather than waited for);
//   - TLS handshake: 10 s;
//   - response headers: 10 minutes from the start of the request, which
//     includes connecting and sending it. A non-streaming completion sends
//     its headers only when the whole reply is generated, so this bound is
//     the longest generation a call allows; it is the default total timeout
//     of OpenAI's and Anthropic's own SDKs;
//   - response body: 10 minutes without a byte;
//   - HTTP/2: a connection that has received no frame for 30 s is pinged and
//     closed when no answer comes within 15 s, or when a write makes no
//     progress for 30 s; the requests on it fail and are retried.
//
// A request that exceeds a bound fails with a *TransportError whose Timeout
// is true, and is retried like other network errors. ctx deadlines and the
// request_timeout_ms option bound a request further, never less.
//
// # Attempts and tracing
//
// Every provider request is a vmspan.LLMAttempt in Result.Attempts (also
// when Call fails): client, provider, model, response model and id, server
// address and port, start and duration, usage (OpenAI prompt_tokens,
// completion_tokens, prompt_tokens_details.cached_tokens; Anthropic
// input_tokens, output_tokens, cache_read_input_tokens — as reported, so
// Anthropic's input count excludes cached tokens), finish reason (OpenAI
// finish_reason, Anthropic stop_reason), temperature, max_tokens, the
// prompt messages, the output text, the HTTP request and response, and the
// error. Selected is true only on the attempt whose output became the
// result. Secrets are redacted: Authorization, x-api-key and every header
// for which vmspan.IsSecretKey holds, secret URL parameters, and the literal
// values of the API key and secret headers wherever they appear (bodies,
// messages, output, errors).
//
// Each request carries a W3C traceparent naming its attempt's
// OpenTelemetry span: when ctx holds a bex span s (the LLM function's span),
// 00-{s.TraceID()}-{vmspan.AttemptSpanID(s.SpanContext().ID, n)}-01, where n
// counts the call's attempts from 0 across retries and fallbacks — the ids
// otelbridge gives the attempt spans. Without a bex span, an OpenTelemetry
// span in ctx is propagated as is. tracestate is passed on when present.
//
// # Output parsing
//
// See ParseOutput. A string return type takes the reply as is. Otherwise the
// parser looks for JSON in the reply (bare, inside ``` fences — the last
// fence first — or inside prose), repairs what models break (trailing or
// missing commas, single quotes, unquoted keys and values, comments,
// Python's True/False/None, unescaped quotes, a reply cut off mid-value) and
// coerces the result: class fields by alias or name, then case- and
// separator-insensitively; enums by name or alias, case-insensitively, also
// as a bare word or the one variant named in a sentence; numbers from
// strings; ints from integral floats; a single value where a list is
// expected as a one-element list; optional fields may be missing. A value
// that cannot be coerced is a *ParseError naming the field path (for
// example `field "items[1].qty": want int, got "lots"`) and showing the
// start of the reply.
//
// # Limitations
//
//   - No streaming, tool calls, images or other non-text content.
//   - gonja cannot parse a conditional expression inside call arguments
//     ({{ _.role("user" if c else "assistant") }}); assign it first with
//     {% set r = "user" if c else "assistant" %}{{ _.role(r) }}.
//   - gonja follows Jinja: booleans print as True/False and a missing value
//     prints as an empty string.
//   - The render of a call uses the called client's default_role and name
//     for every attempt, also when a fallback moves to another client.
//   - Secret values shorter than four bytes are not searched for in recorded
//     text (headers carrying them are still redacted by name).
package llm
