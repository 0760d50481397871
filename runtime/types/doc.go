// Package types is bex's one model of types: the types of parameters,
// results, class fields, aliases and host function signatures, and the
// declarations they name (classes, enums, aliases).
//
// The compiler (runtime/internal/compile) is the only producer: it resolves
// every type expression of a program, and every host signature, with one
// resolver. Everything downstream reads the same values: the VM compiles
// them into its private check plans for the argument and result checks at
// call boundaries, the LLM layer renders {{ ctx.output_format }} from them
// and coerces replies to them, and the engine converts Go values by them.
// Types are immutable once compiled and safe for concurrent use.
//
// A Type is a Kind plus the parts that kind uses: Elem and Key for lists,
// maps and optionals, Variants for unions, Class, Enum or Alias for named
// types, Literal for literal types, Func for function types, Media for
// image, audio, pdf and video. Aliases stay aliases (Kind Alias), so that a
// recursive alias such as
//
//	type Json = string | int | Json[] | map<string, Json>
//
// is a finite graph; Underlying resolves one.
//
// Assignable answers, in three values (No, Maybe, Yes), whether every value
// of one type is a value of another: the static checker reports No as an
// error and lets the VM check Maybe at run time.
//
// # Attributes for later stages
//
// The model keeps the attributes the later stages act on: @assert and
// @check constraints (Constraint, on fields, classes and type positions
// such as parameters and results; the LLM layer tests them on parsed
// replies and arguments), the streaming attributes @stream.done,
// @stream.not_null and @stream.with_state (Stream), @skip, and @@dynamic.
// An Overlay holds what one call adds to @@dynamic classes and enums
// without changing the shared declarations (the compiler builds it from a
// type builder; the output format, the parser and the VM's values read
// it).
package types
