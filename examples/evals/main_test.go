package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestEvals(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  check summary.short failed: {{ this|length <= 40 }}\n",
		"  result map[category:Hardware priority:3 summary:The printer on the third floor jams on every job]\n",
		"  assert in_range failed at priority with value 11\n",
		"  PASSED Classify::LoginBroken\n",
		"         @@check urgent passed: {{ this.priority <= 2 }}\n",
		"         @@assert access passed: {{ this.category == \"Access\" and _.checks.urgent }}\n",
		"  PASSED Classify::Cafeteria\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
