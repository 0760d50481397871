// wirejson.go encodes request bodies: the bytes json.Marshal writes,
// without its reflection, for the values a body is made of.

package llm

import (
	"encoding/json"
	"sync"

	"github.com/bexrun/bex/internal/fastjson"
)

// marshalBody returns json.Marshal(body). Request bodies are maps of
// strings, numbers, booleans, lists, maps and chat messages; those are
// encoded directly, byte for byte as json.Marshal encodes them
// (fastjson.Append), which costs a fraction of its reflection. A body
// holding anything else goes to json.Marshal.
func marshalBody(body map[string]any) ([]byte, error) {
	n := bodySize(body)
	b, ok := fastjson.Append(make([]byte, 0, n+n/8+64), body, appendChatMessage)
	if !ok {
		return json.Marshal(body)
	}
	return b, nil
}

// bodySize returns about the encoded size of v (escapes aside), to size
// the buffer once.
func bodySize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case *chatMessage:
		return len(x.Role) + bodySize(x.Content) + 24
	case []any:
		n := 2
		for _, e := range x {
			n += bodySize(e) + 1
		}
		return n
	case map[string]any:
		n := 2
		for k, e := range x {
			n += len(k) + bodySize(e) + 4
		}
		return n
	}
	return 24
}

// appendChatMessage appends a *chatMessage as json.Marshal does.
func appendChatMessage(b []byte, v any) ([]byte, bool) {
	m, ok := v.(*chatMessage)
	if !ok || m == nil {
		return b, false
	}
	b = append(b, `{"role":`...)
	b = fastjson.AppendString(b, m.Role)
	b = append(b, `,"content":`...)
	b, ok = fastjson.Append(b, m.Content, appendChatMessage)
	return append(b, '}'), ok
}

// Keys of a chat completion, in the order OpenAI writes them.
var (
	openAIReplyKeys     = fastjson.NewKeySet("id", "model", "choices", "usage")
	openAIChoiceKeys    = fastjson.NewKeySet("message", "finish_reason")
	openAIMessageKeys   = fastjson.NewKeySet("content")
	openAIUsageKeys     = fastjson.NewKeySet("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")
	openAIDetailKeys    = fastjson.NewKeySet("cached_tokens")
	openAIOutDetailKeys = fastjson.NewKeySet("reasoning_tokens")
)

// decodeFast decodes a chat completion as json.Unmarshal would into r, and
// reports whether it could: anything it does not take exactly as
// json.Unmarshal would (a null or mistyped field, a duplicate key, a key
// that matches only case-insensitively, malformed JSON) makes it report
// false, and the caller uses json.Unmarshal. Replies as providers write
// them take this path, which costs a fraction of the reflection.
func (r *openAIReply) decodeFast(body []byte) bool {
	s := scanners.Get().(*fastjson.Scanner)
	defer func() {
		s.Reset(nil) // keeps no reference to body
		scanners.Put(s)
	}()
	s.Reset(body)
	_, ok := s.Members(openAIReplyKeys, func(k int) bool {
		switch k {
		case 0:
			return scanString(s, &r.ID)
		case 1:
			return scanString(s, &r.Model)
		case 2:
			return s.Array(func() bool {
				r.Choices = append(r.Choices, openAIChoice{})
				return r.Choices[len(r.Choices)-1].decodeFast(s)
			}) && r.Choices != nil
		default:
			if s.Null() {
				return true
			}
			r.Usage = &openAIUsage{}
			return r.Usage.decodeFast(s)
		}
	})
	return ok && s.End()
}

// scanners keeps the Scanners of decodeFast, with the space they unescape
// strings in: a reply's content holding JSON is full of escaped quotes,
// and a fresh Scanner allocates that space for every reply.
var scanners = sync.Pool{New: func() any { return new(fastjson.Scanner) }}

func (c *openAIChoice) decodeFast(s *fastjson.Scanner) bool {
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

func (u *openAIUsage) decodeFast(s *fastjson.Scanner) bool {
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
		if k == 2 {
			u.PromptTokensDetails = &struct {
				CachedTokens *int64 `json:"cached_tokens"`
			}{}
			_, ok := s.Members(openAIDetailKeys, func(int) bool { return scanCount(s, &u.PromptTokensDetails.CachedTokens) })
			return ok
		}
		u.CompletionTokensDetails = &struct {
			ReasoningTokens *int64 `json:"reasoning_tokens"`
		}{}
		_, ok := s.Members(openAIOutDetailKeys, func(int) bool { return scanCount(s, &u.CompletionTokensDetails.ReasoningTokens) })
		return ok
	})
	return ok
}

// scanString reads a string into *dst (not null: json.Unmarshal leaves the
// field as it was, which a fast decoder does not copy).
func scanString(s *fastjson.Scanner, dst *string) bool {
	b, ok := s.Str()
	*dst = string(b)
	return ok
}

// scanCount reads null or an int64 into a token count.
func scanCount(s *fastjson.Scanner, dst **int64) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	n, ok := s.Int()
	*dst = &n
	return ok
}
