// wirejson.go encodes request bodies: the bytes json.Marshal writes,
// without its reflection, for the values a body is made of.

package llm

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/bexrun/bex/internal/jsonscan"
)

// marshalBody returns json.Marshal(body). Request bodies are maps of
// strings, numbers, booleans, lists, maps and chat messages; those are
// encoded directly, byte for byte as json.Marshal encodes them (keys
// sorted, HTML characters escaped), which costs a fraction of its
// reflection. A body holding anything else goes to json.Marshal.
func marshalBody(body map[string]any) ([]byte, error) {
	b, ok := appendBodyValue(make([]byte, 0, 1024), body)
	if !ok {
		return json.Marshal(body)
	}
	return b, nil
}

// appendBodyValue appends v as json.Marshal would, or reports false for a
// value it does not encode.
func appendBodyValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case float64:
		return appendJSONFloat(b, x)
	case chatMessage:
		b = append(b, `{"role":`...)
		b = appendJSONString(b, x.Role)
		b = append(b, `,"content":`...)
		b, ok := appendBodyValue(b, x.Content)
		return append(b, '}'), ok
	case []any:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendBodyValue(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendBodyValue(b, x[k]); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// appendJSONFloat formats f as encoding/json does, or reports false for
// NaN and the infinities (json.Marshal's error).
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendJSONString appends s quoted as encoding/json quotes it: '"', '\\'
// and control characters escaped (\b, \f, \n, \r, \t by name), '<', '>'
// and '&' as \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and
// invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Keys of a chat completion, in the order OpenAI writes them.
var (
	openAIReplyKeys   = jsonscan.NewKeySet("id", "model", "choices", "usage")
	openAIChoiceKeys  = jsonscan.NewKeySet("message", "finish_reason")
	openAIMessageKeys = jsonscan.NewKeySet("content")
	openAIUsageKeys   = jsonscan.NewKeySet("prompt_tokens", "completion_tokens", "prompt_tokens_details")
	openAIDetailKeys  = jsonscan.NewKeySet("cached_tokens")
)

// decodeFast decodes a chat completion as json.Unmarshal would into r, and
// reports whether it could: anything it does not take exactly as
// json.Unmarshal would (a null or mistyped field, a duplicate key, a key
// that matches only case-insensitively, malformed JSON) makes it report
// false, and the caller uses json.Unmarshal. Replies as providers write
// them take this path, which costs a fraction of the reflection.
func (r *openAIReply) decodeFast(body []byte) bool {
	var s jsonscan.Scanner
	s.Reset(body)
	_, ok := s.Members(openAIReplyKeys, func(k int) bool {
		switch k {
		case 0:
			return scanString(&s, &r.ID)
		case 1:
			return scanString(&s, &r.Model)
		case 2:
			return s.Array(func() bool {
				r.Choices = append(r.Choices, openAIChoice{})
				return r.Choices[len(r.Choices)-1].decodeFast(&s)
			}) && r.Choices != nil
		default:
			if s.Null() {
				return true
			}
			r.Usage = &openAIUsage{}
			return r.Usage.decodeFast(&s)
		}
	})
	return ok && s.End()
}

func (c *openAIChoice) decodeFast(s *jsonscan.Scanner) bool {
	_, ok := s.Members(openAIChoiceKeys, func(k int) bool {
		if k == 1 {
			return scanString(s, &c.FinishReason)
		}
		_, ok := s.Members(openAIMessageKeys, func(int) bool {
			if s.Null() {
				return true
			}
			var text string
			c.Message.Content = &text
			return scanString(s, &text)
		})
		return ok
	})
	return ok
}

func (u *openAIUsage) decodeFast(s *jsonscan.Scanner) bool {
	_, ok := s.Members(openAIUsageKeys, func(k int) bool {
		switch k {
		case 0:
			return scanCount(s, &u.PromptTokens)
		case 1:
			return scanCount(s, &u.CompletionTokens)
		}
		if s.Null() {
			return true
		}
		u.PromptTokensDetails = &struct {
			CachedTokens *int64 `json:"cached_tokens"`
		}{}
		_, ok := s.Members(openAIDetailKeys, func(int) bool { return scanCount(s, &u.PromptTokensDetails.CachedTokens) })
		return ok
	})
	return ok
}

// scanString reads a string into *dst (not null: json.Unmarshal leaves the
// field as it was, which a fast decoder does not copy).
func scanString(s *jsonscan.Scanner, dst *string) bool {
	b, ok := s.Str()
	*dst = string(b)
	return ok
}

// scanCount reads null or an int64 into a token count.
func scanCount(s *jsonscan.Scanner, dst **int64) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	n, ok := s.Int()
	*dst = &n
	return ok
}
