// redact.go keeps secrets out of recorded attempts and errors.

package llm

import (
	"net/http"
	"strings"
	"unsafe"

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
		if len(sec) >= minSecretLen && len(sec) <= len(s) && indexSecret(s, sec) >= 0 {
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

// byteRank orders bytes by how common they are in prompts, replies and
// their JSON: the first most common. Bytes not listed (most punctuation,
// control bytes, non-ASCII) are the rarest.
const byteRank = ` etaoinsrhldcu"m:,fpgwyb0123456789vk.-{}_/ETAOINSRHLDCUMFPGWYBVKxjqzXJQZ`

// byteRarity is byteRank as a table: higher is rarer.
var byteRarity = func() (t [256]uint8) {
	for i := range t {
		t[i] = 255
	}
	for i := range len(byteRank) {
		t[byteRank[i]] = uint8(i)
	}
	return t
}()

// indexSecret returns the index of the first sec in s, or -1. It looks
// for the rarest byte by byteRank of sec's last eight instead of its first
// (an API key's first bytes, like "sk-", are common in text), so that a long text
// without the secret costs about one vectorized byte search. After many
// false hits it leaves the rest to strings.Index, which bounds the work.
func indexSecret(s, sec string) int {
	p := max(len(sec)-8, 0) // the random tail of a key ("sk-…", "Bearer …")
	for i := p + 1; i < len(sec); i++ {
		if byteRarity[sec[i]] > byteRarity[sec[p]] {
			p = i
		}
	}
	b, fails := sec[p], 0
	for i := p; i < len(s); {
		j := strings.IndexByte(s[i:], b)
		if j < 0 {
			return -1
		}
		k := i + j - p
		if k+len(sec) > len(s) {
			return -1
		}
		if s[k:k+len(sec)] == sec {
			return k
		}
		if fails++; fails > 16+k/16 {
			if n := strings.Index(s[k+1:], sec); n >= 0 {
				return k + 1 + n
			}
			return -1
		}
		i += j + 1
	}
	return -1
}

// body returns a recorded body: redacted, and cut at maxRecordedBody.
func (r redactor) body(b []byte) string { return r.bodyText(string(b)) }

// ownBody is body for a b that nothing writes to again (a request body once
// encoded, a reply body once read): the record shares b's bytes instead of
// copying them.
func (r redactor) ownBody(b []byte) string {
	return r.bodyText(unsafe.String(unsafe.SliceData(b), len(b)))
}

func (r redactor) bodyText(s string) string {
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

// attempt redacts every text field of a recorded attempt in place; its
// HTTP records too when records is set.
func (r redactor) attempt(a *vmspan.LLMAttempt, records bool) {
	if len(r.secrets) == 0 {
		return
	}
	a.Output = r.str(a.Output)
	if a.Err != nil {
		e := *a.Err
		e.Message, e.Summary = r.str(e.Message), r.str(e.Summary)
		a.Err = &e
	}
	a.Messages = r.messages(a.Messages)
	if !records {
		return
	}
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

// messages returns msgs with their text redacted and without their parts
// (records keep the text of a message only), in a new slice; msgs itself
// when that changes none of them. Each text is redacted once.
func (r redactor) messages(msgs []vmspan.Message) []vmspan.Message {
	var out []vmspan.Message
	for i, m := range msgs {
		c := r.str(m.Content)
		if out == nil {
			if c == m.Content && len(m.Parts) == 0 {
				continue
			}
			out = make([]vmspan.Message, len(msgs))
			for j, k := range msgs[:i] { // unchanged, without parts
				out[j] = vmspan.Message{Role: k.Role, Content: k.Content}
			}
		}
		out[i] = vmspan.Message{Role: m.Role, Content: c}
	}
	if out == nil {
		return msgs
	}
	return out
}

// A redactedError shows a redacted message but unwraps to the original
// error, so that errors.Is and errors.As keep working.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
