package llm

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// The provider goldens: for each provider, a request built from a client
// declaration and a prompt template (plain, with media, streamed), sent to
// a server that answers with the provider's documented example reply
// (testdata/providers/replies/NAME), and what the runtime made of it. The
// golden (testdata/providers/NAME.golden) holds the request as the server
// received it (method, path, headers, JSON body) and the result.

// goldenCase is one provider golden.
type goldenCase struct {
	name     string
	provider string
	options  map[string]any
	prompt   string
	args     []vmspan.Arg
	stream   bool
	status   int               // reply status (default 200)
	header   map[string]string // reply headers
	reply    string            // file under testdata/providers/replies
	events   []bedrockEvent    // a Bedrock event stream reply, instead of reply
}

type bedrockEvent struct {
	typ, payload string
}

const goldenPrompt = `
	You are terse.
	{{ _.role("user") }}
	Say hello to {{ name }}.
`

const mediaPrompt = `
	{{ _.role("user") }}
	Describe this: {{ img }}
	And this: {{ doc }}
`

var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n-fake-image-bytes")
	pdfBytes  = []byte("%PDF-1.4 fake document bytes")
	goldImage = vmspan.NewMediaBytes(vmspan.MediaImage, pngBytes, "image/png")
	goldPDF   = vmspan.NewMediaBytes(vmspan.MediaPDF, pdfBytes, "application/pdf")
	goldURL   = vmspan.NewMediaURL(vmspan.MediaImage, "https://example.com/cat.png", "")
	goldGS    = vmspan.NewMediaURL(vmspan.MediaImage, "gs://bucket/cat.png", "image/png")
	goldAudio = vmspan.NewMediaBytes(vmspan.MediaAudio, []byte("ID3-fake-audio"), "audio/mp3")
	nameArg   = []vmspan.Arg{{Name: "name", Value: "Ada"}}
)

func mediaArgs(img, doc *vmspan.Media) []vmspan.Arg {
	return []vmspan.Arg{{Name: "img", Value: img}, {Name: "doc", Value: doc}}
}

