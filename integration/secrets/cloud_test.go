package secrets_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// The cloud providers' credentials. Each is distinct, so a hit names it.
const (
	googleKey     = "AIzaSy-GOOGLE-KEY-SECRET-3c9d1e"       // google-ai api_key (x-goog-api-key)
	azureKey      = "AZURE-API-KEY-SECRET-8b2f0a"           // azure-openai api_key (api-key header)
	awsKeyID      = "AKIAEXAMPLEKEYID7Q2W"                  // not secret, but checked to reach the stub
	awsSecret     = "AWS-SECRET-ACCESS-KEY-SECRET-5e7a9c"   // aws-bedrock secret_access_key
	awsSession    = "AWS-SESSION-TOKEN-SECRET-0d4b6f"       // aws-bedrock session_token (X-Amz-Security-Token)
	urlSignature  = "c0ffee5ignature0f7he5igned0rl1a2b3c4d" // X-Amz-Signature of a signed media URL
	urlCredential = "AKIASIGNEDURLCRED99"                   // X-Amz-Credential of the signed URL
	vertexToken   = "stub-access-token-0001"                // the access token the stub's token endpoint issues
	cloudFail     = "PLEASE-FAIL-CLOUD"
)

const cloudProgram = `
client<llm> Gemini {
    provider google-ai
    options {
        model "gemini-2.5-flash"
        base_url env.GEMINI_URL
        api_key env.GOOGLE_KEY
    }
}
client<llm> Vertex {
    provider vertex-ai
    options {
        model "gemini-2.5-flash"
        location "us-central1"
        base_url env.VERTEX_URL
        credentials env.VERTEX_CREDENTIALS
    }
}
client<llm> Bedrock {
    provider aws-bedrock
    options {
        model "anthropic.claude-3-haiku-20240307-v1:0"
        region "us-east-1"
        access_key_id env.AWS_ID
        secret_access_key env.AWS_SECRET
        session_token env.AWS_SESSION
        endpoint_url env.BEDROCK_URL
    }
}
client<llm> Azure {
    provider azure-openai
    options {
        base_url env.AZURE_URL
        api_version "2024-10-21"
        api_key env.AZURE_KEY
    }
}
function AskGemini(q: string, img: image) -> string {
    client Gemini
    prompt #"{{ _.role("user") }} {{ q }} {{ img }}"#
}
function AskVertex(q: string, img: image) -> string {
    client Vertex
    prompt #"{{ _.role("user") }} {{ q }} {{ img }}"#
}
function AskBedrock(q: string, img: image) -> string {
    client Bedrock
    prompt #"{{ _.role("user") }} {{ q }} {{ img }}"#
}
function AskAzure(q: string, img: image) -> string {
    client Azure
    prompt #"{{ _.role("user") }} {{ q }} {{ img }}"#
}
function Cloud(q: string, img: image) -> string {
    AskGemini(q, img) + AskVertex(q, img) + AskBedrock(q, img) + AskAzure(q, img)
}
`

// TestCloudSecretsNeverLeave is TestSecretsNeverLeave for the cloud
// providers' credentials: Google API keys, a Vertex OAuth access token and
// the service-account key behind it, Bedrock's SigV4 Authorization
// signatures, AWS secret key and X-Amz-Security-Token, Azure's api-key, and
// a signed media URL's signature and credential. The providers' errors
// echo the credentials they got. Every byte bex writes is searched: the
// trace file, the Collector's logs, the OTLP export (raw and decoded) and
// the callers' errors, with content capture off and on.
func TestCloudSecretsNeverLeave(t *testing.T) {
	for _, content := range []bool{false, true} {
		t.Run(fmt.Sprintf("content capture %v", content), func(t *testing.T) { runCloud(t, content) })
	}
}

