// redact.go decides which keys hold secrets.

package vmspan

import (
	"strings"
	"unicode"
)

// Redacted replaces the value of a secret argument, tag, header or field.
const Redacted = "[REDACTED]"

var secretWords = map[string]bool{
	"token": true, "password": true, "passwd": true, "secret": true,
	"authorization": true, "apikey": true, "credential": true, "credentials": true,
	"cookie": true, "privatekey": true,
}

// IsSecretKey reports whether a key names a secret: an argument, tag, map key,
// field or header such as api_key, apiKey, x-api-key, access_token, password,
// client_secret or Authorization. Keys are split into words at '_', '-', '.',
// spaces and lower-to-upper case changes, so max_tokens is not a secret.
func IsSecretKey(k string) bool {
	words := splitWords(k)
	for i, w := range words {
		if secretWords[w] {
			return true
		}
		if i+1 < len(words) && (w == "api" || w == "private" || w == "access") && (words[i+1] == "key" || words[i+1] == "keys") {
			return true
		}
	}
	return false
}

func splitWords(k string) []string {
	var words []string
	var b strings.Builder
	var prev rune
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range k {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prev = r
	}
	flush()
	return words
}

// RedactArgs returns args with the values of secret-named arguments replaced
// by Redacted. It returns args itself when nothing needs redacting.
func RedactArgs(args []Arg) []Arg {
	for i, a := range args {
		if IsSecretKey(a.Name) && a.Value != Redacted {
			out := make([]Arg, len(args))
			copy(out, args)
			for j := i; j < len(out); j++ {
				if IsSecretKey(out[j].Name) {
					out[j].Value = Redacted
				}
			}
			return out
		}
	}
	return args
}
