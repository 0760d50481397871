// stub.go holds the scripted handler, its rules and replies, and the Server.

package llmstub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// A Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status (default 200). For a status of 400 or more
	// the body is the API's error object, with Text as its message.
	Status int
	// Text is the completion text (or the error message).
	Text string
	// Body, when set, is sent as the body verbatim (a malformed body).
	Body string
	// Header holds extra response headers, such as "Retry-After".
	Header map[string]string
	// Delay holds the reply back; it ends early, writing nothing, when the
	// client goes away (its request ctx ends).
	Delay time.Duration
	// FinishReason defaults to "stop" (OpenAI) or "end_turn" (Anthropic).
	FinishReason string
	// Usage defaults to word counts of the prompt and the text.
	Usage *Usage
	// Model is the model named in the reply (default: the requested one).
	Model string
	// ChunkSize is the most bytes of text one event of a streamed reply
	// carries (default 16; cut at rune boundaries).
	ChunkSize int
	// FirstChunkDelay holds back the first event of a streamed reply (the
	// body of a plain one) after the headers are sent; ChunkDelay holds
	// back each later event. Both end early when the client goes away.
	FirstChunkDelay, ChunkDelay time.Duration
	// Fault makes the reply go wrong (see Fault), after FaultAfter events
	// of a streamed reply.
	Fault      Fault
	FaultAfter int
}

// Usage is the token usage a reply reports.
type Usage struct {
	Input, Output, Cached int64
	// CacheCreation is what Anthropic and Bedrock report as tokens
	// written to the cache; Reasoning is OpenAI's
	// completion_tokens_details.reasoning_tokens, sent when not zero.
	CacheCreation, Reasoning int64
}

// A Rule answers the requests it matches. Replies are used in order, the
// last one repeating; when Replies is empty, Respond is called.
type Rule struct {
	API      string // "openai", "anthropic", "google", "responses" or "bedrock"; "" matches all
	Model    string // the requested model; "" matches any
	Contains string // a substring of the prompt (Request.Prompt); "" matches any
	Replies  []Reply
	Respond  func(Request) Reply
}

func (r *Rule) matches(req *Request) bool {
	return (r.API == "" || r.API == req.API) && (r.Model == "" || r.Model == req.Model) &&
		(r.Contains == "" || strings.Contains(req.Prompt(), r.Contains))
}

// A Script is a list of rules, tried in order, and a default responder for
// requests no rule matches (nil: an echo of the prompt's last message).
type Script struct {
	Rules   []Rule
	Default func(Request) Reply
}

// A Message is one chat message of a received request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// A Request is a received request, recorded for assertions.
type Request struct {
	API      string // "openai", "anthropic", "google", "responses" or "bedrock"
	Method   string
	Path     string // the path and query
	Header   http.Header
	Body     []byte
	Model    string    // from the body, or the URL for Gemini and Bedrock
	Stream   bool      // a streamed reply was asked for
	Messages []Message // top-level system prompts come first, as role "system"
}

// Prompt returns the contents of all messages, joined by newlines.
func (r Request) Prompt() string {
	parts := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n")
}

// Last returns the content of the last message with the given role, or "".
func (r Request) Last(role string) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == role {
			return r.Messages[i].Content
		}
	}
	return ""
}

// DefaultKeep is how many of the most recent requests a Handler keeps for
// Requests unless Keep says otherwise: enough for a test that looks at the
// requests of a few calls, and a bounded memory for a stub that serves load
// for hours.
const DefaultKeep = 100

// KeepAll, passed to Keep or WithKeep, keeps every request, for tests that
// assert on all the requests they caused.
const KeepAll = -1

// A Handler is the stub as an http.Handler. It serves POST
// /chat/completions and /v1/chat/completions (OpenAI) and /v1/messages
// (Anthropic). It is safe for concurrent use.
type Handler struct {
	mu     sync.Mutex
	rules  []*ruleState
	def    func(Request) Reply
	apiKey string
	log    requestLog
	seq    int
	google *googleAuth // the OAuth token endpoint, when set up
	aws    *awsAuth    // SigV4 verification, when set up
}

