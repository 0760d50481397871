// wire.go holds what every provider's wire format shares: the wire
// interface, the completion a reply gives, and error bodies. Each format
// has a file of its own (wire_openai.go, wire_anthropic.go, wire_google.go,
// wire_responses.go); Bedrock goes through the AWS SDK (bedrock.go).

package llm

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/bexrun/bex/vmspan"
)

// A wire is one provider API's HTTP request and reply format.
type wire interface {
	// build returns the request of a chat call; stream asks for a streamed
	// reply. msgs hold media already resolved for the provider (see
	// resolveMedia): a media part is inline bytes or a URL to pass on.
	build(ep *endpoint, msgs []vmspan.Message, stream bool) (*wireRequest, error)
	// parse reads a 2xx reply body of a non-streamed call.
	parse(body []byte) (completion, error)
	// decoder returns a decoder for one streamed reply.
	decoder() streamDecoder
}

// A wireRequest is a provider request before it is sent: its body a map
// to encode, or, made under a plan (see requestPlan), its URL, headers and
// encoded body final.
type wireRequest struct {
	url    string
	header http.Header
	body   map[string]any
	raw    []byte       // the encoded body, made under plan
	plan   *requestPlan // nil unless the request was made under a plan
}

// newWireRequest starts a request with JSON headers and the passed-through
// options, the model, the temperature and max_tokens (under the name the
// API uses, "" to leave it out) in the body.
func newWireRequest(ep *endpoint, url, maxTokensKey string) *wireRequest {
	h := http.Header{"Content-Type": applicationJSON, "Accept": applicationJSON}
	body, _ := bodyMaps.Get().(map[string]any)
	if body == nil {
		body = make(map[string]any, len(ep.extra)+4)
	}
	for k, v := range ep.extra {
		body[k] = v
	}
	if ep.model != "" && !ep.modelInURL {
		body["model"] = ep.boxed.model
	}
	if ep.temperature != nil {
		body["temperature"] = ep.boxed.temperature
	}
	if ep.maxTokens != nil && maxTokensKey != "" {
		body[maxTokensKey] = ep.boxed.maxTokens
	}
	return &wireRequest{url: url, header: h, body: body}
}

// bodyMaps holds the maps of request bodies already encoded, for the next
// requests: a body is a map only until it is encoded (see release).
var bodyMaps sync.Pool

// release empties r's body map for another request once the body is
// encoded; r's body is nil afterwards. The values the map held (the
// endpoint's options, messages) are not changed.
func (r *wireRequest) release() {
	if r.body == nil {
		return
	}
	clear(r.body)
	bodyMaps.Put(r.body)
	r.body = nil
}

// applicationJSON is the value of the JSON headers, shared by every request:
// a Header.Add makes a new slice (its capacity is full), Set replaces it,
// and http.Client copies headers before it sends them.
var applicationJSON = []string{"application/json"}[:1:1]

// A completion is what a provider's reply says.
type completion struct {
	text   string
	model  string
	id     string
	finish string
	usage  vmspan.Usage
}

// wires maps each wire API name to its format.
var wires = map[string]wire{
	apiOpenAI:    openAIWire{},
	apiAnthropic: anthropicWire{},
	apiGoogle:    googleWire{},
	apiResponses: responsesWire{},
}

// sum adds the counts that are reported; nil when none is.
func sum(ns ...*int64) *int64 {
	var total *int64
	for _, n := range ns {
		if n != nil {
			if total == nil {
				total = new(int64)
			}
			*total += *n
		}
	}
	return total
}

// providerCode extracts the error code of an error body: OpenAI's
// {"error": {"code": ...}} (or its "type"), Anthropic's {"error": {"type":
// ...}}, Gemini's {"error": {"status": ...}}; "" when there is none.
func providerCode(body []byte) string {
	var r struct {
		Error struct {
			Code   any    `json:"code"`
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	switch c := r.Error.Code.(type) {
	case string:
		if c != "" {
			return c
		}
	}
	if r.Error.Type != "" {
		return r.Error.Type
	}
	return r.Error.Status
}

// providerMessage extracts the error message of an error body: OpenAI's,
// Anthropic's and Google's {"error": {"message": ...}}, a plain
// {"error": "..."}, or Bedrock's {"message": ...} / {"Message": ...}.
func providerMessage(body []byte) string {
	var r struct {
		Error    json.RawMessage `json:"error"`
		Message  string          `json:"message"`
		MessageU string          `json:"Message"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	if len(r.Error) > 0 {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(r.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
		var s string
		if json.Unmarshal(r.Error, &s) == nil {
			return s
		}
	}
	if r.Message != "" {
		return r.Message
	}
	return r.MessageU
}

// A chatMessage is one message of Chat Completions and Messages requests,
// role first as the APIs document it.
type chatMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

// chatMessages renders msgs as chatMessages: the text of a message
// without media, and the content parts that parts makes of one with.
// The messages are *chatMessage, all in one allocation.
func chatMessages(msgs []vmspan.Message, parts func([]vmspan.Part) ([]any, error)) ([]any, error) {
	out := make([]any, len(msgs))
	cms := make([]chatMessage, len(msgs))
	for i, m := range msgs {
		out[i] = &cms[i]
		if !hasMedia(m) {
			cms[i] = chatMessage{m.Role, m.Content}
			continue
		}
		ps, err := parts(m.Parts)
		if err != nil {
			return nil, err
		}
		cms[i] = chatMessage{m.Role, ps}
	}
	return out, nil
}

// int64p returns a pointer to n, for usage fields.
func int64p(n int64) *int64 { return &n }

// hasMedia reports whether m holds a media part.
func hasMedia(m vmspan.Message) bool {
	for _, p := range m.Parts {
		if p.Media != nil {
			return true
		}
	}
	return false
}
