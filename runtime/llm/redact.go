// redact.go keeps secrets out of recorded attempts and errors.

package llm

import (
	"net/http"
	"strings"

	"github.com/bexrun/bex/vmspan"
)

// minSecretLen is the shortest secret value replaced wherever it appears in
// recorded text; shorter values would mangle records (headers carrying them
// are still redacted by name).
const minSecretLen = 4

// A redactor replaces secret values (API keys, secret header values) by
// vmspan.Redacted in text, and the values of secret-named headers and URL
// query parameters.
//
// It also keeps media bytes out of records: the base64 text of each inline
// media value the call sends is replaced by the value's description
// (vmspan.Media.String: kind, media type, size, hash).
type redactor struct {
	secrets []string
	media   []*vmspan.Media
}

func (r redactor) str(s string) string {
	for _, sec := range r.secrets {
		if len(sec) >= minSecretLen {
			s = strings.ReplaceAll(s, sec, vmspan.Redacted)
		}
	}
	for _, m := range r.media {
		if b64 := m.Base64(); len(b64) >= minSecretLen && strings.Contains(s, b64) {
			s = strings.ReplaceAll(s, b64, "[media "+m.String()+"]")
		}
	}
	return s
}

// body returns a recorded body: redacted, and cut at maxRecordedBody.
func (r redactor) body(b []byte) string {
	s := string(b)
	if len(s) > maxRecordedBody {
		s = excerpt(s, maxRecordedBody)
	}
	return r.str(s)
}

func (r redactor) headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if vmspan.IsSecretKey(k) {
			v = vmspan.Redacted
		} else {
			v = r.str(v)
		}
		out[k] = v
	}
	return out
}

func (r redactor) url(raw string) string { return r.str(vmspan.RedactURL(raw)) }

// attempt redacts every text field of a recorded attempt in place.
func (r redactor) attempt(a *vmspan.LLMAttempt) {
	if len(r.secrets) == 0 {
		return
	}
	a.Output = r.str(a.Output)
	if a.Err != nil {
		e := *a.Err
		e.Message, e.Summary = r.str(e.Message), r.str(e.Summary)
		a.Err = &e
	}
	msgs := make([]vmspan.Message, len(a.Messages))
	for i, m := range a.Messages {
		msgs[i] = vmspan.Message{Role: m.Role, Content: r.str(m.Content)}
	}
	a.Messages = msgs
	for _, rec := range []*vmspan.HTTPRecord{a.Request, a.Response} {
		if rec == nil {
			continue
		}
		rec.URL, rec.Body = r.str(rec.URL), r.str(rec.Body)
		for k, v := range rec.Headers {
			rec.Headers[k] = r.str(v)
		}
	}
}

// A redactedError shows a redacted message but unwraps to the original
// error, so that errors.Is and errors.As keep working.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