// A requestLog keeps the most recent requests: the last keep of them in a
// ring (all of them when keep is KeepAll, none when it is 0).
type requestLog struct {
	keep  int
	reqs  []Request
	first int // index of the oldest request in reqs, once the ring is full
}

func (l *requestLog) add(r Request) {
	switch {
	case l.keep == 0:
	case l.keep < 0 || len(l.reqs) < l.keep:
		l.reqs = append(l.reqs, r)
	default:
		l.reqs[l.first] = r
		l.first = (l.first + 1) % len(l.reqs)
	}
}

func (l *requestLog) list() []Request {
	out := make([]Request, 0, len(l.reqs))
	out = append(out, l.reqs[l.first:]...)
	return append(out, l.reqs[:l.first]...)
}

type ruleState struct {
	Rule
	used int
}

// NewHandler returns a Handler that follows script.
func NewHandler(script Script) *Handler {
	h := &Handler{def: script.Default, log: requestLog{keep: DefaultKeep}}
	for _, r := range script.Rules {
		h.On(r)
	}
	return h
}

// On adds a rule after the existing ones.
func (h *Handler) On(r Rule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules = append(h.rules, &ruleState{Rule: r})
}

// Keep sets how many of the most recent requests h keeps for Requests:
// n > 0 keeps the last n, 0 none (Count still counts them), KeepAll every
// one. It drops the requests kept so far.
func (h *Handler) Keep(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = requestLog{keep: max(n, KeepAll)}
}

// Requests returns the requests kept (the last DefaultKeep unless Keep says
// otherwise), oldest first.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.log.list()
}

// Count returns the number of requests received so far, kept or not.
func (h *Handler) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq
}

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == TokenPath && h.google != nil {
		h.google.serveToken(w, r)
		return
	}
	api, model, stream := route(r.URL.Path)
	if api == "" || r.Method != http.MethodPost {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	req := Request{API: api, Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, Model: model, Stream: stream}
	if err := decodeRequest(&req); err != nil {
		writeError(w, api, 400, "invalid request body: "+err.Error())
		return
	}
	reply, id := h.next(req)
	if deny := h.authorize(r, &req, body); deny != nil {
		reply = *deny
	}
	if reply.Delay > 0 && !wait(r.Context(), reply.Delay) {
		return
	}
	if reply.Fault == FaultHang {
		<-r.Context().Done()
		return
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	switch {
	case reply.Body != "":
		writePlain(r.Context(), w, &reply, []byte(reply.Body))
	case status(reply) >= 400:
		writeError(w, api, status(reply), reply.Text)
	case req.Stream:
		writeStream(r.Context(), w, &req, &reply, id)
	default:
		b, _ := json.Marshal(completionBody(&req, &reply, id))
		writePlain(r.Context(), w, &reply, append(b, '\n'))
	}
}

// authorize returns the reply to a request whose credentials are wrong, or
// nil: the API key (WithAPIKey), a Vertex access token
// (WithGoogleServiceAccount), a SigV4 signature (WithAWSCredentials).
func (h *Handler) authorize(r *http.Request, req *Request, body []byte) *Reply {
	switch {
	case req.API == "bedrock" && h.aws != nil:
		if err := h.aws.verify(r, body); err != nil {
			return &Reply{Status: 403, Text: err.Error(), Header: map[string]string{"X-Amzn-Errortype": "InvalidSignatureException"}}
		}
		return nil
	case req.API == "google" && h.google != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
		if !h.google.valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			return &Reply{Status: 401, Text: "Request had invalid authentication credentials."}
		}
		return nil
	case h.apiKey != "" && req.API != "bedrock" && !authorized(r, h.apiKey):
		return &Reply{Status: 401, Text: "invalid api key"}
	}
	return nil
}

