// wirebody.go prepares what a Chat Completions request takes from its
// endpoint alone, once per endpoint: the body's bytes around its messages,
// the URL and the headers. A request then appends its messages between
// them, in one pass and one buffer.

package llm

import (
	"maps"
	"net/http"
	"net/url"

	"github.com/bexrun/bex/internal/fastjson"
	"github.com/bexrun/bex/vmspan"
)

// A requestPlan is the part of a provider request that depends on the
// endpoint only: the body json.Marshal writes for it (keys sorted, the
// endpoint's options, the model), cut where the messages go, its URL,
// parsed, and its headers, the client's included.
type requestPlan struct {
	prefix, suffix []byte // the body before and after the messages' value
	url            string // with api-version, as sent
	parsed         url.URL
	header         http.Header // values of one element (see applicationJSON)
}

// messagesSlot stands for the messages while a plan's body is encoded.
type messagesSlot struct{}

// openAIPlan returns the plan of ep's Chat Completions requests, streamed
// or not, made at its second request: an endpoint used once (a
// ClientRegistry's client, resolved per call) is not worth one. It returns
// nil for the first request, and when the body holds a value that fastjson
// does not encode or the URL does not parse: the request is then made as
// any other wire's is, which reports the error.
func (ep *endpoint) openAIPlan(stream bool) *requestPlan {
	i := 0
	if stream {
		i = 1
	}
	if p := ep.plans[i].Load(); p != nil && p != planPending {
		return p.plan
	} else if p == nil && ep.plans[i].CompareAndSwap(nil, planPending) {
		return nil
	}
	r := openAIWire{}.start(ep, stream)
	r.body["messages"] = messagesSlot{}
	p := &requestPlan{}
	at := -1
	b, ok := fastjson.Append(nil, r.body, func(b []byte, v any) ([]byte, bool) {
		if _, slot := v.(messagesSlot); slot {
			at = len(b)
			return b, true
		}
		return b, false
	})
	r.release()
	finishRequest(ep, r)
	// The URL as http.NewRequest makes it (an empty port dropped).
	req, err := http.NewRequest(http.MethodPost, r.url, nil)
	if ok && at >= 0 && err == nil {
		p.prefix, p.suffix = b[:at:at], b[at:]
		p.url, p.parsed, p.header = r.url, *req.URL, r.header
	} else {
		p = nil
	}
	ep.plans[i].Store(&planRef{p})
	return p
}

// A planRef holds a plan made, or nil when none could be.
type planRef struct{ plan *requestPlan }

// planPending marks an endpoint whose first request was made.
var planPending = &planRef{}

// finishRequest adds ep's api-version query to r's URL and ep's headers to
// r's headers, which win over the wire's own.
func finishRequest(ep *endpoint, r *wireRequest) {
	if ep.apiVersion != "" {
		r.url += "?api-version=" + url.QueryEscape(ep.apiVersion)
	}
	for k, v := range ep.headers { // the client's headers win, even over ours
		r.header.Set(k, v)
	}
}

// request returns the request of msgs under plan p: its body appended in
// one pass, json.Marshal's bytes for the whole map the other wires encode
// (see TestOpenAIPlan), and a copy of its headers. It returns nil when a
// message does not encode so (the caller then encodes the map).
func (p *requestPlan) request(msgs []vmspan.Message) (*wireRequest, error) {
	n := len(p.prefix) + len(p.suffix) + 2
	for _, m := range msgs {
		n += len(m.Role) + len(m.Content) + 24
	}
	b := make([]byte, 0, n+n/8+64)
	b = append(b, p.prefix...)
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		if !hasMedia(m) {
			b = append(b, `{"role":`...)
			b = fastjson.AppendString(b, m.Role)
			b = append(b, `,"content":`...)
			b = fastjson.AppendString(b, m.Content)
			b = append(b, '}')
			continue
		}
		parts, err := openAIParts(m.Parts)
		if err != nil {
			return nil, err
		}
		var ok bool
		if b, ok = appendChatMessage(b, &chatMessage{m.Role, parts}); !ok {
			return nil, nil
		}
	}
	b = append(b, ']')
	b = append(b, p.suffix...)
	return &wireRequest{url: p.url, header: maps.Clone(p.header), raw: b, plan: p}, nil
}
