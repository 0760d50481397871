package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
)

// TestAgainstBAML checks bex against the reference BAML compiler on the
// corpus in testdata/baml: programs in accept/ must compile with both,
// programs in reject/ must be refused by both, and programs in bexonly/ use
// syntax of BAML's newer expression engine (or bex's own) that BAML 0.226
// refuses and bex accepts by design. BEX_BAML_DIR names an install of the
// npm package @boundaryml/baml (scripts/test.sh sets it through
// scripts/baml.sh); without it, or without node, the comparison with BAML
// is skipped and only bex's side of each expectation is checked.
func TestAgainstBAML(t *testing.T) {
	cli := bamlCLI(t)
	var mu sync.Mutex
	agree, total := 0, 0
	t.Run("corpus", func(t *testing.T) {
		for _, dir := range []string{"accept", "reject", "bexonly"} {
			files, err := filepath.Glob(filepath.Join("testdata", "baml", dir, "*.baml"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no %s corpus: %v", dir, err)
			}
			for _, file := range files {
				t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
					t.Parallel()
					same, compared := compareWithBAML(t, cli, dir, file)
					mu.Lock()
					defer mu.Unlock()
					if compared {
						total++
					}
					if same {
						agree++
					}
				})
			}
		}
	})
	if cli != "" {
		t.Logf("bex agrees with BAML on %d of %d programs (the others are in bexonly/: syntax of BAML's newer engine)", agree, total)
	}
}

// compareWithBAML checks one program of the corpus directory dir against
// its expectation, and reports whether BAML was asked and agreed with bex.
func compareWithBAML(t *testing.T, cli, dir, file string) (same, compared bool) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bexOK, bexErr := bexAccepts(string(src))
	if wantBex := dir != "reject"; bexOK != wantBex {
		t.Errorf("bex accepts = %v, want %v (%v)", bexOK, wantBex, bexErr)
	}
	if cli == "" {
		return false, false
	}
	bamlOK, out := bamlAccepts(t, cli, src)
	if wantBAML := dir == "accept"; bamlOK != wantBAML {
		t.Errorf("BAML accepts = %v, want %v (the corpus is wrong):\n%s", bamlOK, wantBAML, out)
	}
	return bexOK == bamlOK, true
}

// bexAccepts compiles src as one file with no host functions.
func bexAccepts(src string) (bool, error) {
	p, err := engine.Parse(map[string]string{"main.baml": src})
	if err == nil {
		_, err = engine.New(p)
	}
	return err == nil, err
}

// bamlCLI returns the path of baml-cli, or "" (logging why) when the
// comparison cannot run.
func bamlCLI(t *testing.T) string {
	dir := os.Getenv("BEX_BAML_DIR")
	if dir == "" {
		t.Log("BEX_BAML_DIR is not set (scripts/baml.sh installs BAML): checking bex's side only")
		return ""
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Log("node is not on PATH: checking bex's side only")
		return ""
	}
	cli := filepath.Join(dir, "node_modules", ".bin", "baml-cli")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("BEX_BAML_DIR=%s has no baml-cli: %v", dir, err)
	}
	return cli
}

// bamlAccepts runs baml-cli check on src, as the one file of a baml_src
// directory, with the beta features that expression functions need.
func bamlAccepts(t *testing.T, cli string, src []byte) (bool, string) {
	dir := filepath.Join(t.TempDir(), "baml_src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.baml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cli, "check", "--from", dir, "--features", "beta").CombinedOutput()
	if err != nil {
		if _, exit := err.(*exec.ExitError); !exit {
			t.Fatalf("baml-cli: %v", err)
		}
	}
	return err == nil, strings.TrimSpace(string(out))
}
