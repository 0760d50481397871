// media.go prepares media values for providers: which URLs are passed on
// and which are fetched and sent inline (media_url_handler), with bounded
// fetches.

package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// Bounds of a media fetch.
const (
	// MaxMediaBytes is the most a media URL may return when it is fetched
	// to be sent inline; a larger body is an error (no request is made).
	MaxMediaBytes = 20 << 20
	// MediaFetchTimeout bounds one media fetch, headers and body.
	MediaFetchTimeout = 30 * time.Second
)

// URL handling modes of media_url_handler (BAML's names; the older
// media_url_resolver names always, never, ensure_mime and if_google_uri
// are accepted too).
const (
	sendURL                   = "send_url"
	sendBase64                = "send_base64"
	sendURLAddMIME            = "send_url_add_mime_type"
	sendBase64UnlessGoogleURL = "send_base64_unless_google_url"
)

var mediaModeAliases = map[string]string{
	sendURL: sendURL, sendBase64: sendBase64, sendURLAddMIME: sendURLAddMIME, sendBase64UnlessGoogleURL: sendBase64UnlessGoogleURL,
	"never": sendURL, "always": sendBase64, "ensure_mime": sendURLAddMIME, "if_google_uri": sendBase64UnlessGoogleURL,
}

// mediaDefaults are each provider family's default media_url_handler, by
// media kind: image, audio, pdf, video (BAML's table).
var mediaDefaults = map[string][4]string{
	apiOpenAI:    {sendURL, sendBase64, sendURL, sendURL},
	apiResponses: {sendURL, sendBase64, sendURL, sendURL},
	apiAnthropic: {sendURL, sendURL, sendBase64, sendURL},
	"google-ai":  {sendBase64UnlessGoogleURL, sendURL, sendURL, sendURL},
	"vertex-ai":  {sendURLAddMIME, sendURLAddMIME, sendURL, sendURL},
	apiBedrock:   {sendBase64, sendBase64, sendBase64, sendURL},
}

func mediaIndex(kind string) int {
	switch kind {
	case vmspan.MediaAudio:
		return 1
	case vmspan.MediaPDF:
		return 2
	case vmspan.MediaVideo:
		return 3
	}
	return 0
}

// mediaMode returns how ep sends a URL of kind.
func (ep *endpoint) mediaMode(kind string) string {
	if m, ok := ep.mediaHandler[kind]; ok {
		return m
	}
	def, ok := mediaDefaults[ep.provider]
	if !ok {
		def = mediaDefaults[ep.api]
	}
	return def[mediaIndex(kind)]
}

// resolveMedia returns msgs with every media URL prepared as ep's
// media_url_handler says: kept, given a media type, or fetched (bounded by
// MaxMediaBytes and MediaFetchTimeout, and by ctx) and held inline. A
// data: URL is always decoded. msgs is not modified.
func (r *Runtime) resolveMedia(ctx context.Context, ep *endpoint, msgs []vmspan.Message) ([]vmspan.Message, error) {
	var out []vmspan.Message
	for i, m := range msgs {
		if !hasMedia(m) {
			continue
		}
		if out == nil {
			out = append([]vmspan.Message(nil), msgs...)
		}
		parts := append([]vmspan.Part(nil), m.Parts...)
		for j, p := range parts {
			if p.Media == nil || !p.Media.IsURL() {
				continue
			}
			md, err := r.prepareURL(ctx, ep, p.Media)
			if err != nil {
				return nil, err
			}
			parts[j].Media = md
		}
		out[i].Parts = parts
	}
	if out == nil {
		return msgs, nil
	}
	return out, nil
}

