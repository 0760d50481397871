// junit.go writes the results of bex test as JUnit XML.

package cli

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
)

// The JUnit XML shape most CI systems read (Jenkins, GitLab, GitHub
// actions that publish test reports): one suite per function, one case per
// test.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes results to path as JUnit XML.
func writeJUnit(path string, results []engine.TestResult, total time.Duration) error {
	doc := junitSuites{Name: "bex test", Time: seconds(total)}
	index := map[string]int{}
	for _, r := range results {
		fn := r.Case.Function.Name
		i, ok := index[fn]
		if !ok {
			i = len(doc.Suites)
			index[fn] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: fn})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.Case.Test.Name, Classname: fn, File: r.Case.Test.File, Line: int(r.Case.Test.Pos.Line), Time: seconds(r.Latency)}
		text := strings.Join(problems(r), "\n")
		switch r.Status {
		case engine.TestFailed:
			typ := "TestFailure"
			if r.Err != nil {
				typ = vmspan.ErrorInfoOf(r.Err).Type
			}
			c.Failure = &junitProblem{Message: firstLine(text), Type: typ, Text: text}
			s.Failures++
		case engine.TestError:
			c.Error = &junitProblem{Message: firstLine(text), Type: vmspan.ErrorInfoOf(r.Err).Type, Text: text}
			s.Errors++
		}
		if r.Err == nil {
			if out, err := json.Marshal(r.Result); err == nil {
				c.SystemOut = string(out)
			}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
		doc.Tests++
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		var d time.Duration
		for _, r := range results {
			if r.Case.Function.Name == s.Name {
				d += r.Latency
			}
		}
		s.Time = seconds(d)
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
