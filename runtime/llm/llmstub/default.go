// default.go holds the offline demo script.

package llmstub

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Default returns the demo script, which answers the SPEC §2 example
// sensibly without a real model:
//
//   - a prompt containing "title and priority" (ClassifyTicket) gets a Ticket
//     as JSON in a ```json fence: the title is the ticket's first sentence
//     (at most eight words), the priority 1 when the ticket sounds urgent
//     (down, outage, urgent, crash, ...), 2 when it reports an error or a
//     bug, else 3;
//   - a prompt containing "headline" gets a one-line headline made from the
//     text after "headline for:";
//   - any other prompt containing "Answer in JSON using this schema:" gets
//     placeholder JSON built from the schema's top-level fields;
//   - anything else gets "stub reply: " and the start of the last message.
func Default() Script {
	return Script{
		Rules: []Rule{
			{Contains: "title and priority", Respond: ticketReply},
			{Contains: "headline", Respond: headlineReply},
			{Contains: "Answer in JSON using this schema:", Respond: schemaReply},
		},
	}
}

func ticketReply(req Request) Reply {
	body := req.Last("user")
	if body == "" {
		body = req.Prompt()
	}
	title, _ := json.Marshal(titleOf(body))
	return Reply{Text: fmt.Sprintf("Here is the ticket:\n```json\n{\n  \"title\": %s,\n  \"priority\": %d\n}\n```", title, priorityOf(body))}
}

func headlineReply(req Request) Reply {
	text := req.Prompt()
	if i := strings.Index(strings.ToLower(text), "headline for:"); i >= 0 {
		text = text[i+len("headline for:"):]
	}
	return Reply{Text: capitalize(titleOf(text))}
}

var (
	urgentWords = []string{"urgent", "down", "outage", "crash", "critical", "asap", "cannot", "can't", "production", "all users"}
	errorWords  = []string{"error", "fail", "broken", "bug", "slow", "wrong", "500"}
)

// priorityOf rates a ticket: 1 urgent, 2 an error, 3 anything else.
func priorityOf(body string) int {
	b := strings.ToLower(body)
	for _, w := range urgentWords {
		if strings.Contains(b, w) {
			return 1
		}
	}
	for _, w := range errorWords {
		if strings.Contains(b, w) {
			return 2
		}
	}
	return 3
}

// titleOf returns the first sentence of text, at most eight words.
func titleOf(text string) string {
	text = strings.TrimSpace(text)
	if i := strings.IndexAny(text, ".!?\n"); i >= 0 {
		text = text[:i]
	}
	words := strings.Fields(text)
	if len(words) > 8 {
		words = words[:8]
	}
	if len(words) == 0 {
		return "Untitled"
	}
	return strings.Join(words, " ")
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// schemaReply answers an output_format schema with placeholder values for
// its top-level fields: a string names its field, numbers are 1, bools
// true, lists empty, optionals null, enums their first listed value.
func schemaReply(req Request) Reply {
	prompt := req.Prompt()
	i := strings.Index(prompt, "Answer in JSON using this schema:")
	enums := enumFirstValues(prompt[:i])
	var fields []string
	for _, line := range strings.Split(prompt[i:], "\n") {
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		name, typ, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.HasPrefix(name, "//") {
			continue
		}
		v, _ := json.Marshal(placeholder(name, strings.TrimSuffix(strings.TrimSpace(typ), ","), enums))
		fields = append(fields, fmt.Sprintf("  %q: %s", name, v))
	}
	return Reply{Text: "```json\n{\n" + strings.Join(fields, ",\n") + "\n}\n```"}
}

func placeholder(name, typ string, enums map[string]string) any {
	switch {
	case strings.HasSuffix(typ, " or null"):
		return nil
	case strings.HasSuffix(typ, "[]") || typ == "[":
		return []any{}
	case typ == "{":
		return map[string]any{}
	case typ == "int" || typ == "float":
		return 1
	case typ == "bool":
		return true
	case enums[typ] != "":
		return enums[typ]
	}
	return "stub " + name
}

// enumFirstValues reads the hoisted enum definitions ("Name\n----\n- A")
// and returns each enum's first value.
func enumFirstValues(text string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	for i := 0; i+2 < len(lines); i++ {
		if lines[i+1] != "----" || !strings.HasPrefix(lines[i+2], "- ") {
			continue
		}
		name, _, _ := strings.Cut(lines[i], ":")
		v, _, _ := strings.Cut(strings.TrimPrefix(lines[i+2], "- "), ":")
		out[strings.TrimSpace(name)] = strings.TrimSpace(v)
	}
	return out
}

// firstLine returns the first line of s, cut at n bytes.
func firstLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
