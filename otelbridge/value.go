// value.go encodes event values as JSON attribute strings (package
// spanjson), redacted and size-limited, and caches per-key facts.

package otelbridge

import (
	"maps"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// TruncatedMarker ends an attribute value cut at the size limit. A
// truncated JSON value is no longer valid JSON; the marker says why.
const TruncatedMarker = spanjson.TruncatedMarker

// bufPool holds encoding buffers: an attribute value is encoded into one
// and copied out as a string.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// encodeJSON returns the text that fill appends to an empty buffer.
func encodeJSON(fill func([]byte) []byte) string {
	p := bufPool.Get().(*[]byte)
	b := fill((*p)[:0])
	s := string(b)
	if cap(b) <= 64<<10 {
		*p = b
		bufPool.Put(p)
	}
	return s
}

// encoder is the spanjson encoder of the bridge's attribute values:
// the trace form, names checked for secrets again, cut at the size limit.
func (b *Bridge) encoder() spanjson.Encoder {
	return spanjson.Encoder{Redact: true, Limit: b.cfg.maxSize}
}

// valueJSON encodes one value.
func (b *Bridge) valueJSON(v any) string {
	enc := b.encoder()
	return encodeJSON(func(buf []byte) []byte { return enc.AppendValue(buf, v) })
}

// argsJSON encodes named arguments as one object in declaration order.
func (b *Bridge) argsJSON(args []vmspan.Arg) string {
	enc := b.encoder()
	return encodeJSON(func(buf []byte) []byte { return enc.AppendArgs(buf, args) })
}

// truncateString cuts a string attribute value at limit (see spanjson.Truncate).
func truncateString(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	return string(spanjson.Truncate([]byte(s), limit))
}

// keyInfo caches, per tag key, whether it names a secret, the tag's
// attribute key (TagPrefix + key, built once) and its semantic-convention
// alias (see tagAliases), if any.
type keyInfo struct {
	secret bool
	tagKey string
	alias  attribute.Key
}

// keyCache is a copy-on-write map: reads are an atomic load and a map
// lookup, and writes are rare, since keys come from programs and host code.
var (
	keyCache   atomic.Pointer[map[string]keyInfo]
	keyCacheMu sync.Mutex
)

// maxKeyCache bounds the cache, so that tags with generated keys cannot
// grow it without end; keys beyond it are looked up every time.
const maxKeyCache = 2048

func lookupKey(k string) keyInfo {
	if m := keyCache.Load(); m != nil {
		if info, ok := (*m)[k]; ok {
			return info
		}
	}
	info := keyInfo{secret: vmspan.IsSecretKey(k), tagKey: TagPrefix + k, alias: tagAliases[k]}
	keyCacheMu.Lock()
	defer keyCacheMu.Unlock()
	old := keyCache.Load()
	if old == nil || len(*old) < maxKeyCache {
		m := make(map[string]keyInfo, 1+lenOf(old))
		if old != nil {
			maps.Copy(m, *old)
		}
		m[k] = info
		keyCache.Store(&m)
	}
	return info
}

func lenOf(m *map[string]keyInfo) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
