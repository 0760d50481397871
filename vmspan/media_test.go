package vmspan_test

import (
	"encoding/json"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

func TestMedia(t *testing.T) {
	m, err := vmspan.NewMediaBase64(vmspan.MediaImage, "data:image/png;base64,aGVsbG8=", "")
	if err != nil || string(m.Data()) != "hello" || m.MediaType != "image/png" || m.Size != 5 || m.IsURL() {
		t.Fatalf("%+v %v", m, err)
	}
	for _, b64 := range []string{"aGVsbG8", "aGVs\nbG8=", "aGVsbG8="} {
		if m2, err := vmspan.NewMediaBase64(vmspan.MediaAudio, b64, "audio/wav"); err != nil || string(m2.Data()) != "hello" {
			t.Errorf("%q: %v", b64, err)
		}
	}
	if _, err := vmspan.NewMediaBase64(vmspan.MediaPDF, "!!!", "application/pdf"); err == nil {
		t.Error("invalid base64 accepted")
	}
	b, _ := json.Marshal(map[string]any{"m": m, "u": vmspan.NewMediaURL(vmspan.MediaVideo, "https://x/v.mp4", "")})
	want := `{"m":{"__media":"image","media_type":"image/png","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5},"u":{"__media":"video","url":"https://x/v.mp4"}}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
	if s := m.String(); s != "<image image/png 5 bytes sha256:2cf24dba5fb0>" {
		t.Errorf("String %q", s)
	}
	if got := vmspan.Snapshot(m); !equalJSON(got, m.Ref()) {
		t.Errorf("Snapshot %v", got)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestGenAIProviderName(t *testing.T) {
	for p, want := range map[string]string{"openai": "openai", "openai-responses": "openai", "anthropic": "anthropic", "google-ai": "gcp.gemini",
		"vertex-ai": "gcp.vertex_ai", "aws-bedrock": "aws.bedrock", "azure-openai": "azure.ai.openai", "ollama": "ollama"} {
		if got := vmspan.GenAIProviderName(p); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
}