func goldenCases() []goldenCase {
	openai := map[string]any{"model": "gpt-4.1", "api_key": "sk-golden"}
	anthropic := map[string]any{"model": "claude-3-7-sonnet-20250219", "api_key": "ak-golden"}
	gemini := map[string]any{"model": "gemini-2.0-flash", "api_key": "gk-golden", "temperature": 0.2}
	vertex := map[string]any{"model": "gemini-2.0-flash", "location": "us-central1", "project_id": "my-project"}
	azure := map[string]any{"resource_name": "r", "deployment_id": "gpt-4o-dep", "api_version": "2024-10-21", "api_key": "az-golden"}
	responses := map[string]any{"model": "gpt-4.1", "api_key": "sk-golden", "max_tokens": int64(200)}
	bedrock := map[string]any{"model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "region": "us-east-1",
		"access_key_id": "AKIDGOLDEN", "secret_access_key": "golden-secret", "inference_configuration": map[string]any{"max_tokens": int64(512), "top_p": 0.9}}
	return []goldenCase{
		{name: "openai", provider: "openai", options: openai, prompt: goldenPrompt, args: nameArg, reply: "openai.json"},
		{name: "openai-stream", provider: "openai", options: openai, prompt: goldenPrompt, args: nameArg, stream: true, reply: "openai-stream.sse"},
		{name: "openai-media", provider: "openai", options: openai, prompt: mediaPrompt, args: mediaArgs(goldURL, goldPDF), reply: "openai.json"},
		{name: "openai-error", provider: "openai", options: openai, prompt: goldenPrompt, args: nameArg, status: 429, header: map[string]string{"Retry-After": "2"}, reply: "openai-429.json"},
		{name: "anthropic", provider: "anthropic", options: anthropic, prompt: goldenPrompt, args: nameArg, reply: "anthropic.json"},
		{name: "anthropic-stream", provider: "anthropic", options: anthropic, prompt: goldenPrompt, args: nameArg, stream: true, reply: "anthropic-stream.sse"},
		{name: "anthropic-media", provider: "anthropic", options: anthropic, prompt: mediaPrompt, args: mediaArgs(goldImage, goldPDF), reply: "anthropic.json"},
		{name: "anthropic-error", provider: "anthropic", options: anthropic, prompt: goldenPrompt, args: nameArg, status: 529, reply: "anthropic-529.json"},
		{name: "google-ai", provider: "google-ai", options: gemini, prompt: goldenPrompt, args: nameArg, reply: "gemini.json"},
		{name: "google-ai-stream", provider: "google-ai", options: gemini, prompt: goldenPrompt, args: nameArg, stream: true, reply: "gemini-stream.sse"},
		{name: "google-ai-media", provider: "google-ai", options: gemini, prompt: mediaPrompt, args: mediaArgs(goldGS, goldPDF), reply: "gemini.json"},
		{name: "google-ai-error", provider: "google-ai", options: gemini, prompt: goldenPrompt, args: nameArg, status: 429, reply: "gemini-429.json"},
		{name: "vertex-ai", provider: "vertex-ai", options: vertex, prompt: goldenPrompt, args: nameArg, reply: "gemini.json"},
		{name: "vertex-ai-stream", provider: "vertex-ai", options: vertex, prompt: goldenPrompt, args: nameArg, stream: true, reply: "gemini-stream.sse"},
		{name: "vertex-ai-media", provider: "vertex-ai", options: vertex, prompt: mediaPrompt, args: mediaArgs(goldGS, goldImage), reply: "gemini.json"},
		{name: "vertex-ai-error", provider: "vertex-ai", options: vertex, prompt: goldenPrompt, args: nameArg, status: 403, reply: "vertex-403.json"},
		{name: "azure-openai", provider: "azure-openai", options: azure, prompt: goldenPrompt, args: nameArg, reply: "openai.json"},
		{name: "azure-openai-stream", provider: "azure-openai", options: azure, prompt: goldenPrompt, args: nameArg, stream: true, reply: "openai-stream.sse"},
		{name: "azure-openai-media", provider: "azure-openai", options: azure, prompt: mediaPrompt, args: mediaArgs(goldImage, goldPDF), reply: "openai.json"},
		{name: "azure-openai-error", provider: "azure-openai", options: azure, prompt: goldenPrompt, args: nameArg, status: 400, reply: "azure-400.json"},
		{name: "openai-responses", provider: "openai-responses", options: responses, prompt: goldenPrompt, args: nameArg, reply: "responses.json"},
		{name: "openai-responses-stream", provider: "openai-responses", options: responses, prompt: goldenPrompt, args: nameArg, stream: true, reply: "responses-stream.sse"},
		{name: "openai-responses-media", provider: "openai-responses", options: responses, prompt: mediaPrompt, args: mediaArgs(goldURL, goldAudio), reply: "responses.json"},
		{name: "openai-responses-error", provider: "openai-responses", options: responses, prompt: goldenPrompt, args: nameArg, status: 429, reply: "openai-429.json"},
		{name: "aws-bedrock", provider: "aws-bedrock", options: bedrock, prompt: goldenPrompt, args: nameArg, header: map[string]string{"X-Amzn-Requestid": "4f7c1a2e-golden"}, reply: "bedrock.json"},
		{name: "aws-bedrock-stream", provider: "aws-bedrock", options: bedrock, prompt: goldenPrompt, args: nameArg, stream: true, events: bedrockStreamEvents},
		{name: "aws-bedrock-media", provider: "aws-bedrock", options: bedrock, prompt: mediaPrompt, args: mediaArgs(goldImage, goldPDF), reply: "bedrock.json"},
		{name: "aws-bedrock-error", provider: "aws-bedrock", options: bedrock, prompt: goldenPrompt, args: nameArg, status: 429,
			header: map[string]string{"X-Amzn-Errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, reply: "bedrock-429.json"},
	}
}

// bedrockStreamEvents is the ConverseStream example of the Bedrock user
// guide, as event-stream messages.
var bedrockStreamEvents = []bedrockEvent{
	{"messageStart", `{"role":"assistant"}`},
	{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"}}`},
	{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":", Ada!"}}`},
	{"contentBlockStop", `{"contentBlockIndex":0}`},
	{"messageStop", `{"stopReason":"end_turn"}`},
	{"metadata", `{"usage":{"inputTokens":19,"outputTokens":6,"totalTokens":25},"metrics":{"latencyMs":321}}`},
}

func TestProviderGoldens(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newGoldenServer(t, tc)
			opts := map[string]any{}
			for k, v := range tc.options {
				opts[k] = v
			}
			switch tc.provider {
			case "aws-bedrock":
				opts["endpoint_url"] = srv.URL
			case "vertex-ai":
				opts["base_url"] = srv.URL + "/v1/projects/my-project/locations/us-central1/publishers/google/models"
				opts["credentials"] = string(testServiceAccount(t, srv.URL+"/token"))
			default:
				opts["base_url"] = srv.URL
			}
			rt := mustRuntime(t, []ClientDecl{{Name: "C", Provider: tc.provider, Options: opts, Pos: "golden.baml:1:1"}}, nil,
				WithEnv(func(string) (string, bool) { return "", false }))
			req := Request{Function: "F", Client: "C", Prompt: tc.prompt, Args: tc.args}
			got := srv.transcript() // filled by the call below
			result := runGolden(t, rt, req, tc.stream)
			golden(t, "providers/"+tc.name+".golden", got()+"-- result --\n"+result)
			if tc.status == 0 {
				// A client's next call sends the same requests: Chat
				// Completions ones are then made under the endpoint's plan
				// (see openAIPlan), the first ones without.
				first := got()
				if again := runGolden(t, rt, req, tc.stream); again != result {
					t.Errorf("second call:\n%s\nwant\n%s", again, result)
				}
				if sent := strings.TrimPrefix(got(), first); sent != first {
					t.Errorf("second call's requests:\n%s\nwant\n%s", sent, first)
				}
			}
		})
	}
}

// runGolden makes the call (streamed or not) and describes its outcome.
func runGolden(t *testing.T, rt *Runtime, req Request, stream bool) string {
	var b strings.Builder
	if !stream {
		res, err := rt.Call(context.Background(), req)
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
		} else {
			fmt.Fprintf(&b, "text: %q\n", res.Value)
		}
		if len(res.Attempts) > 0 {
			a := res.Attempts[0]
			fmt.Fprintf(&b, "attempt: provider=%s model=%s response_model=%s id=%s finish=%s usage=%s server=%s\n",
				a.Provider, a.Model, a.ResponseModel, a.ResponseID, a.FinishReason, usageString(a.Usage), a.ServerAddress)
			if a.Request != nil {
				fmt.Fprintf(&b, "recorded body: %s\n", a.Request.Body)
			}
		}
		return b.String()
	}
	c, _ := rt.lookup(req.Client)
	msgs, err := rt.render(&req, c)
	if err != nil {
		t.Fatal(err)
	}
	cs := &call{r: rt, ctx: context.Background(), msgs: msgs}
	s, err := cs.stream(c)
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	defer s.Close()
	var deltas []string
	for d, err := range s.Deltas() {
		if err != nil {
			fmt.Fprintf(&b, "stream error: %v\n", err)
			break
		}
		deltas = append(deltas, d)
	}
	comp := s.Completion()
	fmt.Fprintf(&b, "deltas: %q\ntext: %q\nchunks: %d\n", deltas, comp.text, s.Chunks())
	a := cs.finish()[0]
	fmt.Fprintf(&b, "attempt: provider=%s model=%s response_model=%s id=%s finish=%s usage=%s output=%q err=%v\n",
		a.Provider, a.Model, a.ResponseModel, a.ResponseID, a.FinishReason, usageString(a.Usage), a.Output, a.Err)
	return b.String()
}

