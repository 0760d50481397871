package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes a program of n files, each with two classes, an enum,
// an LLM function and three expression functions that use them, the shape
// of a mid-sized BAML project.
func writeProject(tb testing.TB, dir string, n int) {
	tb.Helper()
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "enum Kind%d {\n    Small\n    Large @description(Bigger than small)\n}\n\n", i)
		fmt.Fprintf(&b, "class Item%d {\n    name string @description(\"the name\")\n    count int\n    kind Kind%d\n    tags string[]\n    owner Owner%d?\n}\n\n", i, i, i)
		fmt.Fprintf(&b, "class Owner%d {\n    email string @alias(mail)\n    score float | null\n}\n\n", i)
		fmt.Fprintf(&b, "function Extract%d(text: string) -> Item%d[] {\n    client \"openai/gpt-4o-mini\"\n    prompt #\"\n        Extract the items.\n        {{ ctx.output_format }}\n        {{ _.role(\"user\") }} {{ text }}\n    \"#\n}\n\n", i, i)
		fmt.Fprintf(&b, "function Total%d(items: Item%d[]) -> int {\n    let total = 0;\n    for (let it in items) {\n        if (it.kind == Kind%d.Large) {\n            total += it.count * 2;\n        } else {\n            total += it.count;\n        }\n    }\n    total\n}\n\n", i, i, i)
		fmt.Fprintf(&b, "function Names%d(items: Item%d[]) -> string {\n    let names = [];\n    for (let it in items) {\n        names.push(it.name.toLowerCase());\n    }\n    names.join(\", \")\n}\n\n", i, i)
		fmt.Fprintf(&b, "function Report%d(text: string) -> string {\n    let items = Extract%d(text);\n    let owner = items[0].owner;\n    if (owner != null) {\n        return owner.email;\n    }\n    Names%d(items) + \": \" + Total%d(items).to_string()\n}\n", i, i, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%02d.baml", i)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestCheckProject checks that the generated project compiles, so that the
// benchmark measures a real compilation.
func TestCheckProject(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, 60)
	var stderr strings.Builder
	if code := Run(context.Background(), []string{"check", dir}, nil, io.Discard, &stderr); code != ExitOK {
		t.Fatalf("check of the 60-file project: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "ok: 60 files, 240 functions") {
		t.Errorf("check: %s", stderr.String())
	}
}

// BenchmarkCheckProject measures bex check (parse, resolve, type check and
// compile) of a 60-file project.
func BenchmarkCheckProject(b *testing.B) {
	dir := b.TempDir()
	writeProject(b, dir, 60)
	for b.Loop() {
		if code := Run(context.Background(), []string{"check", "-q", dir}, nil, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
