// Package llmstub is a scripted stand-in for LLM providers: an HTTP server
// that speaks every wire format package llm does, with realistic reply
// bodies (ids, model, usage, finish reasons), streamed or not:
//
//   - OpenAI Chat Completions: POST .../chat/completions (also Azure's
//     /openai/deployments/{d}/chat/completions), SSE chunks with
//     stream_options.include_usage and [DONE];
//   - OpenAI Responses: POST /responses and /v1/responses, and its
//     response.* event stream;
//   - Anthropic Messages: POST /v1/messages, and its message_start ...
//     message_stop event stream;
//   - Gemini: POST .../models/{model}:generateContent and
//     :streamGenerateContent (google-ai and vertex-ai paths);
//   - Bedrock: POST /model/{id}/converse and /converse-stream, the stream in
//     the AWS event-stream encoding (the SDK's encoder).
//
// Streamed replies cut the text into events of Reply.ChunkSize bytes,
// paced by Reply.FirstChunkDelay and Reply.ChunkDelay. Reply.Fault makes a
// reply go wrong the ways real ones do, after Reply.FaultAfter events:
// FaultHang (no headers, ever), FaultStall (headers, then silence; with
// FaultAfter 0 not a byte of the body), FaultDrop (the connection drops in
// the middle of an event), FaultMalformed (an event that is not JSON, or
// not an AWS event-stream message), FaultNoFinal (the text, then a clean
// end without the API's final events). Every wait ends when the client
// goes away.
// Credentials are checked as the providers would: WithAPIKey for the API
// keys (Authorization, x-api-key, x-goog-api-key, api-key);
// WithGoogleServiceAccount serves an OAuth token endpoint at TokenPath that
// verifies a service account's RS256-signed JWT and issues access tokens,
// which Vertex requests must then carry (ServiceAccountKey makes the
// matching key file); WithAWSCredentials recomputes each
// Bedrock request's SigV4 signature with the AWS SDK's signer and answers
// 403 InvalidSignatureException on a mismatch. Tests, examples and
// integration tests use it instead of a real provider, and the Default
// script makes it an offline demo of the SPEC §2 example.
//
//	srv := llmstub.New(llmstub.WithRules(llmstub.Rule{
//		Model:   "gpt-4o-mini",
//		Replies: []llmstub.Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}}, {Text: "ok"}},
//	}))
//	defer srv.Close()
//	// point a client's base_url at srv.URL(); inspect srv.Requests() afterwards
//
// A Script is a list of Rules tried in order — matched on the API, the
// requested model and a substring of the prompt — and a default responder.
// A rule's Replies are used one per request, the last repeating, or its
// Respond function computes a reply from the request. A Reply sets the
// completion text, or an error status (with the API's error body and
// headers such as Retry-After), a verbatim (malformed) body, a delay that
// ends early when the client goes away, the finish reason, usage and model.
//
// Requests are recorded (headers, traceparent included, and body) for
// assertions: the last DefaultKeep of them by default, so that a stub under
// hours of load keeps a bounded memory; WithKeep(KeepAll) (or Handler.Keep)
// keeps every one for tests that assert on all their requests, and Count
// counts them all either way. Server listens on 127.0.0.1 with a free port, like
// httptest.Server; Handler serves the same script anywhere, and
// ListenAndServe runs it as a standalone service.
package llmstub
