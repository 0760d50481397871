// snapshot.go converts Go values to the immutable form events carry.

package vmspan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Snapshot returns a deep copy of v in the event value form: nil, bool,
// int64, float64, string, []any, map[string]any, Object or Enum. Other Go
// values are converted through their JSON encoding (so struct json tags
// apply); values JSON cannot encode become their fmt %v text. Map keys and
// struct fields that look secret (IsSecretKey) are replaced by Redacted.
// Snapshot of a value already in event form is a deep copy of it.
func Snapshot(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case json.Number:
		return normalizeJSON(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Snapshot(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if IsSecretKey(k) {
				out[k] = Redacted
			} else {
				out[k] = Snapshot(e)
			}
		}
		return out
	case Object:
		f := make([]Arg, len(x.Fields))
		for i, a := range x.Fields {
			f[i] = Arg{a.Name, Snapshot(a.Value)}
		}
		return Object{Class: x.Class, Fields: RedactArgs(f)}
	case Enum:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case error:
		return x.Error()
	case []byte:
		return string(x)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	var out any
	if err := decodeJSON(b, &out); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return Snapshot(normalizeJSON(out))
}

func decodeJSON(b []byte, out *any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(out)
}

// normalizeJSON turns json.Number into int64 when integral, float64 otherwise.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
	}
	return v
}

// ErrorInfoOf describes err for an end event, or returns nil for a nil err.
// The type is the ErrorType() of the first error in err's chain that has
// one, "Canceled" or "DeadlineExceeded" for context errors, and otherwise
// the Go type name of err without its package. The code is the
// ErrorCode() of the first error in err's chain that has one, "timeout"
// for an exceeded deadline, and otherwise "". The summary is
// ErrorSummary(err).
func ErrorInfoOf(err error) *ErrorInfo {
	if err == nil {
		return nil
	}
	return &ErrorInfo{Type: errorType(err), Message: err.Error(), Summary: ErrorSummary(err), Code: errorCode(err)}
}

// ErrorSummary returns err's message without the values it quotes
// (arguments, replies, provider messages, values the program computed),
// for exporters that must not carry content: the ErrorSummary() of the
// first error in err's chain that has one, else err.Error().
//
// An error whose message may quote content implements
//
//	ErrorSummary() string
//
// returning a content-free text: what failed and where, without the
// values. An error that wraps others and adds text of its own composes
// its own content-free text with its cause's ErrorSummary. Errors
// without the method are taken to quote nothing: the runtime's errors
// that quote values all have it; a host function's errors are the
// application's to word. As errors.As finds the first such error, text
// that an error without the method adds around one that has it is left
// out of the summary.
func ErrorSummary(err error) string {
	var s interface{ ErrorSummary() string }
	if errors.As(err, &s) {
		return s.ErrorSummary()
	}
	return err.Error()
}

func errorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return ""
}

func errorType(err error) string {
	var typed interface{ ErrorType() string }
	if errors.As(err, &typed) {
		return typed.ErrorType()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "error"
	}
	return t.Name()
}
