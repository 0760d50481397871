// redact.go decides which keys hold secrets.

package vmspan

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/bexrun/bex/internal/memo"
)

// Redacted replaces the value of a secret argument, tag, header or field.
const Redacted = "[REDACTED]"

var secretWords = []string{"token", "password", "passwd", "secret", "authorization", "apikey", "credential", "credentials", "cookie", "privatekey"}

// IsSecretKey reports whether a key names a secret: an argument, tag, map key,
// field or header such as api_key, apiKey, x-api-key, access_token, password,
// client_secret or Authorization. Keys are split into words at '_', '-', '.',
// spaces and lower-to-upper case changes, so max_tokens is not a secret. It
// does not allocate once it knows k: the engine asks it for every traced
// argument and snapshot field. It is safe for concurrent use.
func IsSecretKey(k string) bool { return secretKeys.Get(k) }

// secretKeys caches IsSecretKey's answers by key: they depend on the key
// alone, and the same names recur from call to call. Keys come from
// declarations (parameter and field names) and protocols (header names),
// so there are few; map keys of user data past the bound are decided at
// each use.
var secretKeys = memo.NewStrings(maxSecretKeys, isSecretKey)

// maxSecretKeys bounds secretKeys.
const maxSecretKeys = 4096

func isSecretKey(k string) bool {
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

// isOneOf reports whether w equals one of words (lowercase ASCII) under
// Unicode case folding.
func isOneOf(w string, words ...string) bool {
	for _, s := range words {
		// Cheap rejections before EqualFold: a character that folds to an
		// ASCII letter is never shorter than it (the Kelvin sign and the
		// long s are longer), and an ASCII first byte must be s's first
		// letter in either case.
		if len(w) < len(s) || w[0] < utf8.RuneSelf && w[0]|0x20 != s[0] {
			continue
		}
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

// signatureParams are query parameters that carry the signature or key of
// a signed or keyed URL (S3, GCS, CloudFront, Azure SAS, Google API keys).
var signatureParams = []string{"x-amz-signature", "x-goog-signature", "signature", "sig", "key"}

func isURLSecret(param string) bool {
	return IsSecretKey(param) || isOneOf(param, signatureParams...)
}

// RedactURL returns raw with its user info and the values of its secret
// query parameters replaced by Redacted: those IsSecretKey names
// (X-Amz-Credential, X-Amz-Security-Token, access_token, api_key, ...) and
// the signatures of signed URLs (X-Amz-Signature, X-Goog-Signature,
// Signature, sig, key). Other text is left as it is; a string that does not
// parse as a URL is returned unchanged.
func RedactURL(raw string) string {
	if !strings.ContainsAny(raw, "@=") { // no user info, no query parameter value
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.User == nil && !strings.Contains(u.RawQuery, "=")) {
		return raw
	}
	changed := false
	if u.User != nil {
		u.User, changed = url.User(Redacted), true
	}
	q := u.Query()
	for k := range q {
		if isURLSecret(k) {
			q.Set(k, Redacted)
			changed = true
		}
	}
	if !changed {
		return raw
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// URLSecrets returns the secret values RedactURL removes from raw (user
// info and secret query parameter values, as they appear in raw), so that
// they can be searched for in other text.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		out = append(out, u.User.String())
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && v != "" && isURLSecret(k) {
			out = append(out, v)
			if dec, err := url.QueryUnescape(v); err == nil && dec != v {
				out = append(out, dec)
			}
		}
	}
	return out
}