func (r *Runtime) prepareURL(ctx context.Context, ep *endpoint, m *vmspan.Media) (*vmspan.Media, error) {
	if strings.HasPrefix(m.URL, "data:") {
		return vmspan.NewMediaBase64(m.Kind, m.URL, m.MediaType)
	}
	google := strings.HasPrefix(m.URL, "gs://")
	switch ep.mediaMode(m.Kind) {
	case sendURL:
		return m, nil
	case sendURLAddMIME:
		if m.MediaType != "" {
			return m, nil
		}
		if t := typeByExtension(m.URL); t != "" {
			return vmspan.NewMediaURL(m.Kind, m.URL, t), nil
		}
		if google {
			return nil, &MediaError{URL: m.URL, Msg: "a gs:// URL needs a media type"}
		}
		fetched, err := r.fetchMedia(ctx, m)
		if err != nil {
			return nil, err
		}
		return vmspan.NewMediaURL(m.Kind, m.URL, fetched.MediaType), nil
	case sendBase64UnlessGoogleURL:
		if google {
			return m, nil
		}
	}
	if google {
		return nil, &MediaError{URL: m.URL, Msg: "a gs:// URL cannot be fetched; provider " + ep.provider + " needs the bytes (set media_url_handler to send_url, or pass base64)"}
	}
	return r.fetchMedia(ctx, m)
}

