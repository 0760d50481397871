package vm_test

import (
	"fmt"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

// hostFuncs implements the host functions of the example.
type hostFuncs struct{}

func (hostFuncs) CallHost(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	return vm.String(strings.ToUpper(args[0].Str())), nil // shout(s)
}

func (hostFuncs) CallLLM(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	return vm.Null, fmt.Errorf("no LLM in this example")
}

func Example() {
	src := `
class Ticket {
    title string
    priority int
}
function Score(t: Ticket) -> int { t.priority * 10 }
function Summary(titles: string[]) -> string {
    let parts = [];
    for (t in titles) {
        let ticket = Ticket { title: t, priority: t.length() };
        parts.push(shout(t) + "=" + Score(ticket).to_string());
    }
    parts.join(", ")
}`
	f, err := syntax.Parse("example.baml", []byte(src))
	if err != nil {
		panic(err)
	}
	prog, err := vm.Compile([]*syntax.File{f}, vm.CompileOptions{HostFuncs: map[string]vm.HostSig{
		"shout": {Params: []string{"s: string"}, Result: "string"},
	}})
	if err != nil {
		panic(err)
	}
	arg, _ := vm.FromGo([]string{"disk", "printer"}, nil)
	th := &vm.Thread{MaxSteps: 1_000_000, Externals: hostFuncs{}}
	v, err := prog.Call(th, prog.Function("Summary"), []vm.Value{arg})
	fmt.Println(v, err)

	_, err = prog.Call(th, prog.Function("Summary"), []vm.Value{vm.String("oops")})
	fmt.Println(err)
	// Output:
	// DISK=40, PRINTER=70 <nil>
	// Summary: argument titles: want string[], got string
}

func ExampleCompile_errors() {
	src := "function F(x: int) -> int {\n    x.size + y\n}"
	f, _ := syntax.Parse("bad.baml", []byte(src))
	_, err := vm.Compile([]*syntax.File{f}, vm.CompileOptions{})
	fmt.Println(err)
	// Output:
	// bad.baml:2:7: int has no field size
	// bad.baml:2:14: undefined: y
}
