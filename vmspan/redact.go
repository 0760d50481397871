// redact.go decides which keys hold secrets.

package vmspan

import "strings"

// Redacted replaces the value of a secret argument, tag, header or field.
const Redacted = "[REDACTED]"

var secretWords = []string{"token", "password", "passwd", "secret", "authorization", "apikey", "credential", "credentials", "cookie", "privatekey"}

// IsSecretKey reports whether a key names a secret: an argument, tag, map key,
// field or header such as api_key, apiKey, x-api-key, access_token, password,
// client_secret or Authorization. Keys are split into words at '_', '-', '.',
// spaces and lower-to-upper case changes, so max_tokens is not a secret. It
// does not allocate: the engine asks it for every traced argument.
func IsSecretKey(k string) bool {
	prev := ""
	for start, i := 0, 0; i <= len(k); i++ {
		if i < len(k) && !isWordBreak(k, i) {
			continue
		}
		if w := k[start:i]; w != "" {
			if isSecretWord(w) || (isOneOf(prev, "api", "private", "access") && isOneOf(w, "key", "keys")) {
				return true
			}
			prev = w
		}
		start = i
		if i < len(k) && isSeparator(k[i]) {
			start = i + 1
		}
	}
	return false
}

func isSeparator(c byte) bool { return c == '_' || c == '-' || c == '.' || c == ' ' }

// isWordBreak reports whether a word ends before k[i]: at a separator or a
// lower-to-upper case change.
func isWordBreak(k string, i int) bool {
	return isSeparator(k[i]) || (i > 0 && 'A' <= k[i] && k[i] <= 'Z' && 'a' <= k[i-1] && k[i-1] <= 'z')
}

func isSecretWord(w string) bool { return isOneOf(w, secretWords...) }

func isOneOf(w string, words ...string) bool {
	for _, s := range words {
		if strings.EqualFold(w, s) {
			return true
		}
	}
	return false
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
