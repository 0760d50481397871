// attrs.go names the attributes the bridge sets and builds them from events.

package otelbridge

import (
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// Attribute keys of bex spans. The OpenTelemetry keys (GenAI, server,
// error, session and user) are those of the semconv package of the pinned
// OpenTelemetry version, go.opentelemetry.io/otel/semconv/v1.41.0.
const (
	KeySpanID       = attribute.Key("bex.span_id")       // the bex span id (UUID string)
	KeyFunctionName = attribute.Key("bex.function.name") // function or host span name
	KeySpanKind     = attribute.Key("bex.span.kind")     // vmspan.Kind.String()
	KeyArgs         = attribute.Key("bex.args")          // content: JSON object name -> value, in order
	KeyResult       = attribute.Key("bex.result")        // content: JSON value
	KeyErrorType    = attribute.Key("bex.error.type")    // the bex error type (vmspan.ErrorInfo.Type)
	KeyLLMClient    = attribute.Key("bex.llm.client")    // attempt: the client<llm> name
	KeyLLMSelected  = attribute.Key("bex.llm.selected")  // attempt: its output is the result
	KeyLLMChunks    = attribute.Key("bex.llm.chunks")    // streamed attempt: chunks of output text received
	KeyLLMAttempts  = attribute.Key("bex.llm.attempts")  // LLM function: number of attempts

	// Token usage of an LLM function, summed over its attempts, with the
	// meaning of the gen_ai.usage.* keys of its attempt spans (which carry
	// those keys; the function span does not, so that a backend summing
	// gen_ai.usage.* over a trace counts each token once).
	KeyUsageInputTokens         = attribute.Key("bex.usage.input_tokens")
	KeyUsageOutputTokens        = attribute.Key("bex.usage.output_tokens")
	KeyUsageCacheReadTokens     = attribute.Key("bex.usage.cache_read.input_tokens")
	KeyUsageCacheCreationTokens = attribute.Key("bex.usage.cache_creation.input_tokens")
	KeyUsageReasoningTokens     = attribute.Key("bex.usage.reasoning.output_tokens")

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

// EventFirstChunk is the span event that marks, on a streamed attempt's
// span, when the first chunk of output text arrived (the GenAI conventions
// name the duration, gen_ai.response.time_to_first_chunk, not an event).
const EventFirstChunk = "bex.llm.first_chunk"

// tagAliases are the tags that also set a semantic-convention attribute.
var tagAliases = map[string]attribute.Key{
	"session_id":      semconv.SessionIDKey,
	"user_id":         semconv.UserIDKey,
	"conversation_id": semconv.GenAIConversationIDKey,
}

// separateSystem reports whether a provider takes system instructions
// apart from the chat history (gen_ai.system_instructions) rather than as
// messages (gen_ai.input.messages).
func separateSystem(provider string) bool {
	switch provider {
	case "anthropic", "google-ai", "vertex-ai", "aws-bedrock":
		return true
	}
	return false
}

const (
	genAIOperationChat = "chat"
	unbalancedMessage  = "span not ended in trace file"
	// withheldMessage replaces, with content capture off, the message of
	// an error whose summary a trace file did not record.
	withheldMessage = "message withheld: content capture is off and the trace file has no summary of it"
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
	if b.cfg.content && len(e.Args) > 0 {
		attrs = append(attrs, KeyArgs.String(b.argsJSON(e.Args)))
	}
	for k, v := range e.Tags {
		attrs = b.appendTag(attrs, k, v)
	}
	l.s = attrs
	return l
}

// appendTag appends tag k=v as bex.tag.<k> (redacted when k names a
// secret), and as its semantic-convention attribute when it has one.
func (b *Bridge) appendTag(attrs []attribute.KeyValue, k, v string) []attribute.KeyValue {
	info := lookupKey(k)
	if info.secret {
		v = vmspan.Redacted
	}
	v = truncateString(v, b.cfg.maxSize)
	attrs = append(attrs, attribute.String(info.tagKey, v))
	if info.alias != "" {
		attrs = append(attrs, info.alias.String(v))
	}
	return attrs
}

// endAttrs returns the attributes an end event adds: tags that differ from
// those the span started with, the result, the error's types and, for an
// LLM function, its attempt count and summed usage.
func (b *Bridge) endAttrs(startTags map[string]string, e *vmspan.Event) *attrList {
	l := newAttrs()
	attrs := l.s
	for k, v := range e.Tags {
		if old, ok := startTags[k]; !ok || old != v {
			attrs = b.appendTag(attrs, k, v)
		}
	}
	switch {
	case e.Err != nil:
		typ := e.Err.Code
		if typ == "" {
			typ = e.Err.Type
		}
		attrs = append(attrs, semconv.ErrorTypeKey.String(typ), KeyErrorType.String(e.Err.Type))
	case e.Result != nil && b.cfg.content:
		attrs = append(attrs, KeyResult.String(b.valueJSON(e.Result)))
	}
	if len(e.Attempts) > 0 {
		attrs = append(attrs, KeyLLMAttempts.Int(len(e.Attempts)))
		var u vmspan.Usage
		for _, a := range e.Attempts {
			u = u.Add(a.Usage)
		}
		attrs = appendUsage(attrs, u, bexUsageKeys)
		attrs = b.appendParseNotes(attrs, e.Attempts)
		attrs = appendChecks(attrs, e.Attempts)
		attrs = appendDynamicTypes(attrs, e.Attempts, b.cfg.content)
	}
	l.s = attrs
	return l
}

// usageKeys name the five token counts of vmspan.Usage.
type usageKeys struct{ input, output, cacheRead, cacheCreation, reasoning attribute.Key }

var (
	genAIUsageKeys = usageKeys{semconv.GenAIUsageInputTokensKey, semconv.GenAIUsageOutputTokensKey,
		semconv.GenAIUsageCacheReadInputTokensKey, semconv.GenAIUsageCacheCreationInputTokensKey, semconv.GenAIUsageReasoningOutputTokensKey}
	bexUsageKeys = usageKeys{KeyUsageInputTokens, KeyUsageOutputTokens,
		KeyUsageCacheReadTokens, KeyUsageCacheCreationTokens, KeyUsageReasoningTokens}
)

// appendUsage appends the counts that were reported.
func appendUsage(attrs []attribute.KeyValue, u vmspan.Usage, k usageKeys) []attribute.KeyValue {
	for _, c := range []struct {
		key attribute.Key
		n   *int64
	}{{k.input, u.InputTokens}, {k.output, u.OutputTokens}, {k.cacheRead, u.CachedInputTokens},
		{k.cacheCreation, u.CacheCreationInputTokens}, {k.reasoning, u.ReasoningTokens}} {
		if c.n != nil {
			attrs = append(attrs, c.key.Int64(*c.n))
		}
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

// attemptStartAttrs returns what is known of an attempt before its request
// is sent: the attributes a sampler sees.
func (b *Bridge) attemptStartAttrs(a *vmspan.LLMAttempt) *attrList {
	l := newAttrs()
	attrs := append(l.s, semconv.GenAIOperationNameChat)
	attrs = appendNonEmpty(attrs, semconv.GenAIProviderNameKey, vmspan.GenAIProviderName(a.Provider))
	attrs = appendNonEmpty(attrs, semconv.GenAIRequestModelKey, a.Model)
	if a.Temperature != nil {
		attrs = append(attrs, semconv.GenAIRequestTemperatureKey.Float64(*a.Temperature))
	}
	if a.MaxTokens != nil {
		attrs = append(attrs, semconv.GenAIRequestMaxTokensKey.Int64(*a.MaxTokens))
	}
	attrs = appendNonEmpty(attrs, semconv.ServerAddressKey, a.ServerAddress)
	if a.ServerPort > 0 {
		attrs = append(attrs, semconv.ServerPortKey.Int(a.ServerPort))
	}
	if a.Stream != nil {
		attrs = append(attrs, semconv.GenAIRequestStreamKey.Bool(true))
	}
	attrs = appendNonEmpty(attrs, KeyLLMClient, a.Client)
	if b.cfg.content {
		attrs = b.appendInput(attrs, a)
	}
	l.s = attrs
	return l
}

// attemptEndAttrs returns what an attempt's outcome adds.
func (b *Bridge) attemptEndAttrs(a *vmspan.LLMAttempt) *attrList {
	l := newAttrs()
	attrs := appendNonEmpty(l.s, semconv.GenAIResponseModelKey, a.ResponseModel)
	attrs = appendNonEmpty(attrs, semconv.GenAIResponseIDKey, a.ResponseID)
	if a.FinishReason != "" {
		attrs = append(attrs, semconv.GenAIResponseFinishReasonsKey.StringSlice([]string{a.FinishReason}))
	}
	attrs = appendUsage(attrs, a.Usage, genAIUsageKeys)
	attrs = append(attrs, KeyLLMSelected.Bool(a.Selected))
	if d, ok := firstChunk(a); ok {
		attrs = append(attrs, semconv.GenAIResponseTimeToFirstChunkKey.Float64(d.Seconds()))
	}
	if st := a.Stream; st != nil {
		attrs = append(attrs, KeyLLMChunks.Int(st.Chunks))
	}
	if a.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(a.Err)), KeyErrorType.String(a.Err.Type))
	}
	if b.cfg.content && (a.Err == nil || a.Output != "") {
		out := encodeJSON(func(buf []byte) []byte {
			buf = appendMessage(append(buf, '['), vmspan.Message{Role: "assistant", Content: a.Output}, a.FinishReason, true)
			return spanjson.Truncate(append(buf, ']'), b.cfg.maxSize)
		})
		attrs = append(attrs, semconv.GenAIOutputMessagesKey.String(out))
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

// appendInput adds the prompt in the GenAI conventions' shapes:
// gen_ai.input.messages, [{"role":"user","parts":[{"type":"text",
// "content":"..."}]}], and, for providers that take system instructions
// apart, gen_ai.system_instructions, [{"type":"text","content":"..."}].
func (b *Bridge) appendInput(attrs []attribute.KeyValue, a *vmspan.LLMAttempt) []attribute.KeyValue {
	apart := separateSystem(a.Provider)
	var system, chat []vmspan.Message
	for _, m := range a.Messages {
		if apart && m.Role == "system" {
			system = append(system, m)
		} else {
			chat = append(chat, m)
		}
	}
	if len(system) > 0 {
		attrs = append(attrs, semconv.GenAISystemInstructionsKey.String(b.messagesJSON(system, appendParts)))
	}
	if len(chat) > 0 {
		in := b.messagesJSON(chat, func(buf []byte, m vmspan.Message) []byte { return appendMessage(buf, m, "", false) })
		attrs = append(attrs, semconv.GenAIInputMessagesKey.String(in))
	}
	return attrs
}

// messagesJSON returns the array of what each writes for each of ms, cut
// at the size limit.
func (b *Bridge) messagesJSON(ms []vmspan.Message, each func([]byte, vmspan.Message) []byte) string {
	return encodeJSON(func(buf []byte) []byte {
		buf = append(buf, '[')
		for i, m := range ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = each(buf, m)
		}
		return spanjson.Truncate(append(buf, ']'), b.cfg.maxSize)
	})
}

// appendMessage appends one GenAI message; an output message also has its
// finish_reason, which the conventions require.
func appendMessage(b []byte, m vmspan.Message, finish string, output bool) []byte {
	b = append(b, `{"role":`...)
	b = spanjson.AppendString(b, m.Role)
	b = append(b, `,"parts":[`...)
	b = appendParts(b, m)
	b = append(b, ']')
	if output {
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

// appendParts appends the parts of a message: its text, or, for a message
// with media, its text and media parts in order. A media part is a
// reference, never the bytes: {"type":"uri","modality":kind,
// "mime_type":...,"uri":...} for a URL (its signature removed, as in trace
// files), and {"type":"media","modality":kind,"mime_type":...,"size":n,
// "sha256":...} for bytes held inline.
func appendParts(b []byte, m vmspan.Message) []byte {
	if len(m.Parts) == 0 {
		return appendTextPart(b, m.Content)
	}
	for i, p := range m.Parts {
		if i > 0 {
			b = append(b, ',')
		}
		if p.Media == nil {
			b = appendTextPart(b, p.Text)
			continue
		}
		b = appendMediaPart(b, p.Media)
	}
	return b
}

func appendMediaPart(b []byte, md *vmspan.Media) []byte {
	if md.IsURL() {
		b = append(b, `{"type":"uri","modality":`...)
	} else {
		b = append(b, `{"type":"media","modality":`...)
	}
	b = spanjson.AppendString(b, md.Kind)
	if md.MediaType != "" {
		b = append(b, `,"mime_type":`...)
		b = spanjson.AppendString(b, md.MediaType)
	}
	if md.IsURL() {
		b = append(b, `,"uri":`...)
		b = spanjson.AppendString(b, vmspan.RedactURL(md.URL))
	} else {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(md.Size), 10)
		b = append(b, `,"sha256":`...)
		b = spanjson.AppendString(b, md.SHA256)
	}
	return append(b, '}')
}

// appendTextPart appends {"type":"text","content":...}.
func appendTextPart(b []byte, content string) []byte {
	b = append(b, `{"type":"text","content":`...)
	b = spanjson.AppendString(b, content)
	return append(b, '}')
}

// exceptionAttrs are the attributes of an exception event.
func exceptionAttrs(typ, msg string) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.ExceptionTypeKey.String(typ), semconv.ExceptionMessageKey.String(msg)}
}