func usageString(u vmspan.Usage) string {
	f := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return f(u.InputTokens) + "/" + f(u.OutputTokens) + "/" + f(u.CachedInputTokens)
}

// A goldenServer answers one golden case and records what it received.
type goldenServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newGoldenServer(t *testing.T, tc goldenCase) *goldenServer {
	gs := &goldenServer{}
	var reply []byte
	if tc.reply != "" {
		var err error
		if reply, err = readReply(tc.reply); err != nil {
			t.Fatal(err)
		}
	}
	gs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"ya29.golden-access-token","token_type":"Bearer","expires_in":3599}`)
			return
		}
		gs.record(r, body)
		for k, v := range tc.header {
			w.Header().Set(k, v)
		}
		switch {
		case tc.events != nil:
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			enc := eventstream.NewEncoder()
			for _, ev := range tc.events {
				var hs eventstream.Headers
				hs.Set(":event-type", eventstream.StringValue(ev.typ))
				hs.Set(":content-type", eventstream.StringValue("application/json"))
				hs.Set(":message-type", eventstream.StringValue("event"))
				_ = enc.Encode(w, eventstream.Message{Headers: hs, Payload: []byte(ev.payload)})
			}
		default:
			if strings.HasSuffix(tc.reply, ".sse") {
				w.Header().Set("Content-Type", "text/event-stream")
			} else {
				w.Header().Set("Content-Type", "application/json")
			}
			if tc.status != 0 {
				w.WriteHeader(tc.status)
			}
			w.Write(reply)
		}
	}))
	t.Cleanup(gs.Close)
	return gs
}

func readReply(name string) ([]byte, error) {
	return readTestdata("providers/replies/" + name)
}

// volatile headers differ from run to run (SigV4 time and signature, SDK
// invocation ids) or with the Go version; goldens leave them out.
var volatileHeaders = map[string]bool{"User-Agent": true, "Accept-Encoding": true, "Content-Length": true, "X-Amz-Date": true,
	"Amz-Sdk-Invocation-Id": true, "Amz-Sdk-Request": true, "X-Amz-Content-Sha256": true}

func (gs *goldenServer) record(r *http.Request, body []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "-- request --\n%s %s\n", r.Method, r.URL.RequestURI())
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		if !volatileHeaders[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(r.Header[k], ", ")
		if k == "Authorization" && strings.HasPrefix(v, "AWS4-HMAC-SHA256") {
			v = v[:strings.Index(v, "Signature=")] + "Signature=…" // time-dependent
			v = strings.Join(slices.DeleteFunc(strings.Split(v, "/"), func(s string) bool { return len(s) == 8 && strings.Trim(s, "0123456789") == "" }), "/")
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		b.WriteString(pretty.String() + "\n")
	} else {
		b.WriteString(string(body) + "\n")
	}
	gs.mu.Lock()
	gs.reqs = append(gs.reqs, b.String())
	gs.mu.Unlock()
}

// transcript returns a function that, once the call is made, returns the
// requests received.
func (gs *goldenServer) transcript() func() string {
	return func() string {
		gs.mu.Lock()
		defer gs.mu.Unlock()
		return strings.Join(gs.reqs, "")
	}
}

var (
	saKeyOnce sync.Once
	saKey     *rsa.PrivateKey
)

// testKey returns an RSA key made once per test run.
func testKey(t *testing.T) *rsa.PrivateKey {
	saKeyOnce.Do(func() {
		var err error
		if saKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return saKey
}

// testServiceAccount returns a service-account key file whose token_uri is
// tokenURL, signed by testKey.
func testServiceAccount(t *testing.T, tokenURL string) []byte {
	b, err := llmstub.ServiceAccountKey(testKey(t), "my-project", tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

type rsaKey = rsa.PrivateKey

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