// fetchMedia downloads a media URL, bounded by MediaFetchTimeout and
// MaxMediaBytes. The media type is the value's own, else the reply's
// Content-Type, else the URL's extension, else sniffed from the bytes.
func (r *Runtime) fetchMedia(ctx context.Context, m *vmspan.Media) (*vmspan.Media, error) {
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &MediaError{URL: m.URL, Msg: "only http and https URLs can be fetched"}
	}
	ctx, cancel := context.WithTimeout(ctx, MediaFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return nil, &MediaError{URL: m.URL, Msg: "bad URL", Err: err}
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, &MediaError{URL: m.URL, Msg: "fetch failed", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &MediaError{URL: m.URL, Msg: fmt.Sprintf("fetch failed: HTTP %d", resp.StatusCode)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
	if err != nil {
		return nil, &MediaError{URL: m.URL, Msg: "fetch failed", Err: err}
	}
	if len(data) > MaxMediaBytes {
		return nil, &MediaError{URL: m.URL, Msg: fmt.Sprintf("larger than %d bytes", MaxMediaBytes)}
	}
	typ := m.MediaType
	if typ == "" {
		typ, _, _ = strings.Cut(resp.Header.Get("Content-Type"), ";")
		typ = strings.TrimSpace(typ)
	}
	if typ == "" || typ == "application/octet-stream" {
		if t := typeByExtension(m.URL); t != "" {
			typ = t
		} else {
			typ, _, _ = strings.Cut(http.DetectContentType(data), ";")
		}
	}
	fetched := vmspan.NewMediaBytes(m.Kind, data, typ)
	fetched.URL = m.URL
	return fetched, nil
}

// A MediaError reports a media value that cannot be sent: a URL that cannot
// be fetched (or is too large), or a kind the provider does not take. It is
// not retried.
type MediaError struct {
	URL string
	Msg string
	Err error
}

// Error returns the URL and the problem.
func (e *MediaError) Error() string {
	s := "media"
	if e.URL != "" {
		s += " " + e.URL
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// ErrorSummary returns the problem without the URL, an argument's value,
// nor the network error, which repeats it (see vmspan.ErrorSummary).
func (e *MediaError) ErrorSummary() string { return "media: " + e.Msg }

// Unwrap returns the network error of a failed fetch.
func (e *MediaError) Unwrap() error { return e.Err }

// ErrorType returns "LLMMediaError".
func (e *MediaError) ErrorType() string { return "LLMMediaError" }

func errMediaKind(api string, m *vmspan.Media) error {
	return &MediaError{URL: m.URL, Msg: m.Kind + " is not supported by " + api}
}

func errMediaURL(provider string, m *vmspan.Media) error {
	return &MediaError{URL: m.URL, Msg: fmt.Sprintf("provider %s needs the %s's bytes (set media_url_handler { %s \"send_base64\" })", provider, m.Kind, m.Kind)}
}

// mediaURL is m's URL, or a data: URL of its bytes.
func mediaURL(m *vmspan.Media) string {
	if m.IsURL() {
		return m.URL
	}
	return dataURL(m)
}

func dataURL(m *vmspan.Media) string { return "data:" + m.MediaType + ";base64," + m.Base64() }

// mediaSubtype is the format name of an audio type: "mp3" for audio/mp3.
func mediaSubtype(m *vmspan.Media) string {
	_, sub, ok := strings.Cut(m.MediaType, "/")
	if !ok {
		return m.MediaType
	}
	if sub == "mpeg" {
		return "mp3"
	}
	return strings.TrimPrefix(sub, "x-")
}

func typeByExtension(raw string) string { return vmspan.MediaTypeByExtension(raw) }

// isMediaError reports whether err is a *MediaError.
func isMediaError(err error) bool {
	var me *MediaError
	return errors.As(err, &me)
}

// MediaFrom makes a media value of kind (image, audio, pdf or video) from
// the forms a caller may pass for a media argument:
//
//   - a *vmspan.Media (or vmspan.Media) of that kind;
//   - a URL string: http(s)://, gs://, s3:// or a data: URL;
//   - a map in BAML's serialized form: {"url": U} (with an optional
//     "media_type"), {"base64": B, "media_type": T}, or {"file": PATH},
//     read from the working directory, at most MaxMediaBytes, its media
//     type from the extension unless "media_type" says.
func MediaFrom(kind string, v any) (*vmspan.Media, error) {
	switch x := v.(type) {
	case *vmspan.Media:
		if x.Kind != kind {
			return nil, fmt.Errorf("want %s, got %s", kind, x.Kind)
		}
		return x, nil
	case vmspan.Media:
		return MediaFrom(kind, &x)
	case string:
		for _, p := range []string{"http://", "https://", "gs://", "s3://"} {
			if strings.HasPrefix(x, p) {
				return vmspan.NewMediaURL(kind, x, typeByExtension(x)), nil
			}
		}
		if strings.HasPrefix(x, "data:") {
			return vmspan.NewMediaBase64(kind, x, "")
		}
		return nil, fmt.Errorf("want %s (a URL, {url}, {base64, media_type} or {file}), got a string that is not a URL", kind)
	case map[string]any:
		return mediaFromMap(kind, x)
	}
	return nil, fmt.Errorf("want %s (a URL, {url}, {base64, media_type} or {file}), got %T", kind, v)
}

func mediaFromMap(kind string, m map[string]any) (*vmspan.Media, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	typ := str("media_type")
	for k := range m {
		if k != "url" && k != "base64" && k != "file" && k != "media_type" {
			return nil, fmt.Errorf("%s: unknown field %q (want url, base64, file, media_type)", kind, k)
		}
	}
	switch {
	case str("url") != "":
		md, err := MediaFrom(kind, str("url"))
		if err == nil && typ != "" {
			md = vmspan.NewMediaURL(kind, md.URL, typ)
		}
		return md, err
	case str("base64") != "":
		if typ == "" && !strings.HasPrefix(str("base64"), "data:") {
			return nil, fmt.Errorf("%s: base64 needs a media_type", kind)
		}
		return vmspan.NewMediaBase64(kind, str("base64"), typ)
	case str("file") != "":
		return mediaFile(kind, str("file"), typ)
	}
	return nil, fmt.Errorf("%s: want {url}, {base64, media_type} or {file}", kind)
}

func mediaFile(kind, path, typ string) (*vmspan.Media, error) {
	// The path is an argument's value: summaries leave it out.
	f, err := os.Open(path)
	if err != nil {
		return nil, &summarizedError{msg: kind + ": " + err.Error(), summary: kind + ": cannot open the file", err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxMediaBytes+1))
	if err != nil {
		return nil, &summarizedError{msg: kind + ": " + err.Error(), summary: kind + ": cannot read the file", err: err}
	}
	if len(data) > MaxMediaBytes {
		return nil, &summarizedError{msg: fmt.Sprintf("%s: %s is larger than %d bytes", kind, path, MaxMediaBytes), summary: fmt.Sprintf("%s: the file is larger than %d bytes", kind, MaxMediaBytes)}
	}
	if typ == "" {
		if typ = typeByExtension(path); typ == "" {
			typ, _, _ = strings.Cut(http.DetectContentType(data), ";")
		}
	}
	return vmspan.NewMediaBytes(kind, data, typ), nil
}
