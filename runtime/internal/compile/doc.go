// Package compile turns bex syntax trees into bytecode for the VM in
// runtime/vm.
//
// It declares classes, enums and functions, resolves type expressions, binds
// local variables to frame slots (block-scoped, reused when a block ends),
// infers static types where it can, and generates code for a stack machine
// whose frames hold parameters and locals in numbered slots followed by an
// operand stack. Static types serve three purposes: compile errors for
// unknown fields and methods on values whose type is known, field access by
// index rather than by name, and the removal of run-time type checks the
// compiler can prove unnecessary (CALLNC, MAKEINST unchecked).
//
// The package is internal so that the instruction set can change freely:
// compiled programs are never stored, always rebuilt from source. Disassemble
// prints a function's code for tests and debugging.
package compile
