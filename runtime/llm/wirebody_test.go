package llm

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// TestOpenAIPlan: a Chat Completions request made under its endpoint's plan
// has the URL, headers and body bytes (json.Marshal's of the body map, keys
// sorted) of the request made as a map, for endpoints with and without
// options, keys or client headers, streamed or not, and messages with
// escapes and media.
func TestOpenAIPlan(t *testing.T) {
	temp, maxTok := 0.25, int64(300)
	endpoints := []*endpoint{
		{provider: "openai", api: apiOpenAI, model: "gpt-4o-mini", baseURL: "http://127.0.0.1:8080/v1", apiKey: "sk-1"},
		{provider: "openai-generic", api: apiOpenAI, baseURL: "http://127.0.0.1:/v1"},
		{provider: "openai", api: apiOpenAI, model: "m<&>", baseURL: "https://api.example.com/v1", apiKey: "k",
			temperature: &temp, maxTokens: &maxTok, headers: map[string]string{"X-Team": "a", "accept": "text/plain", "authorization": "mine"},
			extra: map[string]any{"seed": int64(7), "stop": []any{"\n\n", nil}, "a_first": true, "zz_last": map[string]any{"k": 1.5},
				"messages": "dropped", "stream": false, "model": "dropped", "response_format": map[string]any{"type": "json_object"}}},
		{provider: "azure-openai", api: apiOpenAI, model: "dep", modelInURL: true, azure: true, apiVersion: "2024-10-21 x&y",
			baseURL: "https://r.openai.azure.com/openai/deployments/dep", apiKey: "az", maxTokens: &maxTok},
	}
	msgs := [][]vmspan.Message{
		nil,
		{{Role: "system", Content: "Be <brief> & \"exact\"\n\t\u2028\u2029\x01\x7f\xff é 😀"}, {Role: "user", Content: "hi"}},
		{{Role: "user", Content: "look", Parts: []vmspan.Part{{Text: "look at "}, {Media: &vmspan.Media{Kind: vmspan.MediaImage, URL: "https://x/y.png"}}}}},
	}
	for i, ep := range endpoints {
		ep.box()
		for _, stream := range []bool{false, true} {
			if p := ep.openAIPlan(stream); p != nil {
				t.Errorf("endpoint %d: a plan for the first request", i)
			}
			p := ep.openAIPlan(stream)
			if p == nil {
				t.Fatalf("endpoint %d: no plan", i)
			}
			if ep.openAIPlan(stream) != p {
				t.Errorf("endpoint %d: the plan is made again", i)
			}
			for j, m := range msgs {
				got, err := p.request(m)
				if err != nil || got == nil {
					t.Fatalf("endpoint %d, messages %d: %v", i, j, err)
				}
				want := openAIWire{}.start(ep, stream)
				if want.body["messages"], err = chatMessages(m, openAIParts); err != nil {
					t.Fatal(err)
				}
				finishRequest(ep, want)
				wantBody, err := json.Marshal(want.body)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.raw, wantBody) {
					t.Errorf("endpoint %d, stream %v, messages %d: body\n%s\nwant\n%s", i, stream, j, got.raw, wantBody)
				}
				if got.url != want.url || !reflect.DeepEqual(got.header, want.header) {
					t.Errorf("endpoint %d, stream %v: %s %v, want %s %v", i, stream, got.url, got.header, want.url, want.header)
				}
				hreq, err := newHTTPRequest(t.Context(), got, got.raw)
				if err != nil {
					t.Fatal(err)
				}
				std, err := http.NewRequestWithContext(t.Context(), http.MethodPost, want.url, bytes.NewReader(wantBody))
				if err != nil {
					t.Fatal(err)
				}
				checkSameRequest(t, hreq, std)
			}
		}
	}
}

// checkSameRequest: got is std as http.NewRequestWithContext makes it,
// field by field, its URL a copy and its body the same bytes.
func checkSameRequest(t *testing.T, got, std *http.Request) {
	t.Helper()
	if got.URL == std.URL || *got.URL != *std.URL || got.URL.String() != std.URL.String() {
		t.Errorf("URL %v, want a copy of %v", got.URL, std.URL)
	}
	if got.Method != std.Method || got.Proto != std.Proto || got.ProtoMajor != std.ProtoMajor || got.ProtoMinor != std.ProtoMinor ||
		got.Host != std.Host || got.ContentLength != std.ContentLength || got.Context() != std.Context() ||
		reflect.TypeOf(got.Body) != reflect.TypeOf(std.Body) || (got.GetBody == nil) != (std.GetBody == nil) {
		t.Errorf("request %+v, want %+v", got, std)
	}
	for _, r := range []*http.Request{got, std} {
		rc, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		if b.Len() != int(got.ContentLength) {
			t.Errorf("GetBody gives %d bytes, want %d", b.Len(), got.ContentLength)
		}
	}
}

// TestOpenAIPlanNone: an endpoint whose body fastjson does not encode, or
// whose URL does not parse, has no plan; its requests are made as maps.
func TestOpenAIPlanNone(t *testing.T) {
	for _, ep := range []*endpoint{
		{provider: "openai", api: apiOpenAI, model: "m", baseURL: "http://127.0.0.1/v1", extra: map[string]any{"x": struct{ A int }{1}}},
		{provider: "openai", api: apiOpenAI, model: "m", baseURL: "http://[::1"},
	} {
		ep.box()
		for range 3 {
			if p := ep.openAIPlan(false); p != nil {
				t.Errorf("%s: a plan", ep.baseURL)
			}
			r, err := openAIWire{}.build(ep, []vmspan.Message{{Role: "user", Content: "hi"}}, false)
			if err != nil || r.plan != nil || r.body == nil {
				t.Errorf("%s: %+v, %v; want a map body", ep.baseURL, r, err)
			}
		}
	}
}
