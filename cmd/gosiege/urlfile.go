package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// siege's URL file, as gosiege reads it (-f): one request a line,
//
//	URL
//	URL METHOD
//	URL METHOD body text to the end of the line
//	URL METHOD </path/of/a/body/file
//
// where METHOD is one of methods; a line whose first character (after
// blanks) is # is a comment; blank lines are skipped; NAME = VALUE sets a
// variable that later lines (and values) use as $(NAME) or ${NAME}, which
// the environment's variables stand in for when the file sets none. Lines
// are trimmed of blanks at both ends, as siege trims them. A body file's
// path is as given, from the working directory, as siege opens it.
//
// Where siege guesses, gosiege refuses, with the file and line: a word
// after the URL that is not a method (siege would send it as part of the
// URL), a variable that nothing sets (siege would drop it), a body file
// that cannot be read (siege would send no body). A # after a URL is the
// URL's own fragment, never a comment, as in siege.

// methods are the methods a request may have, on the command line (-m) and
// in a URL file: siege's (GET, POST, PUT, PATCH), and the others of HTTP
// that a load sends. Any other word is refused, so that a typo or siege's
// own -m (a log mark) is not sent as a method.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// maxURLs bounds the requests of a URL file: each is held in memory with
// its request, and each method and URL has a row (and a histogram) in the
// report.
const maxURLs = 10_000

// maxLine bounds a line of a URL file, an inline body with it.
const maxLine = 1 << 20

// A line is one request of siege's format: its URL as written, its method
// ("" when the line names none), and its body, inline or from a file.
type line struct {
	url, method string
	body        string
	bodyFile    string // the path after "<"; "" for none
	hasBody     bool   // whether a body was given, inline or from a file
}

var (
	variableLine = regexp.MustCompile(`^([A-Za-z0-9_]+)\s*=\s*(.*)$`)
	reference    = regexp.MustCompile(`\$\(([A-Za-z0-9_]+)\)|\$\{([A-Za-z0-9_]+)\}`)
)

// parseLine reads one request of siege's format, its variables already
// expanded.
func parseLine(s string) (line, error) {
	rawURL, rest := cutBlank(s)
	l := line{url: rawURL}
	if rest == "" {
		return l, nil
	}
	method, body := cutBlank(rest)
	if !slices.Contains(methods, method) {
		return line{}, fmt.Errorf("%q after the URL is not a method (%s)", method, strings.Join(methods, ", "))
	}
	l.method = method
	if body == "" {
		return l, nil
	}
	l.hasBody = true
	if path, ok := strings.CutPrefix(body, "<"); ok {
		l.bodyFile = strings.TrimSpace(path)
		if l.bodyFile == "" {
			return line{}, errors.New(`"<" without a file name`)
		}
		return l, nil
	}
	l.body = body
	return l, nil
}

// cutBlank cuts s at its first blank (a space or a tab), and trims the
// blanks after it.
func cutBlank(s string) (before, after string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// A numberedLine is a request of a URL file with its line number.
type numberedLine struct {
	line
	n int
}

// readURLFile reads siege's URL file from r, named name for messages; its
// variables are expanded with the file's own and, failing those, getenv's.
// Every error names the file and the line.
func readURLFile(r io.Reader, name string, getenv func(string) (string, bool)) ([]numberedLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	vars := map[string]string{}
	var out []numberedLine
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fail := func(err error) ([]numberedLine, error) { return nil, fmt.Errorf("%s:%d: %w", name, n, err) }
		s, err := expand(s, vars, getenv)
		if err != nil {
			return fail(err)
		}
		if m := variableLine.FindStringSubmatch(s); m != nil {
			vars[m[1]] = m[2]
			continue
		}
		l, err := parseLine(s)
		if err != nil {
			return fail(err)
		}
		if len(out) == maxURLs {
			return fail(fmt.Errorf("more than %d URLs: spread a larger list across processes (-merge their -j reports)", maxURLs))
		}
		out = append(out, numberedLine{line: l, n: n})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line longer than %d bytes", maxLine)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no URL in it", name)
	}
	return out, nil
}

// expand replaces each $(NAME) and ${NAME} in s by the variable's value:
// the file's, or else the environment's. A $ in any other form is left as
// it is.
func expand(s string, vars map[string]string, getenv func(string) (string, bool)) (string, error) {
	var err error
	out := reference.ReplaceAllStringFunc(s, func(ref string) string {
		m := reference.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := getenv(name); ok {
			return v
		}
		if err == nil {
			err = fmt.Errorf("%s is not set: set it in the file (%s = VALUE) before this line, or in the environment", ref, name)
		}
		return ref
	})
	return out, err
}

// readURLFileNamed reads the URL file at path.
func readURLFileNamed(path string) ([]numberedLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // read only: its close has nothing to report
	return readURLFile(f, path, os.LookupEnv)
}
