package bex_test

// TestProvidersDoc runs every client of docs/providers.md: the page's baml
// blocks, plus one function per client, are checked (bex check, and
// BAML's own checker when BEX_BAML_DIR is set) and every function runs
// against llmstub, which checks each provider's credentials. Requests to
// the providers' real hosts are sent to the stub by the HTTP transport, so
// the examples stay as a user writes them.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/internal/cli"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// docBlocks returns the baml code blocks of a markdown file.
func docBlocks(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```baml\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

var clientName = regexp.MustCompile(`client<llm> (\w+) \{\n\s+provider ([\w-]+)`)

// rewrite sends every request to the stub, keeping its path and Host.
type rewrite struct{ stub *url.URL }

func (rw rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Host = req.URL.Host
	r.URL.Scheme, r.URL.Host = rw.stub.Scheme, rw.stub.Host
	return http.DefaultTransport.RoundTrip(r)
}

func TestProvidersDoc(t *testing.T) {
	blocks := docBlocks(t, "docs/providers.md")
	src := strings.Join(blocks, "\n")
	var clients, providers []string
	for _, m := range clientName.FindAllStringSubmatch(src, -1) {
		clients, providers = append(clients, m[1]), append(providers, m[2])
	}
	if len(clients) < 11 {
		t.Fatalf("found %d clients in docs/providers.md: %v", len(clients), clients)
	}
	for _, c := range clients {
		src += fmt.Sprintf("\nfunction Ask%s(q: string) -> string {\n    client %s\n    prompt #\"\n        Be brief.\n        {{ _.role(\"user\") }} {{ q }}\n    \"#\n}\n", c, c)
	}
	dir := filepath.Join(t.TempDir(), "baml_src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.baml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("bex check", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), []string{"check", dir}, nil, &out, &errOut); code != 0 {
			t.Fatalf("bex check: %d\n%s%s", code, out.String(), errOut.String())
		}
	})
	t.Run("baml-cli check", func(t *testing.T) { bamlCheck(t, dir) })

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	stub := llmstub.New(llmstub.WithAPIKey("k"), llmstub.WithGoogleServiceAccount(&key.PublicKey),
		llmstub.WithAWSCredentials("AKIDDOC", "doc-secret", "", "us-east-1"),
		llmstub.WithRules(
			llmstub.Rule{API: "openai", Contains: "FAIL-OPENAI", Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}}},
			llmstub.Rule{API: "anthropic", Contains: "FAIL-ANTHROPIC", Replies: []llmstub.Reply{{Status: 529, Text: "Overloaded"}}},
			llmstub.Rule{Respond: func(r llmstub.Request) llmstub.Reply {
				return llmstub.Reply{Text: "answer from " + r.API, Usage: &llmstub.Usage{Input: 7, Output: 5, Cached: 2}}
			}}))
	defer stub.Close()
	su, _ := url.Parse(stub.URL())
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	sa, err := llmstub.ServiceAccountKey(key, "my-project", "https://oauth2.googleapis.com/token") // the test's transport sends it to the stub
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "GOOGLE_API_KEY": "k", "AZURE_OPENAI_API_KEY": "k",
		"VLLM_API_KEY": "k", "GOOGLE_APPLICATION_CREDENTIALS": keyFile}
	// Bedrock's credentials come from the AWS SDK's chain: the environment,
	// here, and no shared files or instance metadata.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDDOC", "AWS_SECRET_ACCESS_KEY": "doc-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": ""} {
		t.Setenv(k, v)
	}
	rec := new(spantest.Recorder)
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": src}),
		engine.WithTracer(vmspan.NewTracer(rec)),
		engine.WithLLMOptions(llm.WithHTTPClient(&http.Client{Transport: rewrite{su}}),
			llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}
	wantAPI := map[string]string{"openai": "openai", "baml-openai-chat": "openai", "openai-generic": "openai", "azure-openai": "openai",
		"openai-responses": "responses", "anthropic": "anthropic", "google-ai": "google", "vertex-ai": "google", "aws-bedrock": "bedrock", "fallback": "openai"}
	for i, c := range clients {
		t.Run(c, func(t *testing.T) {
			col := collector.New(c)
			defer col.Close()
			res, err := eng.Call(context.Background(), "Ask"+c, map[string]any{"q": "hello"}, engine.WithCollector(col))
			if err != nil {
				t.Fatal(err)
			}
			if want := "answer from " + wantAPI[providers[i]]; res != want {
				t.Errorf("result %q, want %q", res, want)
			}
			calls := col.Last().Calls
			u := col.Usage()
			wantIn := int64(7) // the stub's input count, 2 cached tokens included
			if api := wantAPI[providers[i]]; api == "anthropic" || api == "bedrock" {
				wantIn = 9 // counted apart by the provider, added back (vmspan.Usage)
			}
			if len(calls) != 1 || !calls[0].Selected || u.InputTokens == nil || *u.InputTokens != wantIn || *u.OutputTokens != 5 || *u.CachedInputTokens != 2 {
				t.Errorf("calls %+v, usage %+v", calls, u)
			}
		})
	}
	t.Run("fallback across providers", func(t *testing.T) {
		col := collector.New("fallback")
		defer col.Close()
		res, err := eng.Call(context.Background(), "AskResilient", map[string]any{"q": "FAIL-OPENAI FAIL-ANTHROPIC"}, engine.WithCollector(col))
		if err != nil || res != "answer from google" {
			t.Fatalf("%v, %v", res, err)
		}
		var got []string
		for _, c := range col.Last().Calls {
			got = append(got, fmt.Sprintf("%s/%s/%v", c.Client, c.Provider, c.Selected))
		}
		if want := []string{"OpenAI/openai/false", "Claude/anthropic/false", "Gemini/google-ai/true"}; !slices.Equal(got, want) {
			t.Errorf("attempts %v, want %v", got, want)
		}
		ends := rec.Filter(vmspan.EventEnd, "AskResilient")
		if len(ends) == 0 || len(ends[len(ends)-1].Attempts) != 3 {
			t.Errorf("the LLM span's end event holds %v", ends)
		}
	})
	t.Run("client registry", func(t *testing.T) {
		col := collector.New("registry")
		defer col.Close()
		res, err := eng.Call(context.Background(), "AskOpenAI", map[string]any{"q": "hi"}, engine.WithCollector(col), engine.WithClient("Claude"))
		if err != nil || res != "answer from anthropic" || col.Last().Calls[0].Client != "Claude" {
			t.Fatalf("WithClient: %v, %v, %+v", res, err, col.Last())
		}
		cr := llm.NewClientRegistry().AddLLMClient("Mine", "google-ai", map[string]any{"model": "gemini-2.0-flash"}).SetPrimary("Mine")
		res, err = eng.Call(context.Background(), "AskResilient", map[string]any{"q": "hi"}, engine.WithCollector(col), engine.WithClientRegistry(cr))
		if c := col.Last().Calls[0]; err != nil || res != "answer from google" || c.Client != "Mine" || c.Model != "gemini-2.0-flash" {
			t.Fatalf("WithClientRegistry: %v, %v, %+v", res, err, c)
		}
		bad := llm.NewClientRegistry().AddLLMClient("Broken", "vertex-ai", map[string]any{"model": "m"})
		if _, err := eng.Call(context.Background(), "AskOpenAI", map[string]any{"q": "hi"}, engine.WithClientRegistry(bad)); err == nil ||
			!strings.Contains(err.Error(), "provider vertex-ai needs a location") {
			t.Fatalf("invalid registry client: %v", err)
		}
	})
	t.Run("media", func(t *testing.T) {
		png := []byte("\x89PNG\r\n\x1a\nfake")
		img := vmspan.NewMediaBytes(vmspan.MediaImage, png, "image/png")
		res, err := eng.Call(context.Background(), "Describe", map[string]any{"img": img})
		if err != nil || res != "answer from google" {
			t.Fatalf("%v, %v", res, err)
		}
		last := stub.Requests()[len(stub.Requests())-1]
		if !strings.Contains(string(last.Body), `"inline_data":{"data":"`+img.Base64()+`","mime_type":"image/png"}`) {
			t.Errorf("request body %s", last.Body)
		}
		if res, err := eng.Call(context.Background(), "DescribeLogo", nil); err != nil || res != "answer from google" {
			t.Fatalf("DescribeLogo: %v, %v", res, err)
		}
		last = stub.Requests()[len(stub.Requests())-1]
		if !strings.Contains(string(last.Body), `"file_data":{"file_uri":"gs://my-bucket/logo.png","mime_type":"image/png"}`) {
			t.Errorf("request body %s", last.Body)
		}
		starts := rec.Filter(vmspan.EventStart, "Describe")
		if b, _ := json.Marshal(starts[len(starts)-1].Args); !strings.Contains(string(b), `{"__media":"image","media_type":"image/png","url":"gs://my-bucket/logo.png"}`) {
			t.Errorf("span args %s", b)
		}
		starts = starts[:len(starts)-1]
		b, _ := json.Marshal(starts[len(starts)-1].Args)
		if strings.Contains(string(b), img.Base64()) || !strings.Contains(string(b), img.SHA256) {
			t.Errorf("span args %s", b)
		}
	})
}

// bamlCheck runs BAML's own checker on dir when BEX_BAML_DIR names an
// install of the reference runtime (scripts/baml.sh).
func bamlCheck(t *testing.T, dir string) {
	root := os.Getenv("BEX_BAML_DIR")
	if root == "" {
		t.Skip("BEX_BAML_DIR is not set (scripts/test.sh sets it from scripts/baml.sh)")
	}
	bin := filepath.Join(root, "node_modules", ".bin", "baml-cli")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(bin, "check", "--from", dir, "--features", "beta").CombinedOutput()
	if err != nil {
		t.Fatalf("baml-cli check: %v\n%s", err, out)
	}
}
