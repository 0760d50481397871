// attrs.go names the attributes the bridge sets and builds them from events.

package otelbridge

import (
	"sync"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
	"go.opentelemetry.io/otel/attribute"
)

// Attribute keys of bex spans.
const (
	KeySpanID       = attribute.Key("bex.span_id")       // the bex span id (UUID string)
	KeyFunctionName = attribute.Key("bex.function.name") // function or host span name
	KeySpanKind     = attribute.Key("bex.span.kind")     // vmspan.Kind.String()
	KeyArgs         = attribute.Key("bex.args")          // JSON object name -> value, in order
	KeyResult       = attribute.Key("bex.result")        // JSON value
	KeyLLMClient    = attribute.Key("bex.llm.client")    // attempt: the client<llm> name
	KeyLLMSelected  = attribute.Key("bex.llm.selected")  // attempt: its output is the result
	KeyLLMAttempts  = attribute.Key("bex.llm.attempts")  // LLM function: number of attempts

	// TagPrefix prefixes a tag's key: tag "env" becomes "bex.tag.env".
	TagPrefix = "bex.tag."
)

// Attribute keys of LLM function spans whose reply was coerced with loss
// (vmspan.ParseNote): how many notes of each kind, set only when not zero,
// and, with content capture, the notes themselves.
const (
	KeyParseDropped   = attribute.Key("bex.parse.dropped")   // list elements or map entries left out
	KeyParseDefaulted = attribute.Key("bex.parse.defaulted") // missing or unreadable values defaulted
	KeyParseRounded   = attribute.Key("bex.parse.rounded")   // numbers rounded to ints
	KeyParseTruncated = attribute.Key("bex.parse.truncated") // values cut off by the end of the reply
	KeyParseNotes     = attribute.Key("bex.parse.notes")     // the notes as text (content capture only)
)

// GenAI semantic-convention keys (experimental; the names current when this
// was written). go.opentelemetry.io/otel/semconv no longer defines them.
const (
	KeyGenAIOperationName         = attribute.Key("gen_ai.operation.name")
	KeyGenAIProviderName          = attribute.Key("gen_ai.provider.name")
	KeyGenAIRequestModel          = attribute.Key("gen_ai.request.model")
	KeyGenAIRequestTemperature    = attribute.Key("gen_ai.request.temperature")
	KeyGenAIRequestMaxTokens      = attribute.Key("gen_ai.request.max_tokens")
	KeyGenAIResponseModel         = attribute.Key("gen_ai.response.model")
	KeyGenAIResponseID            = attribute.Key("gen_ai.response.id")
	KeyGenAIResponseFinishReasons = attribute.Key("gen_ai.response.finish_reasons")
	KeyGenAIUsageInputTokens      = attribute.Key("gen_ai.usage.input_tokens")
	KeyGenAIUsageOutputTokens     = attribute.Key("gen_ai.usage.output_tokens")
	KeyGenAIUsageCacheReadTokens  = attribute.Key("gen_ai.usage.cache_read.input_tokens")
	KeyGenAIInputMessages         = attribute.Key("gen_ai.input.messages")
	KeyGenAIOutputMessages        = attribute.Key("gen_ai.output.messages")
	KeyServerAddress              = attribute.Key("server.address")
	KeyServerPort                 = attribute.Key("server.port")
	KeyErrorType                  = attribute.Key("error.type")
)

const (
	genAIOperationChat  = "chat"
	exceptionEventName  = "exception" // as span.RecordError names it
	keyExceptionType    = attribute.Key("exception.type")
	keyExceptionMessage = attribute.Key("exception.message")
	unbalancedMessage   = "span not ended in trace file"
)

// attrList is a pooled attribute slice: OTel copies the attributes it is
// given, so the slice can be reused once Start or SetAttributes returns.
type attrList struct{ s []attribute.KeyValue }

var attrPool = sync.Pool{New: func() any { return &attrList{s: make([]attribute.KeyValue, 0, 16)} }}

func newAttrs() *attrList { return attrPool.Get().(*attrList) }

