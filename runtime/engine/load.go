// load.go loads bex programs from directories, files and in-memory sources.

package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
)

// Sources is a set of parsed bex source files, ready to be compiled by New.
// It is immutable and may be shared by several engines.
type Sources struct {
	files []*syntax.File
}

// Files returns the parsed files, in load order.
func (p *Sources) Files() []*syntax.File { return p.files }

// LoadDir parses every .baml file below dir (recursively, in lexical order
// of their paths). Syntax errors of all files are reported together.
func LoadDir(dir string) (*Sources, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("engine: %s is not a directory", dir)
	}
	var paths []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".baml") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no .baml files", dir)
	}
	return LoadFiles(paths...)
}

// LoadFiles parses the named files.
func LoadFiles(paths ...string) (*Sources, error) {
	srcs := make([]Source, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		srcs[i] = Source{Name: p, Text: string(b)}
	}
	return ParseSources(srcs...)
}

// A Source is one in-memory source file.
type Source struct {
	Name string // used in error positions
	Text string
}

// Parse parses in-memory sources given as a map from file name to text,
// in lexical order of the names.
func Parse(sources map[string]string) (*Sources, error) {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	srcs := make([]Source, len(names))
	for i, n := range names {
		srcs[i] = Source{n, sources[n]}
	}
	return ParseSources(srcs...)
}

// ParseSources parses in-memory sources in the order given. All syntax
// errors are returned together as a syntax.ErrorList.
func ParseSources(srcs ...Source) (*Sources, error) {
	p := &Sources{}
	var all syntax.ErrorList
	for _, s := range srcs {
		f, err := syntax.Parse(s.Name, []byte(s.Text))
		if err != nil {
			var list syntax.ErrorList
			if !errors.As(err, &list) {
				return nil, err
			}
			all = append(all, list...)
			continue
		}
		p.files = append(p.files, f)
	}
	if len(all) > 0 {
		return nil, all
	}
	return p, nil
}

// MustParse is Parse for programs known to be valid, such as examples and
// tests; it panics on error.
func MustParse(sources map[string]string) *Sources {
	p, err := Parse(sources)
	if err != nil {
		panic(err)
	}
	return p
}
