// match.go finds the name a model meant in free text (enum variants,
// literals, true/false, field names) and the number it meant in text
// ("$1,234.50", "1/4", "about 12 kg"), with BAML's rules.

package llm

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A candidate is something a text may name: its result and the texts that
// name it.
type candidate struct {
	result string
	names  []string
}

// matchOutcome says how a text matched.
type matchOutcome uint8

const (
	matchNone      matchOutcome = iota
	matchExact                  // the text is one of the names (after trimming, stripping punctuation, folding case)
	matchSubstring              // the names of one candidate occur in the text more often than any other's
	matchAmbiguous              // two candidates occur equally often
)

// matchString finds the candidate text s names, in BAML's order: the
// trimmed text exactly (then without accents), then the names occurring in
// it (when substrings are allowed: the candidate whose names occur most
// often, counting non-overlapping occurrences, longest first); then the
// same with punctuation stripped from both sides (all but letters, digits,
// '-' and '_'); then the same ignoring case. ambiguous lists the tied
// candidates.
func matchString(s string, cands []candidate, substrings bool) (result string, how matchOutcome, tied []string) {
	ctx := strings.TrimSpace(s)
	if r, how, tied := matchStrategy(ctx, cands, substrings); how != matchNone {
		return r, how, tied
	}
	stripped := stripPunctuation(ctx)
	sc := make([]candidate, len(cands))
	for i, c := range cands {
		sc[i] = candidate{result: c.result, names: mapStrings(c.names, stripPunctuation)}
	}
	if r, how, tied := matchStrategy(stripped, sc, substrings); how != matchNone {
		return r, how, tied
	}
	lower := strings.ToLower(stripped)
	for i := range sc {
		sc[i].names = mapStrings(sc[i].names, strings.ToLower)
	}
	return matchStrategy(lower, sc, substrings)
}

func mapStrings(ss []string, f func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// stripPunctuation keeps letters, digits, '-' and '_'.
func stripPunctuation(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}

// removeAccents folds accented letters to their base letters (é to e,
// ß to ss), so that "etude" matches "étude".
func removeAccents(s string) string {
	if isASCII(s) {
		return s
	}
	s = strings.NewReplacer("ß", "ss", "æ", "ae", "Æ", "AE", "ø", "o", "Ø", "O", "œ", "oe", "Œ", "OE").Replace(s)
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFKD.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

type occurrence struct {
	start, end int
	result     string
}

func matchStrategy(s string, cands []candidate, substrings bool) (string, matchOutcome, []string) {
	for _, c := range cands {
		if slices.Contains(c.names, s) {
			return c.result, matchExact, nil
		}
	}
	plain := removeAccents(s)
	for _, c := range cands {
		for _, n := range c.names {
			if removeAccents(n) == plain {
				return c.result, matchExact, nil
			}
		}
	}
	if !substrings {
		return "", matchNone, nil
	}
	occ := occurrences(s, cands, func(n string) string { return n })
	if len(occ) == 0 && plain != s {
		occ = occurrences(plain, cands, removeAccents)
	}
	if len(occ) == 0 {
		return "", matchNone, nil
	}
	slices.SortStableFunc(occ, func(a, b occurrence) int {
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(b.end, a.end) // longer first
	})
	counts := map[string]int{}
	var order []string
	lastEnd := 0
	for _, o := range occ {
		if o.start < lastEnd {
			continue // overlaps an earlier, longer match
		}
		lastEnd = o.end
		if counts[o.result] == 0 {
			order = append(order, o.result)
		}
		counts[o.result]++
	}
	best, max := "", 0
	var tied []string
	for _, r := range order {
		switch n := counts[r]; {
		case n > max:
			best, max, tied = r, n, []string{r}
		case n == max:
			tied = append(tied, r)
		}
	}
	if len(tied) > 1 {
		return best, matchAmbiguous, tied
	}
	return best, matchSubstring, nil
}

// occurrences lists where the names (mapped by f) occur in s.
func occurrences(s string, cands []candidate, f func(string) string) []occurrence {
	var out []occurrence
	for _, c := range cands {
		for _, n := range c.names {
			n = f(n)
			if n == "" {
				continue
			}
			for i := 0; ; {
				j := strings.Index(s[i:], n)
				if j < 0 {
					break
				}
				out = append(out, occurrence{start: i + j, end: i + j + len(n), result: c.result})
				i += j + len(n)
			}
		}
	}
	return out
}

// keyMatches reports whether an object key names a field: the same text
// after trimming, without accents, without punctuation or ignoring case.
func keyMatches(key, name string) bool {
	if key == name {
		return true
	}
	_, how, _ := matchString(key, []candidate{{result: name, names: []string{name}}}, false)
	return how == matchExact
}

// numberInText is the pattern of a number written in prose: an optional
// sign and dollar sign, digits with thousands commas and a fraction, and an
// exponent. BAML's float_from_comma_separated uses the same pattern.
var numberInText = regexp.MustCompile(`([-+]?)\$?(?:\d+(?:,\d+)*(?:\.\d+)?|\d+\.\d+|\d+|\.\d+)(?:e[-+]?\d+)?`)

// numberFromText finds the one number in s ("$1,234.50", "50%", "about 12
// kg"); ok is false when there is none or more than one.
func numberFromText(s string) (float64, bool) {
	if strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
		return 0, false // no digit: spare the regular expression a long text
	}
	m := numberInText.FindAllString(s, 2)
	if len(m) != 1 {
		return 0, false
	}
	t := strings.ReplaceAll(m[0], ",", "")
	t = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Sc, r) {
			return -1
		}
		return r
	}, t)
	return parseFloatLiteral(t)
}

// numberFromFraction reads "a/b" with b not zero.
func numberFromFraction(s string) (float64, bool) {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return 0, false
	}
	n, ok1 := parseFloatLiteral(strings.TrimSpace(num))
	d, ok2 := parseFloatLiteral(strings.TrimSpace(den))
	if !ok1 || !ok2 || d == 0 {
		return 0, false
	}
	return n / d, true
}

// parseFloatLiteral reads a finite float written as isFloatLiteral allows.
func parseFloatLiteral(s string) (float64, bool) {
	if !isFloatLiteral(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}
