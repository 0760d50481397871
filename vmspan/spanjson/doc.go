// Package spanjson writes the values that span events carry as JSON. It is
// the one encoding that trace files (package jsonl), OpenTelemetry
// attributes (package otelbridge) and prompt rendering (package
// runtime/llm) share, so that a value reads the same in a trace file, in a
// tracing backend and in a prompt.
//
//	b = spanjson.AppendValue(b, v)                             // trace form
//	b = spanjson.Encoder{Redact: true, Limit: 4096}.AppendValue(b, v) // an OTel attribute
//	b = spanjson.Encoder{Prompt: true}.AppendValue(b, v)       // what a template prints
//
// # Mapping
//
// Values are in the event value form of package vmspan (see
// vmspan.Snapshot); any other Go value is converted with vmspan.Snapshot
// first.
//
//   - nil is null, a bool true or false, an int64 (or int) an integer.
//   - A float64 is written as encoding/json writes it (the shortest text
//     that reads back as the same number, with an exponent below 1e-6 and
//     from 1e21 on), with ".0" added when the text has neither a fraction
//     nor an exponent, so that a reader tells the float 2.0 from the int 2
//     (as serde_json, the reference runtime's encoder, does). NaN and the
//     infinities, which JSON cannot hold, are null.
//   - A string is a JSON string. Only '"', '\' and control characters are
//     escaped (no HTML escaping: a prompt must read as written), and
//     invalid UTF-8 becomes U+FFFD.
//   - A []any is an array.
//   - A map[string]any is an object whose keys are sorted bytewise, so that
//     equal maps give equal text. Maps with keys of other types do not
//     occur: bex maps have string keys, and vmspan.Snapshot converts Go maps
//     through encoding/json, which writes integer keys as decimal strings.
//   - A vmspan.Object (a class instance) is an object holding its fields and
//     "__class": the class name, all keys sorted ("__class" sorts after
//     upper-case and before lower-case names).
//   - A vmspan.Enum is {"__enum": the enum's name, "value": the variant}.
//   - A media value (image, audio, pdf, video) is snapshotted to its
//     reference, a map whose "__media" key names its kind beside its URL,
//     media type, size and SHA-256; its bytes are never written.
//
// # Prompt form
//
// With Encoder.Prompt, values are written as a prompt template prints a
// whole list, map or class instance: scalars as above, ", " and ": " between
// elements, a class instance's fields in declaration order without
// "__class", and an enum value as its variant (a string).
//
// # Redaction and truncation
//
// Secrets are redacted when values are snapshotted: vmspan.Snapshot and the
// VM's snapshots replace the value of every map key, class field and
// argument whose name vmspan.IsSecretKey reports as secret by
// vmspan.Redacted, so values in events are already redacted. With
// Encoder.Redact the encoder checks every name again as it writes, for
// values that did not come through a snapshot; the OpenTelemetry bridge,
// whose attributes leave the process, sets it.
//
// With Encoder.Limit, output longer than Limit bytes is cut to at most Limit
// bytes at a character boundary and ends with TruncatedMarker (a cut JSON
// value is no longer valid JSON; the marker says why). The encoder stops
// walking a value once its output passes the limit, so a huge value costs
// no more than the limit.
package spanjson