// next records req and picks its reply.
func (h *Handler) next(req Request) (Reply, int) {
	h.mu.Lock()
	h.log.add(req)
	h.seq++
	id := h.seq
	var respond func(Request) Reply
	var reply *Reply
	for _, r := range h.rules {
		if !r.matches(&req) {
			continue
		}
		if len(r.Replies) == 0 {
			respond = r.Respond
		} else {
			reply = &r.Replies[min(r.used, len(r.Replies)-1)]
			r.used++
		}
		break
	}
	if reply == nil && respond == nil {
		respond = h.def
	}
	h.mu.Unlock()
	switch {
	case reply != nil:
		return *reply, id
	case respond != nil:
		return respond(req), id
	}
	return Reply{Text: "stub reply: " + firstLine(req.Prompt(), 80)}, id
}

// route names the API of a request path, the model a path names (Gemini,
// Bedrock), and whether the path asks for a stream.
func route(path string) (api, model string, stream bool) {
	p := strings.TrimSuffix(path, "/")
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return "openai", "", false
	case p == "/v1/messages":
		return "anthropic", "", false
	case p == "/responses" || p == "/v1/responses":
		return "responses", "", false
	case strings.HasSuffix(p, ":generateContent"), strings.HasSuffix(p, ":streamGenerateContent"):
		rest, method, _ := strings.Cut(p[strings.LastIndexByte(p, '/')+1:], ":")
		return "google", rest, method == "streamGenerateContent"
	case strings.HasPrefix(p, "/model/") && (strings.HasSuffix(p, "/converse") || strings.HasSuffix(p, "/converse-stream")):
		id, op, _ := strings.Cut(strings.TrimPrefix(p, "/model/"), "/")
		id, _ = url.PathUnescape(id)
		return "bedrock", id, op == "converse-stream"
	}
	return "", "", false
}

func authorized(r *http.Request, key string) bool {
	return r.Header.Get("Authorization") == "Bearer "+key || r.Header.Get("X-Api-Key") == key ||
		r.Header.Get("X-Goog-Api-Key") == key || r.Header.Get("Api-Key") == key
}

func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func status(r Reply) int {
	if r.Status == 0 {
		return 200
	}
	return r.Status
}

// A Server is a Handler listening on 127.0.0.1, like httptest.Server.
type Server struct {
	*Handler
	srv  *http.Server
	url  string
	done chan struct{}
}

// An Option configures a Server.
type Option func(*Server)

// WithScript makes the server follow script (default: Default()).
func WithScript(s Script) Option {
	return func(srv *Server) {
		srv.Handler.rules = nil
		srv.Handler.def = s.Default
		for _, r := range s.Rules {
			srv.Handler.On(r)
		}
	}
}

// WithRules adds rules before those of the script.
func WithRules(rules ...Rule) Option {
	return func(srv *Server) {
		states := make([]*ruleState, len(rules))
		for i, r := range rules {
			states[i] = &ruleState{Rule: r}
		}
		srv.Handler.rules = append(states, srv.Handler.rules...)
	}
}

// WithAPIKey makes the server answer 401 to requests that do not carry key
// (as "Authorization: Bearer key" or "x-api-key: key").
func WithAPIKey(key string) Option { return func(srv *Server) { srv.Handler.apiKey = key } }

// WithKeep sets how many of the most recent requests the server keeps for
// Requests (default DefaultKeep; KeepAll keeps every one). See Handler.Keep.
func WithKeep(n int) Option { return func(srv *Server) { srv.Handler.Keep(n) } }

// New starts a stub server on 127.0.0.1 with a free port. It panics if it
// cannot listen, as httptest.NewServer does. The caller must Close it.
func New(opts ...Option) *Server {
	s := &Server{Handler: NewHandler(Default())}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("llmstub: listen: %v", err))
	}
	s.url, s.done = "http://"+ln.Addr().String(), make(chan struct{})
	s.srv = &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s
}

// URL returns the server's base URL, "http://127.0.0.1:PORT". Use it as the
// base_url of an anthropic client, and of an openai client (or URL()+"/v1").
func (s *Server) URL() string { return s.url }

// Close stops the server and closes all connections, ending delayed replies.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// ListenAndServe serves script on addr until it fails, for running the stub
// as a standalone service (a small main in a docker-compose demo).
func ListenAndServe(addr string, script Script) error {
	srv := &http.Server{Addr: addr, Handler: NewHandler(script), ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
