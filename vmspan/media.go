// media.go holds Media, the image, audio, pdf and video values of bex.

package vmspan

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Media kinds: the bex types image, audio, pdf and video.
const (
	MediaImage = "image"
	MediaAudio = "audio"
	MediaPDF   = "pdf"
	MediaVideo = "video"
)

// IsMediaKind reports whether s names a media type: image, audio, pdf or video.
func IsMediaKind(s string) bool {
	return s == MediaImage || s == MediaAudio || s == MediaPDF || s == MediaVideo
}

// A Media is an image, audio, pdf or video value: a URL, or bytes held
// inline, with a media (MIME) type. A Media is immutable once made and may be
// shared by goroutines; make one with NewMediaURL, NewMediaBytes or
// NewMediaBase64.
//
// Events and trace files never carry a Media's bytes: the VM snapshots a
// media value to its reference (Ref), and MarshalJSON writes the same
// reference, so a Media handed to any JSON encoder stays by reference.
type Media struct {
	Kind      string // MediaImage, MediaAudio, MediaPDF or MediaVideo
	URL       string // the URL of a URL value; "" for inline bytes
	MediaType string // "image/png", ...; may be "" for a URL value
	Size      int    // bytes held inline; 0 for a URL value
	SHA256    string // hex SHA-256 of the inline bytes; "" for a URL value
	data      []byte
}

// NewMediaURL returns a media value of kind that refers to url. mediaType
// may be empty; providers that need one infer it from the URL's extension
// or fetch the URL.
func NewMediaURL(kind, url, mediaType string) *Media {
	return &Media{Kind: kind, URL: url, MediaType: mediaType}
}

// NewMediaBytes returns a media value of kind holding data (which it keeps:
// the caller must not modify it afterwards).
func NewMediaBytes(kind string, data []byte, mediaType string) *Media {
	sum := sha256.Sum256(data)
	return &Media{Kind: kind, MediaType: mediaType, Size: len(data), SHA256: hex.EncodeToString(sum[:]), data: data}
}

// NewMediaBase64 returns a media value of kind holding the bytes that b64
// encodes (standard or URL alphabet, padded or not; a "data:TYPE;base64,"
// prefix is accepted and gives the media type when mediaType is empty).
func NewMediaBase64(kind, b64, mediaType string) (*Media, error) {
	if rest, ok := strings.CutPrefix(b64, "data:"); ok {
		typ, payload, found := strings.Cut(rest, ",")
		if !found || !strings.HasSuffix(typ, ";base64") {
			return nil, errors.New("a data URL must be data:TYPE;base64,DATA")
		}
		if mediaType == "" {
			mediaType = strings.TrimSuffix(typ, ";base64")
		}
		b64 = payload
	}
	data, err := decodeBase64(b64)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid base64: %w", kind, err)
	}
	return NewMediaBytes(kind, data, mediaType), nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return enc.DecodeString(s)
}

// IsURL reports whether m refers to a URL rather than holding bytes.
func (m *Media) IsURL() bool { return m.data == nil && m.URL != "" }

// Data returns the inline bytes (nil for a URL value). The caller must not
// modify them.
func (m *Media) Data() []byte { return m.data }

// Base64 returns the inline bytes in standard base64 ("" for a URL value).
func (m *Media) Base64() string { return base64.StdEncoding.EncodeToString(m.data) }

// Ref returns the reference form of m that events and trace files carry:
// {"__media": kind, "url": ..., "media_type": ..., "size": n, "sha256": ...}
// (empty fields left out). It never holds the bytes, nor the signature of a
// signed URL (see RedactURL).
func (m *Media) Ref() map[string]any {
	r := map[string]any{"__media": m.Kind}
	if m.URL != "" {
		r["url"] = RedactURL(m.URL)
	}
	if m.MediaType != "" {
		r["media_type"] = m.MediaType
	}
	if m.data != nil {
		r["size"] = int64(m.Size)
		r["sha256"] = m.SHA256
	}
	return r
}

// MarshalJSON writes m's reference (see Ref), never its bytes.
func (m *Media) MarshalJSON() ([]byte, error) { return json.Marshal(m.Ref()) }

// String returns a short description for prompts' recorded text and error
// messages: "<image https://…>" or "<image image/png 1234 bytes sha256:ab12…>".
func (m *Media) String() string {
	var b strings.Builder
	b.WriteString("<" + m.Kind)
	if m.URL != "" {
		b.WriteString(" " + RedactURL(m.URL))
	}
	if m.data != nil {
		if m.MediaType != "" {
			b.WriteString(" " + m.MediaType)
		}
		b.WriteString(" " + strconv.Itoa(m.Size) + " bytes sha256:" + m.SHA256[:12])
	}
	b.WriteString(">")
	return b.String()
}

// mediaTypes maps file extensions to media types. It is a fixed table, not
// the system's mime database, so that results do not vary by machine.
var mediaTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".heic": "image/heic", ".heif": "image/heif",
	".mp3": "audio/mp3", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/m4a",
	".aac": "audio/aac", ".aiff": "audio/aiff",
	".pdf": "application/pdf",
	".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime", ".mpeg": "video/mpeg", ".avi": "video/x-msvideo",
	".mkv": "video/x-matroska", ".3gp": "video/3gpp", ".flv": "video/x-flv", ".wmv": "video/x-ms-wmv",
}

// MediaTypeByExtension returns the media type of a URL's or path's file
// extension ("image/png" for .../cat.png?x=1), or "" when it has none or
// an unknown one.
func MediaTypeByExtension(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		p = u.Path
	}
	return mediaTypes[strings.ToLower(path.Ext(p))]
}

// A Part is one piece of a chat message that holds media: text or a media
// value. Messages without media have no parts.
type Part struct {
	Text  string `json:"text,omitempty"`
	Media *Media `json:"media,omitempty"`
}

// GenAIProviderName returns the OpenTelemetry GenAI conventions'
// well-known gen_ai.provider.name of a bex provider: "openai" for openai
// and openai-responses, "anthropic", "gcp.gemini" for google-ai,
// "gcp.vertex_ai", "aws.bedrock", "azure.ai.openai" for azure-openai. Other
// providers (openai-generic, ollama, openrouter) keep their bex name, as
// the conventions ask for providers they do not list.
func GenAIProviderName(provider string) string {
	switch provider {
	case "openai", "openai-responses":
		return "openai"
	case "google-ai":
		return "gcp.gemini"
	case "vertex-ai":
		return "gcp.vertex_ai"
	case "aws-bedrock":
		return "aws.bedrock"
	case "azure-openai":
		return "azure.ai.openai"
	}
	return provider
}