func runCloud(t *testing.T, content bool) {
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, keyMarker := serviceAccountPEM(t, key)
	echo := []llmstub.Rule{
		{API: "google", Contains: cloudFail, Respond: func(r llmstub.Request) llmstub.Reply {
			return llmstub.Reply{Status: 401, Text: "API key not valid: " + r.Header.Get("X-Goog-Api-Key") + " / token " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
		}},
		{API: "bedrock", Contains: cloudFail, Respond: func(r llmstub.Request) llmstub.Reply {
			return llmstub.Reply{Status: 403, Text: "The security token included in the request is invalid: " + r.Header.Get("X-Amz-Security-Token") + " " + r.Header.Get("Authorization")}
		}},
		{API: "openai", Contains: cloudFail, Respond: func(r llmstub.Request) llmstub.Reply {
			return llmstub.Reply{Status: 401, Text: "Access denied due to invalid subscription key " + r.Header.Get("Api-Key")}
		}},
		{Replies: []llmstub.Reply{{Text: "fine."}}},
	}
	cloud := llmstub.New(llmstub.WithKeep(llmstub.KeepAll), llmstub.WithAPIKey(googleKey), llmstub.WithGoogleServiceAccount(&key.PublicKey),
		llmstub.WithAWSCredentials(awsKeyID, awsSecret, awsSession, "us-east-1"), llmstub.WithRules(echo...))
	defer cloud.Close()
	azure := llmstub.New(llmstub.WithKeep(llmstub.KeepAll), llmstub.WithAPIKey(azureKey), llmstub.WithRules(echo...))
	defer azure.Close()
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\nimage bytes"))
	}))
	defer images.Close()
	signedURL := images.URL + "/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + urlCredential +
		"%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=" + urlSignature

	x := newExport(t, "bex-cloud-secrets", content)
	env := map[string]string{
		"GEMINI_URL": cloud.URL() + "/v1beta", "GOOGLE_KEY": googleKey,
		"VERTEX_URL": cloud.URL() + "/v1/projects/p/locations/us-central1/publishers/google/models", "VERTEX_CREDENTIALS": pemKey(cloud.URL() + llmstub.TokenPath),
		"AWS_ID": awsKeyID, "AWS_SECRET": awsSecret, "AWS_SESSION": awsSession, "BEDROCK_URL": cloud.URL(),
		"AZURE_URL": azure.URL() + "/openai/deployments/gpt-4o", "AZURE_KEY": azureKey,
	}
	eng, err := engine.New(engine.MustParse(map[string]string{"cloud.baml": cloudProgram}), engine.WithTracer(x.tracer),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}
	col := collector.New("cloud")
	defer col.Close()
	var callErrs []string
	for _, q := range []string{controlArg + " describe", controlArg + " " + cloudFail} {
		res, err := eng.Call(ctx, "Cloud", map[string]any{"q": q, "img": signedURL}, engine.WithCollector(col))
		if err != nil {
			callErrs = append(callErrs, fmt.Sprintf("%v\n%+v\n%#v", err, err, err))
		}
		if strings.Contains(q, cloudFail) != (err != nil) {
			t.Fatalf("call %q: %v, %v", q, res, err)
		}
	}
	for _, name := range []string{"AskGemini", "AskVertex", "AskBedrock", "AskAzure"} {
		if _, err := eng.Call(ctx, name, map[string]any{"q": cloudFail, "img": signedURL}, engine.WithCollector(col)); err == nil {
			t.Fatalf("%s did not fail", name)
		} else {
			callErrs = append(callErrs, fmt.Sprintf("%v\n%+v\n%#v", err, err, err))
		}
	}
	x.close(t)

	// The secrets the providers really got, including the SigV4 signatures,
	// which exist only once the requests are signed.
	secretsHere := []string{googleKey, azureKey, awsSecret, awsSession, urlSignature, urlCredential, vertexToken, keyMarker}
	sigs := regexp.MustCompile(`Signature=([0-9a-f]{64})`)
	var seen []string
	for _, r := range append(cloud.Requests(), azure.Requests()...) {
		h := fmt.Sprint(r.Header) + string(r.Body)
		for _, m := range sigs.FindAllStringSubmatch(h, -1) {
			secretsHere = append(secretsHere, m[1])
		}
		for _, s := range []string{googleKey, azureKey, awsSession, vertexToken, urlSignature} {
			if strings.Contains(h, s) && !strings.Contains(strings.Join(seen, " "), s) {
				seen = append(seen, s)
			}
		}
	}
	if len(seen) != 5 || len(secretsHere) < 10 {
		t.Errorf("the stubs saw only %v and %d signatures: the test does not exercise every credential", seen, len(secretsHere)-8)
	}
	if cloud.TokensIssued() == 0 {
		t.Error("no Vertex access token was issued")
	}

	out := outputs{"call errors": []byte(strings.Join(callErrs, "\n")), "OpenTelemetry errors": x.otelLog.bytes()}
	if out["trace file"], err = os.ReadFile(x.path); err != nil {
		t.Fatal(err)
	}
	if out["collector JSON"], err = json.Marshal(col.Logs()); err != nil {
		t.Fatal(err)
	}
	out["collector Go syntax"] = []byte(fmt.Sprintf("%#v", deref(col.Logs())))
	out["OTLP protobuf"], out["OTLP decoded"] = x.otlp(t)
	for name, b := range out {
		for _, s := range secretsHere {
			if n := bytes.Count(b, []byte(s)); n > 0 {
				t.Errorf("%s: the secret %s appears %d times, e.g. …%s…", name, s, n, around(b, s))
			}
		}
	}
	// Positive controls: what must be there is, so a secret would be found.
	// Arguments are content: on OpenTelemetry spans only with content
	// capture on, and never there otherwise.
	for _, name := range []string{"trace file", "collector JSON", "OTLP decoded"} {
		if want := name != "OTLP decoded" || content; bytes.Contains(out[name], []byte(controlArg)) != want {
			t.Errorf("%s: the control argument value present %v, want %v", name, !want, want)
		}
	}
	for _, want := range []string{"X-Amz-Signature=", "cat.png"} {
		if !bytes.Contains(out["trace file"], []byte(want)) {
			t.Errorf("trace file: %q is missing: the media URL was not recorded", want)
		}
	}
	if !strings.Contains(string(out["call errors"]), "API key not valid") {
		t.Errorf("the errors lost the providers' messages: %s", out["call errors"])
	}
}

// serviceAccountPEM returns a function making a service-account key file
// (as JSON text) for key with a token endpoint, and a piece of the private
// key's PEM text to search for.
func serviceAccountPEM(t *testing.T, key *rsa.PrivateKey) (func(tokenURL string) string, string) {
	file := func(tokenURL string) string {
		b, err := llmstub.ServiceAccountKey(key, "p", tokenURL)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(file("")), &sa); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(sa.PrivateKey, "\n")
	return file, lines[len(lines)/2]
}