// free clears the slice (so the pool holds no strings) and recycles it.
func (l *attrList) free() {
	if cap(l.s) > 256 {
		return
	}
	clear(l.s)
	l.s = l.s[:0]
	attrPool.Put(l)
}

// startAttrs returns the attributes a span starts with.
func (b *Bridge) startAttrs(e *vmspan.Event) *attrList {
	l := newAttrs()
	attrs := append(l.s,
		KeySpanID.String(e.Span.ID.String()),
		KeyFunctionName.String(e.Name),
		KeySpanKind.String(e.SpanKind.String()),
	)
	if len(e.Args) > 0 {
		attrs = append(attrs, KeyArgs.String(b.argsJSON(e.Args)))
	}
	for k, v := range e.Tags {
		attrs = append(attrs, b.tagAttr(k, v))
	}
	l.s = attrs
	return l
}

// tagAttr returns tag k=v as bex.tag.<k>, redacted when k names a secret.
func (b *Bridge) tagAttr(k, v string) attribute.KeyValue {
	info := lookupKey(k)
	if info.secret {
		v = vmspan.Redacted
	}
	return attribute.String(info.tagKey, truncateString(v, b.cfg.maxSize))
}

// endAttrs returns the attributes an end event adds: tags that differ from
// those the span started with, the result, the error type and, for an LLM
// function, its attempt count and summed usage.
func (b *Bridge) endAttrs(startTags map[string]string, e *vmspan.Event) *attrList {
	l := newAttrs()
	attrs := l.s
	for k, v := range e.Tags {
		if old, ok := startTags[k]; !ok || old != v {
			attrs = append(attrs, b.tagAttr(k, v))
		}
	}
	switch {
	case e.Err != nil:
		attrs = append(attrs, KeyErrorType.String(e.Err.Type))
	case e.Result != nil:
		attrs = append(attrs, KeyResult.String(b.valueJSON(e.Result)))
	}
	if len(e.Attempts) > 0 {
		attrs = append(attrs, KeyLLMAttempts.Int(len(e.Attempts)))
		var u vmspan.Usage
		for _, a := range e.Attempts {
			u = u.Add(a.Usage)
		}
		attrs = appendUsage(attrs, u)
		attrs = b.appendParseNotes(attrs, e.Attempts)
		attrs = appendChecks(attrs, e.Attempts)
		attrs = appendDynamicTypes(attrs, e.Attempts, b.cfg.content)
	}
	l.s = attrs
	return l
}

func appendUsage(attrs []attribute.KeyValue, u vmspan.Usage) []attribute.KeyValue {
	if u.InputTokens != nil {
		attrs = append(attrs, KeyGenAIUsageInputTokens.Int64(*u.InputTokens))
	}
	if u.OutputTokens != nil {
		attrs = append(attrs, KeyGenAIUsageOutputTokens.Int64(*u.OutputTokens))
	}
	if u.CachedInputTokens != nil {
		attrs = append(attrs, KeyGenAIUsageCacheReadTokens.Int64(*u.CachedInputTokens))
	}
	return attrs
}

// attemptName is the GenAI span name "{operation} {model}".
func attemptName(a *vmspan.LLMAttempt) string {
	if a.Model == "" {
		return genAIOperationChat
	}
	return genAIOperationChat + " " + a.Model
}

