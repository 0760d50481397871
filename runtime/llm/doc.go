// Package llm makes bex's LLM function calls: it renders prompt templates,
// sends them to providers, retries and falls back as the program's
// client<llm> and retry_policy declarations say, records every provider
// attempt for tracing, and parses the model's reply into the function's
// declared return type. HTTP providers are called with net/http and a wire
// format of their own; cloud credentials and AWS requests go through the
// clouds' Go libraries (golang.org/x/oauth2/google for Vertex AI, the AWS
// SDK for Go v2 for Bedrock), so nothing is signed by hand.
//
// The engine builds one Runtime per loaded program with NewRuntime and calls
// Runtime.Call for every LLM function call. The package knows nothing of
// the VM: arguments and results are vmspan snapshot values (nil, bool,
// int64, float64, string, []any, map[string]any, vmspan.Object,
// vmspan.Enum, and *vmspan.Media for media arguments), and the return type
// is a *types.Type of bex's one type model (package runtime/types), as the
// compiler resolved it.
//
//	rt, err := llm.NewRuntime(clients, policies)        // validates; reports all errors with positions
//	res, err := rt.Call(ctx, llm.Request{Function: "ClassifyTicket", Client: "Fast",
//		Prompt: prompt, PromptFile: "main.baml", PromptLine: 12, Args: args, Output: ticketType})
//	// res.Value is a vmspan.Object; res.Attempts go into the LLM span's end event.
//
// # Providers
//
// docs/providers.md shows a runnable client of each, with its options.
//
//   - openai: the Chat Completions API, POST {base_url}/chat/completions with
//     "Authorization: Bearer KEY"; base_url defaults to $OPENAI_BASE_URL when
//     set, else https://api.openai.com/v1; api_key to $OPENAI_API_KEY. Every
//     OpenAI-compatible server (vLLM, LiteLLM, OpenRouter, Ollama) works
//     through base_url.
//   - openai-generic: the same API; base_url is required and no key is sent
//     unless api_key is given.
//   - ollama: the same API; base_url defaults to http://localhost:11434/v1.
//   - openrouter: the same API at https://openrouter.ai/api/v1 with
//     $OPENROUTER_API_KEY.
//   - openai-responses: the Responses API, POST {base_url}/responses; the
//     defaults of openai; max_tokens is sent as max_output_tokens; the finish
//     reason is the response's status or why it is incomplete.
//   - azure-openai: Chat Completions at {base_url}/chat/completions
//     ?api-version={api_version}, base_url defaulting to
//     https://{resource_name}.openai.azure.com/openai/deployments/{deployment_id};
//     api_version is required; the key goes in the api-key header
//     ($AZURE_OPENAI_API_KEY); max_tokens defaults to 4096; the deployment is
//     the recorded model. Entra ID (tenant_id, client_id) is not supported.
//   - anthropic: the Messages API, POST {base_url}/v1/messages with
//     x-api-key and anthropic-version: 2023-06-01; base_url defaults to
//     $ANTHROPIC_BASE_URL when set, else https://api.anthropic.com; api_key to
//     $ANTHROPIC_API_KEY. System messages become the top-level system prompt;
//     when no other message is left (a prompt without role markers) the text
//     is sent as one user message, since the API needs one. max_tokens
//     defaults to 4096 (the API requires it).
//   - google-ai: Gemini, POST {base_url}/models/{model}:generateContent
//     (streamGenerateContent?alt=sse when streamed) with the key in the
//     x-goog-api-key header, never in the URL; base_url defaults to
//     https://generativelanguage.googleapis.com/v1beta, api_key to
//     $GOOGLE_API_KEY, model to gemini-2.5-flash. System messages become
//     system_instruction, assistant turns role "model"; temperature and
//     max_tokens go into generationConfig; default_role is "user", as in BAML.
//   - vertex-ai: the Gemini format at
//     https://{location}-aiplatform.googleapis.com/v1/projects/{project_id}/locations/{location}/publishers/google/models
//     (base_url replaces it) with an OAuth access token from credentials
//     (a path, JSON text or a block), credentials_content,
//     $GOOGLE_APPLICATION_CREDENTIALS(_CONTENT), else Application Default
//     Credentials, through golang.org/x/oauth2/google. Token sources are
//     cached per credential. project_id defaults to the credentials'.
//   - aws-bedrock: Converse and ConverseStream through the AWS SDK for Go v2:
//     model (or model_id), region (default $AWS_REGION, then the profile's),
//     access_key_id / secret_access_key / session_token or profile, else the
//     SDK's default credential chain; inference_configuration (max_tokens,
//     temperature, top_p, stop_sequences), additional_model_request_fields,
//     endpoint_url. The SDK's own retries are off (the retry_policy governs);
//     its HTTP requests go through the Runtime's HTTP client and are recorded.
//   - fallback: options { strategy [A, B, ...] } tries the clients in order,
//     each with its own retry policy, until one succeeds; any error moves to
//     the next client.
//   - round-robin: options { strategy [A, B, ...] } sends each call to the
//     next client in turn.
//
// BAML's older names are aliases: baml-openai-chat, baml-azure-chat,
// baml-anthropic-chat, baml-ollama-chat, baml-fallback, baml-round-robin;
// attempts record the current name. A function may also name a client by
// shorthand, "openai/gpt-4o-mini" or "anthropic/claude-3-5-haiku-latest":
// the provider's defaults with that model.
//
// A call may bring a ClientRegistry (Request.Registry): clients that add to
// or override the program's, validated as declared ones, and a primary
// client that replaces the function's.
//
// # Options
//
// model (required), base_url, api_key, temperature, max_tokens, headers (a
// block of "Name" "value"; they override the runtime's own headers),
// default_role (the role of text before the first _.role marker, default
// "system"), http (the timeouts, see Timeouts below; request_timeout_ms
// outside it is accepted too), and supports_streaming (false: a streamed
// call makes plain requests to this client and gets no partial values).
// Any other option is passed through into the request body (top_p, stop,
// seed, response_format, ...), except BAML options that mean nothing to a
// provider (allowed_roles, ...).
//
// Each provider's own options are listed above; media_url_handler (and its
// older name media_url_resolver) says how media URLs are sent (see Media).
// allowed_roles, allowed_role_metadata, remap_roles,
// finish_reason_allow_list, finish_reason_deny_list and
// client_response_type are accepted and not sent.
//
// Option values written env.NAME are read when a call is made, never at
// load, so rotated keys are picked up without reloading. An unset variable is
// a *ConfigError naming it — except for base_url, which then falls back to
// the provider's default. What a client's options resolve to is reused by
// its next calls while the variables they read keep their values; so is,
// for Chat Completions clients, what their requests take from the options
// alone: the request body's bytes around the messages (the options, the
// model; keys sorted as encoding/json sorts them), the URL, parsed, and
// the headers.
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
// for string; fields and enum values marked @skip are left out, a map's key
// type is named, a recursive alias is named where it recurs),
// {{ ctx.client.name }} and {{ ctx.client.provider }} name the
// client. {{ _.role("system"|"user"|"assistant") }} starts a new chat
// message. As in BAML, text before the first marker is a system message
// (default_role changes that); messages are trimmed and empty ones dropped.
// Role markers carry a per-Runtime random nonce, so argument text cannot
// forge them. Undefined names are errors (x is defined still works), and
// {% include %} and {% extends %} cannot read files. Errors are
// *PromptError with the source line of the failing template line.
//
// # Media
//
// Media arguments (image, audio, pdf, video; *vmspan.Media, made by the
// engine from URLs, base64 or files; see MediaFrom) print in a prompt as a
// content part of their message: {{ img }} in a user message becomes the
// provider's image (audio, document, video) part, and the text around it
// text parts. Where a provider cannot take a URL, the runtime fetches it
// and sends the bytes inline, at most MaxMediaBytes within
// MediaFetchTimeout; media_url_handler overrides the defaults per kind
// (send_url, send_base64, send_url_add_mime_type,
// send_base64_unless_google_url). The defaults, as in BAML:
//
//	provider                  image                   audio      pdf        video
//	openai, azure-openai, ... URL                     fetched    URL        not supported
//	openai-responses          URL                     fetched    URL        not supported
//	anthropic                 URL                     unsupported fetched   not supported
//	google-ai                 fetched unless gs://    URL        URL        URL
//	vertex-ai                 URL + media type        URL + type URL        URL
//	aws-bedrock               fetched                 fetched    fetched    s3:// only
//
// Records hold media by reference: in an attempt's Messages a media value
// reads <image image/png 1234 bytes sha256:…>, and in its recorded request
// body the base64 of every inline value is replaced by that description.
//
// # Retries and fallbacks
//
// A client's retry_policy allows max_retries more attempts after the first,
// waiting delay_ms between them (constant_delay, BAML's default strategy with
// 200 ms), or delay_ms × multiplier^n capped at max_delay_ms
// (exponential_backoff; defaults 200 ms, 1.5, 10 s). Retried: status 429
// and 5xx, network errors (a stream that ends early included) and timeouts
// (except a strategy's total); not retried: other 4xx, malformed reply
// bodies, configuration errors, cancellation, and a streamed attempt that
// fails after partial values of its reply were delivered. On 429 and 503
// a Retry-After header (seconds or an HTTP date) is honoured when it asks for
// more than the policy's delay; one asking for more than a minute is not
// waited for, and the error is returned. Waits end early when ctx ends.
//
// A reply that cannot be coerced to the return type is NOT retried (and does
// not trigger a fallback), as in BAML: the request succeeded, and repeating
// the same prompt would cost as much again for a likely similar reply. The
// error is a *ParseError; its attempt records it. Request.RetryInvalid (the
// engine's WithRetryInvalidReplies) opts in to the opposite: such a reply,
// one that fails an @assert, and with Strict one coerced with loss, is
// parsed as soon as its attempt ends and fails that attempt, which is then
// retried like a 5xx and moved on from by a fallback; a round-robin client
// moves on when it has a retry policy of its own. A streamed attempt whose
// partial values were delivered is not retried either way.
//
// # Timeouts
//
// Every attempt is bounded phase by phase, as BAML's http options say,
// with finite defaults where BAML's are infinite:
//
//		client<llm> Fast {
//		    provider openai
//		    options {
//		        model "gpt-4o-mini"
//		        http {
//		            connect_timeout_ms 5000               // default 10 s
//		            time_to_first_token_timeout_ms 30000  // default 10 minutes
//		            idle_timeout_ms 15000                 // default 2 minutes
//		            request_timeout_ms 120000             // default 30 minutes
//		        }
//		    }
//		}
//
//	  - connect_timeout_ms: getting a connection (dial and TLS handshake, or a
//	    pooled connection);
//	  - time_to_first_token_timeout_ms: from the start of the request to the
//	    reply's first text: a streamed reply's first event with output text;
//	    a plain reply's first body byte, which comes once the whole reply is
//	    generated, so for a call that is not streamed this bounds the
//	    generation (the default is OpenAI's and Anthropic's SDKs' timeout);
//	  - idle_timeout_ms: a pause in the reply after its first text (any data
//	    counts, keep-alive events too);
//	  - request_timeout_ms: the whole attempt, streamed or not.
//
// A fallback or round-robin client takes http { total_timeout_ms N }: all
// its attempts (retries and waits included) end within N, or it fails with
// a total timeout and is not retried; an enclosing fallback moves on. The
// http keys are those BAML accepts (a leaf client also takes
// enable_connection_pooling, which changes nothing: connections are always
// pooled); 0 turns a bound off. A call's own Request.Timeouts (the engine's
// WithTimeouts call option) apply where they are stricter, and Total bounds
// the whole call; WithTimeouts changes a Runtime's defaults. A bound that
// passes fails the attempt with a *TimeoutError naming it (error type
// LLMTimeoutError, OpenTelemetry error.type timeout), which is retried and
// moves a fallback on like a network error. Each retry gets its bounds
// afresh.
//
// # Connections
//
// Requests go through one HTTP client per process (NewHTTPClient; replace
// it with WithHTTPClient). Its pool keeps up to 256 idle connections per
// provider host (1,024 in all), each closed after 90 s unused, so that a
// program with many calls in flight reuses its connections instead of
// opening one, and paying a TLS handshake, for most requests, as Go's
// default of two idle connections per host makes it do. It speaks HTTP/2 to
// providers that offer it over TLS (many calls share one connection) and
// honours HTTPS_PROXY and NO_PROXY. Besides the timeouts above, which the
// runtime enforces on each attempt whatever the HTTP client, the client
// bounds its own waits:
//
//   - connect: 10 s per dial;
//   - TLS handshake: 10 s;
//   - sending the request: at most 10 minutes for a write to make progress
//     (the connection's write deadline moves only when less than half of
//     it is left, so a write may fail after 5 minutes without progress);
//   - response headers: 10 minutes from sending the request (a
//     non-streaming completion sends its headers only when the whole reply
//     is generated; 10 minutes is the default total timeout of OpenAI's and
//     Anthropic's own SDKs);
//   - response body: 10 minutes without a byte (left to the attempt's own
//     bounds when its time to first token and idle timeouts are both on
//     and no longer, as by default: they are the tighter ones);
//   - HTTP/2: a connection that has received no frame for 30 s is pinged and
//     closed when no answer comes within 15 s, or when a write makes no
//     progress for 30 s; the requests on it fail and are retried.
//
// These are the outer limits of its requests: a client timeout set longer
// (a time to first token over 10 minutes for a call that is not streamed)
// needs a streamed call, or WithHTTPClient with a client without them. A
// request that exceeds one fails with a *TimeoutError whose Err is the HTTP
// client's error, retried like the others.
//
// # Attempts and tracing
//
// Every provider request is a vmspan.LLMAttempt in Result.Attempts (also
// when Call fails): client, provider, model, response model and id, server
// address and port, start and duration, usage with the meaning of the
// OpenTelemetry GenAI conventions (vmspan.Usage: the input count includes
// cached tokens, the output count reasoning tokens): OpenAI prompt_tokens,
// completion_tokens, prompt_tokens_details.cached_tokens,
// completion_tokens_details.reasoning_tokens; Anthropic input_tokens plus
// cache_read_input_tokens plus cache_creation_input_tokens as the input
// count (Anthropic's input_tokens leaves them out), output_tokens, and the
// two cache counts; Gemini promptTokenCount, candidatesTokenCount plus
// thoughtsTokenCount, cachedContentTokenCount, thoughtsTokenCount as
// reasoning; Responses input_tokens, output_tokens,
// input_tokens_details.cached_tokens,
// output_tokens_details.reasoning_tokens; Bedrock as Anthropic
// (inputTokens plus cacheReadInputTokens plus cacheWriteInputTokens),
// finish reason (OpenAI finish_reason, Anthropic stop_reason, Gemini
// finishReason, Responses status, Bedrock stopReason), temperature,
// max_tokens, the prompt messages, the output text, the HTTP request and
// response, and the error, whose code (vmspan.ErrorInfo.Code, OpenTelemetry's
// error.type) is the HTTP status, the provider's error code, or "timeout".
// Selected is true only on the attempt whose output became the result. Secrets are redacted: Authorization, x-api-key, api-key,
// x-goog-api-key, X-Amz-Security-Token and every header for which
// vmspan.IsSecretKey holds, secret URL parameters (signed URLs' signatures
// and credentials), and the literal values of the API key, the Vertex
// access token, the AWS secret key and session token, and secret headers
// wherever they appear (bodies, messages, output, errors); the API keys and
// secret headers of every client a call may reach are collected before its
// first attempt.
//
// Each attempt is started with vmspan.StartAttempt just before its request
// and ended with its complete record (a failed attempt when it fails, the
// successful one once its output is parsed, so that it records whether it
// was selected). With a live OpenTelemetry bridge, the ctx StartAttempt
// returns carries the attempt's CLIENT span, and the request is made with
// it: the propagator (WithPropagator; by default the global one, a no-op
// until the application sets one) injects that span's traceparent, with
// its sampling decision, and tracestate and baggage, and an instrumented
// HTTP client (an otelhttp transport in WithHTTPClient) puts its own span
// below it. Without a bridge, the propagator injects whatever span ctx
// carries (the application's own), and nothing when it carries none.
//
// # Output parsing
//
// ParseOutput turns a reply into a value of the return type with the rules
// of BAML's parser ("jsonish"), so that prompts tuned against BAML keep
// their results: a reply BAML turns into a value turns into the same value
// here (TestBAMLDifferential checks the table of parsecases_test.go, a
// held-out set and mutated replies against the real BAML runtime). Where
// BAML loses data silently, bex says so: the result carries parse notes,
// and strict parsing refuses the reply instead (see below).
//
// A string return type takes the whole reply as it is. Otherwise parsing
// has three steps: the reply is read in every way that may be meant (its
// readings), each reading is coerced to the type, and the best coercion
// wins.
//
// Readings, in this order (the first step that finds something gives them
// all):
//
//	the whole reply is JSON     that value
//	``` fences (a fence opens   one block: its content, read again as JSON or repaired;
//	a line; a tag of letters,   several, or a block followed by text: each block, then
//	digits or spaces follows)   the list of all blocks, then the text after the last
//	{...} or [...] in prose     one span: it; several: each, then the list of all (brackets
//	                            are matched ignoring strings; a mismatch gives none)
//	the reply, repaired         one value; of several, the objects and lists, then their list
//	the plain text              the reply as a string
//
// Repairs, as BAML makes them: trailing and leading commas; 'single',
// `backtick`, """triple""" and ```fenced``` strings (the last two dedented);
// unquoted keys; unquoted values up to the next separator (in an object a
// comma ends a value when a newline, a quote or a comment follows, or when
// the value so far is one word, a number, true, false or null: "Paris,
// France" stays whole); // and /* */ comments (# is not one); quotes inside
// strings left unescaped (a quote closes a string only when a separator
// that fits its place follows); missing closing quotes and brackets (the
// reply ended). Bare words true, false and null are JSON's; True, False,
// None and undefined stay words (bool coercion still reads True). A
// missing comma between two fields is not repaired: the second key is
// taken into the first value's string, as in BAML.
//
// Coercion, for each type (a conversion adds to the reading's score, in
// parentheses; 0 is an exact fit):
//
//	string         a string; anything else printed BAML's way (2): 12.5, true,
//	               [a, b], {key: value}; null fails. At the top level, a string,
//	               an enum or a string literal reads the whole reply text
//	int            an integral number; a float rounded half away from zero (1);
//	               a string holding an int, a float, a fraction "3/4", or exactly
//	               one number in prose ("$1,234.50", "50%", "12 apples", "The
//	               answer is 42."; rounded, 1); of a list, its best element
//	float          a number; a string as for int (without rounding); "1 cup of
//	               butter, softened" gives 1 (1); of a list, its best element
//	bool           true/false; a string equal to true or false in any case (1),
//	               or naming one of them ("It is false", 1); of a list, its best
//	enum           the variant a text names (see matching); a non-string is
//	               printed first (2)
//	literal        string: as an enum of one name; int and bool: as int and bool,
//	               then compared
//	class          an object: each key names a field by its shown name (@alias
//	               if any, else the name: the declared name of an aliased field
//	               is an unknown key) compared loosely (matching, whole names
//	               only); the first of a repeated key counts; unknown keys are
//	               ignored (1 each). A missing optional field is null (1); a
//	               missing list or map field is empty (100); an unreadable one is
//	               empty, an unreadable optional field null (2); any other missing
//	               or unreadable field fails the class. A class of one field
//	               also reads a bare value as that field (2), except plain text
//	               at the top level. A list gives its best element as the class
//	list           a list, elements that cannot be read dropped (1 + index);
//	               a single value as a list of one (1); null as an empty list
//	map            an object, entries that cannot be read dropped (1 each); for
//	               a map keyed by an enum, a key must name a variant as a whole
//	               enum value does (the result keeps the variant's name), for
//	               one keyed by literals, be one of them; other entries are
//	               dropped (1 each)
//	T? and unions  every variant in order, null last; a variant that fits
//	               exactly wins at once, else the best by the choice rule.
//	               null fits any value (110): "nothing found" for a T? is null
//	any            the reading as a plain value (bex only; also media and
//	               function types, which no reply holds)
//
// An alias reads as its type (a recursive one through its lists, maps and
// classes). Fields marked @skip are neither shown to the model nor read
// from the reply: they are null in the result. Enum values marked @skip are
// neither shown nor matched.
//
// Matching a text against names (enum variants: the shown name, and with a
// @description also the description and "name: description"; literals;
// true/false; field names) tries, in turn: the trimmed text equal to a name
// (then without accents); the name occurring in the text (enums, literals
// and bools only: the variant named most often, counting non-overlapping
// occurrences, longest first; two named equally often is an error); the
// same with punctuation stripped from both (all but letters, digits, '-'
// and '_'); the same ignoring case.
//
// Choosing among readings (and union variants), BAML's pick_best: a real
// list before a single value made a list; a list that kept its elements
// before an empty one that dropped them; in a union, a class before a
// one-string-field class made from a bare string; a class with values
// before one made only of defaults; a class, list or map before a string
// printed from JSON or picked out of a list; then the lower score; then
// the earlier reading. The score of a value is the sum of its conversions'
// and its parts' scores.
//
// Most replies are exactly what the prompt asked for, and a fast path
// reads those straight into the result, without the readings, their tree
// and the scores: a reply that is one valid JSON value (whitespace around
// it allowed) of the return type with no conversion at all. That is, for a
// class, an object whose keys are the shown names of its fields, each at
// most once, with no other key (a missing optional field is null); for the
// other types, a string for string, an integral number in range for int, a
// number for float, true or false for bool, a variant's shown name for an
// enum (inside a class, list, map or union), a list or map of such values,
// null or a value for T?, and for a union the first variant that fits
// without a missing optional field. Anything else — a type with @assert or
// @check constraints, any, a string, enum or string literal at the top
// level, a repeated or unknown key, a value that needs a conversion, a
// reply that would take more than a few reads per byte (a union tries its
// variants in turn) — goes to the full parser. The fast path gives exactly the full parser's result
// (no notes, no checks): a differential test and a fuzz target
// (FuzzParseExact) compare the two on every reply the fast path takes.
//
// # Parse notes and strict parsing
//
// BAML drops, defaults and rounds silently; bex keeps BAML's result and
// says what was lost, as vmspan.ParseNotes on the result (Parsed.Notes,
// Result.Notes, the selected attempt's ParseNotes, hence the trace):
//
//	dropped    a list element or map entry that could not be read left out;
//	           a list read as one value (the other elements left out)
//	defaulted  a missing list or map field made empty; an unreadable value
//	           replaced by null, [] or {} (for T?: "nothing" read as null)
//	rounded    a number with a fraction made an int
//	truncated  the reply ended inside a value: a string or number kept cut
//	           off, or an incomplete list element left out
//
// A missing optional field, an unknown key, a number read out of prose and
// a choice among readings are not losses. ParseOptions.Strict (Request.Strict,
// engine.WithStrictParsing, bex run --strict-parse) refuses a reply with
// notes: the error is a *ParseError whose Notes lists them.
//
// Where bex deliberately differs from BAML 0.226 (the values of all other
// replies match): \uXXXX escapes in repaired JSON are decoded (BAML drops
// their last digit); an integer beyond int64 is an error (BAML wraps it
// around); NaN and infinities are not floats (BAML returns them, null in
// JSON); a string printed from a value that had several readings shows the
// text, never BAML's internal "AnyOf[...]".
//
// A value that cannot be coerced is a *ParseError naming the field path of
// the reading that got furthest (for example `field "items[1].qty": want
// int, got "lots"`) and showing the start of the reply.
//
// Parsing is linear in the reply's length: the repairing reader keeps an
// explicit stack (at most 512 open objects and lists; deeper replies are
// read as plain text), and the work on one reply is bounded (32 grepped
// spans, 16 fences, 4 closing fences tried per fence, 8 nested readings).
// A 1 MB reply of nested brackets is read in milliseconds
// (docs/performance.md).
//
// The readings are built for streaming (a later step): every value knows
// whether the reply ended inside it (a string without its closing quote, a
// container without its bracket, a number that ran to the end of an
// unclosed container), and coercion reads only the compiled return type
// (target.go, the one place that reads the type model). The repairing reader can
// be fed a reply in pieces (fixer.feed, then fixer.finish): where what a
// byte means depends on text that has not arrived (a quote that may be
// followed by a separator, a comma after a bare word, an escape cut in
// two), it waits instead of guessing, so that reading in pieces gives
// exactly what reading the whole gives (TestFixerInPieces,
// FuzzFixerInPieces). Its open containers are its whole state and the
// values it has finished are immutable, so the readings of a growing reply
// can share them.
//
// # Checks and asserts
//
// The @assert and @check constraints of the return type — on type
// positions (the result, list elements, map values and union members in
// parentheses, aliases), on fields, and on classes (@@assert, @@check,
// wherever the class is used) — are tested on the values coercion makes,
// as BAML's parser does: each is a Jinja expression over this, evaluated
// by EvalPredicate with the engine of the prompts (gonja) and BAML's
// regex_match filter, and must give a boolean. A value that fails an
// @assert (or whose constraint cannot be evaluated, even a @check) fails
// its coercion: a list element or map entry is then left out, an optional
// field is null (with parse notes, and a type with constraints gets no
// other default), a union takes another member, and anywhere else the
// reply is refused with a *ParseError wrapping an *AssertError (the
// constraint, the value's path, the value). That attempt is marked failed
// and, like any reply that cannot be parsed, is not retried nor fallen
// back from, as in BAML, unless Request.RetryInvalid asks for it (see
// "Retries and fallbacks"). The outcomes of the @checks of the result are in
// Parsed.Checks and Result.Checks and on the selected attempt (Checks),
// each with the path of its value. CheckArgs tests the @asserts of a
// function's parameters on its arguments, as BAML does before a call.
//
// Where BAML 0.226 departs from its documentation bex follows the
// documentation: a string result's constraints are tested (BAML returns
// it untested), and a union member's asserts apply even when the value
// fits that member exactly (BAML skips them then). TestConstraints runs
// the cases both ways against the reference runtime.
//
// # Dynamic types
//
// Request.Types (ParseOptions.Types) is what a call adds to the program's
// @@dynamic classes and enums: OutputFormatWith shows the added fields and
// values after the declared ones, and the reply is parsed and coerced with
// them as if declared. The attempts record the additions the return type
// uses (LLMAttempt.DynamicTypes).
//
// # Streaming
//
// A call with Request.Partial set is streamed: each provider attempt asks
// for a streamed reply (stream: true with OpenAI's include_usage,
// Anthropic's and Responses' event streams, Gemini's
// streamGenerateContent?alt=sse, Bedrock's ConverseStream through the SDK)
// and Partial receives the partial values of the return type as the reply
// grows; the Result is what the same call not streamed returns (the whole
// text, parsed once more), and usage and finish reason come from the
// stream. Partial returning false stops the call with ErrStopped (a
// cancellation): the reply's connection is closed and nothing is retried.
//
// Partial values follow BAML's semantic streaming, in the engine's form
// (class instances as maps by field name, enum values as names):
//
//   - string: the text so far;
//   - a class: a map with every field, null until read (a list field [],
//     a map field {}); strings as far as written; numbers, booleans, enum
//     values and literals only once whole; list elements as soon as they
//     open; a field @stream.done only once whole; an object with a
//     @stream.not_null field without a value is left out; a field
//     @stream.with_state is {"state": "Pending"|"Incomplete"|"Complete",
//     "value": ...}; a class @@stream.done only once whole;
//   - a list: the elements read so far, an element that cannot be read left
//     out; a map: its entries so far (a repeated key keeps its first value);
//   - a union: the variant whose fields an open object's keys name (a
//     literal field that does not fit rules a variant out), the list or
//     string variant for a list or string; once whole, the variant the
//     final coercion chooses;
//   - other types (numbers, booleans, enums, literals): no partial values.
//
// The partial values are read from the JSON of the reply as the full
// parser finds it: the content of the first ``` fence with a tag, else the
// text from the first { or [. Values read whole are coerced as in the
// final value, part by part, so that a partial value never loses what it
// showed: a value read whole never changes, strings only grow, lists and
// objects only gain. The final value may differ where the whole reply
// reads otherwise (another reading, a list element dropped). A value that
// the reply so far ends with counts as whole only once the byte after it
// shows that it ended (a quote may be inside the string, a comma inside a
// word), and a string shows from its first character: BAML, which shows
// "GREEN" and 3, before that byte and "" on an opening quote, may be one
// byte ahead (TestPartialsBAMLDifferential).
//
// Partial values are kept up to date incrementally: the JSON is fed to the
// repairing reader as chunks arrive, values read whole are coerced once and
// shared by the partial values that follow (they never change), and only
// the values still open are built again; a new partial value is built
// after a chunk only once the reply has grown by half a byte for each
// element or field the last one copied, so that a reply in small chunks
// costs a small constant times one parse (BenchmarkStreamParse in bench/,
// budget 5). PartialParser gives the same partial values for a stream bex
// does not make.
//
// A streamed attempt that fails before any partial value was delivered
// (an error status, a timeout, a connection dropped or a stream ended
// before its text) is retried and falls back as a plain one; once values
// were delivered, a failure ends the call, since another reply would not
// continue them. A stream that ends without its API's final event (and
// without a finish reason) is a *TransportError, a malformed event or an
// error event in a 2xx stream a *ResponseError.
//
// Below this, (*call).stream makes one streamed attempt and returns a
// Stream, which yields text deltas (Deltas, an iter.Seq2) and then the
// completion they add up to (usage, finish reason, response model and id)
// and fills in the attempt's record. SSE is read by a tolerant reader
// (comments and keep-alives, multi-line data, [DONE], CRLF and lone CR,
// events split across reads; FuzzSSE).
//
// # Bounds
//
// Every network wait is bounded: a provider request, streamed or not
// (Bedrock's SDK requests included, which go through the Runtime's HTTP
// client), by its timeouts (see Timeouts: finite by default), the HTTP
// client's own bounds (see NewHTTPClient) and ctx; a media fetch by
// MediaFetchTimeout, MaxMediaBytes and ctx; a Vertex token request by TokenFetchTimeout (tokens are cached until
// shortly before they expire); AWS credential providers by the SDK's own
// timeouts (instance metadata: 250 ms to connect, 500 ms to the first byte)
// and ctx; a streamed event is at most 16 MiB.
//
// Parsing a reply is bounded too: a reply is converted at most 100 levels deep,
// and converting it to the return type may call the coercer at most 256
// times per JSON value of the reply (plus 100,000). Without that bound a
// reply nested deep in a type whose unions recur (class A { next A | B? })
// would take time exponential in its depth, since every variant is tried
// at every level; with it such a reply fails with a *ParseError saying it
// is too complex, in time linear in its length.
//
// # Limitations
//
//   - No tool calls. Media only in prompts (an LLM function cannot return
//     media); media in a system message is sent as its description to
//     providers with a top-level system prompt (Anthropic, Gemini, Bedrock).
//   - vertex-ai serves Gemini models only (not Anthropic's on Vertex);
//     azure-openai authenticates with api-key only (not Entra ID).
//   - A vertex-ai token request cannot be cancelled by ctx once started
//     (golang.org/x/oauth2's TokenSource takes no ctx); TokenFetchTimeout
//     bounds it.
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
