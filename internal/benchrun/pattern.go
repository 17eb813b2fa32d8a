package benchrun

import (
	"fmt"
	"regexp"
	"strings"
)

// A Pattern is a go test -bench regular expression, understood as the
// testing package understands it: alternatives separated by a top-level
// |, each a list of levels separated by a top-level /, each level matched,
// unanchored, against the element of a benchmark's name at that depth.
type Pattern struct {
	alts [][]*regexp.Regexp
	src  [][]string
}

// ParsePattern parses s as go test -bench does. The empty pattern matches
// every benchmark.
func ParsePattern(s string) (*Pattern, error) {
	p := &Pattern{}
	if s == "" {
		return p, nil
	}
	for _, alt := range splitAlternatives(s) {
		var res []*regexp.Regexp
		for _, level := range alt {
			re, err := regexp.Compile(level)
			if err != nil {
				return nil, fmt.Errorf("-bench %q: %w", s, err)
			}
			res = append(res, re)
		}
		p.alts = append(p.alts, res)
		p.src = append(p.src, alt)
	}
	return p, nil
}

// Matches reports whether go test would run the benchmark of this full
// name ("BenchmarkSleep/tasks=3/variant=pool"): some alternative matches
// each of the name's elements it has a level for, and has no more levels
// than the name has elements.
func (p *Pattern) Matches(name string) bool {
	if len(p.alts) == 0 {
		return true
	}
	elems := strings.Split(name, "/")
	for _, alt := range p.alts {
		if len(alt) > len(elems) {
			continue
		}
		ok := true
		for i, re := range alt {
			if !re.MatchString(elems[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Restrict returns the -bench pattern that runs what both p and the
// benchmark functions tops ("BenchmarkSleep") select, and whether that is
// all of tops, whole: every alternative of p that selects one of tops has
// no levels below the top one. It returns "" when p selects none of tops.
func (p *Pattern) Restrict(tops []string) (pattern string, whole bool) {
	exact := func(names []string) string {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		return "^(" + strings.Join(quoted, "|") + ")$"
	}
	if len(p.alts) == 0 {
		return exact(tops), true
	}
	var alts []string
	selected := map[string]bool{}
	whole = true
	for i, alt := range p.alts {
		var matched []string
		for _, top := range tops {
			if alt[0].MatchString(top) {
				matched = append(matched, top)
				selected[top] = true
			}
		}
		if len(matched) == 0 {
			continue
		}
		if len(alt) > 1 {
			whole = false
		}
		alts = append(alts, strings.Join(append([]string{exact(matched)}, p.src[i][1:]...), "/"))
	}
	if len(alts) == 0 {
		return "", false
	}
	return strings.Join(alts, "|"), whole && len(selected) == len(tops)
}

// splitAlternatives splits s at the | and / that are outside brackets and
// parentheses, as the testing package's splitRegexp does.
func splitAlternatives(s string) [][]string {
	var alts [][]string
	var levels []string
	brackets, parens := 0, 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '[':
			brackets++
		case ']':
			if brackets--; brackets < 0 { // an unmatched ']' is legal
				brackets = 0
			}
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/', '|':
			if brackets == 0 && parens == 0 {
				levels = append(levels, s[:i])
				if s[i] == '|' {
					alts = append(alts, levels)
					levels = nil
				}
				s = s[i+1:]
				i = 0
				continue
			}
		}
		i++
	}
	return append(alts, append(levels, s))
}