// attemptAttrs returns the GenAI attributes of one provider attempt.
func (b *Bridge) attemptAttrs(a *vmspan.LLMAttempt) *attrList {
	l := newAttrs()
	attrs := append(l.s, KeyGenAIOperationName.String(genAIOperationChat))
	attrs = appendNonEmpty(attrs, KeyGenAIProviderName, vmspan.GenAIProviderName(a.Provider))
	attrs = appendNonEmpty(attrs, KeyGenAIRequestModel, a.Model)
	attrs = appendNonEmpty(attrs, KeyGenAIResponseModel, a.ResponseModel)
	attrs = appendNonEmpty(attrs, KeyGenAIResponseID, a.ResponseID)
	if a.Temperature != nil {
		attrs = append(attrs, KeyGenAIRequestTemperature.Float64(*a.Temperature))
	}
	if a.MaxTokens != nil {
		attrs = append(attrs, KeyGenAIRequestMaxTokens.Int64(*a.MaxTokens))
	}
	attrs = appendUsage(attrs, a.Usage)
	if a.FinishReason != "" {
		attrs = append(attrs, KeyGenAIResponseFinishReasons.StringSlice([]string{a.FinishReason}))
	}
	attrs = appendNonEmpty(attrs, KeyServerAddress, a.ServerAddress)
	if a.ServerPort > 0 {
		attrs = append(attrs, KeyServerPort.Int(a.ServerPort))
	}
	attrs = appendNonEmpty(attrs, KeyLLMClient, a.Client)
	attrs = append(attrs, KeyLLMSelected.Bool(a.Selected))
	if a.Err != nil {
		attrs = append(attrs, KeyErrorType.String(a.Err.Type))
	}
	if b.cfg.content {
		attrs = b.appendContent(attrs, a)
	}
	l.s = attrs
	return l
}

func appendNonEmpty(attrs []attribute.KeyValue, k attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	return append(attrs, k.String(v))
}

// appendContent adds the prompt and completion in the GenAI message shape:
// [{"role":"user","parts":[{"type":"text","content":"..."}]}].
func (b *Bridge) appendContent(attrs []attribute.KeyValue, a *vmspan.LLMAttempt) []attribute.KeyValue {
	limit := b.cfg.maxSize
	if len(a.Messages) > 0 {
		in := encodeJSON(func(buf []byte) []byte {
			buf = append(buf, '[')
			for i, m := range a.Messages {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendMessage(buf, m.Role, m.Content, "")
			}
			return spanjson.Truncate(append(buf, ']'), limit)
		})
		attrs = append(attrs, KeyGenAIInputMessages.String(in))
	}
	if a.Err == nil || a.Output != "" {
		out := encodeJSON(func(buf []byte) []byte {
			buf = appendMessage(append(buf, '['), "assistant", a.Output, a.FinishReason)
			return spanjson.Truncate(append(buf, ']'), limit)
		})
		attrs = append(attrs, KeyGenAIOutputMessages.String(out))
	}
	return attrs
}

// appendMessage appends one GenAI message with a single text part; finish
// is the output message's finish_reason (left out when empty).
func appendMessage(b []byte, role, content, finish string) []byte {
	b = append(b, `{"role":`...)
	b = spanjson.AppendString(b, role)
	b = append(b, `,"parts":[{"type":"text","content":`...)
	b = spanjson.AppendString(b, content)
	b = append(b, "}]"...)
	if finish != "" {
		b = append(b, `,"finish_reason":`...)
		b = spanjson.AppendString(b, finish)
	}
	return append(b, '}')
}

// appendParseNotes adds the parse-note counts of an LLM function's attempts
// (the selected one, or the one strict parsing refused), and the notes'
// text when content capture is on: it quotes the reply.
func (b *Bridge) appendParseNotes(attrs []attribute.KeyValue, as []vmspan.LLMAttempt) []attribute.KeyValue {
	var n [4]int
	var text []string
	for i := range as {
		for _, note := range as[i].ParseNotes {
			switch note.Kind {
			case vmspan.ParseDropped:
				n[0]++
			case vmspan.ParseDefaulted:
				n[1]++
			case vmspan.ParseRounded:
				n[2]++
			case vmspan.ParseTruncated:
				n[3]++
			}
			if b.cfg.content {
				text = append(text, truncateString(note.String(), b.cfg.maxSize))
			}
		}
	}
	for i, k := range [...]attribute.Key{KeyParseDropped, KeyParseDefaulted, KeyParseRounded, KeyParseTruncated} {
		if n[i] > 0 {
			attrs = append(attrs, k.Int(n[i]))
		}
	}
	if len(text) > 0 {
		attrs = append(attrs, KeyParseNotes.StringSlice(text))
	}
	return attrs
}
