package load

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseURL parses a target's URL: http or https, with a host, and a port
// from 1 to 65535 if it has one. No error it returns holds any part of the
// URL's user information, whether or not the URL parses: its messages show
// the URL as Redact shows it, and an error of the standard library's
// parser is only ever given the URL without its user information.
//
// A user name or password with '/', '?' or '#' must be %-escaped, as RFC
// 3986 says: the host ends at the first of them, so that an '@' after one
// is not taken for the end of the user information. ParseURL refuses a URL
// with an '@' after the host's end, rather than send the rest of a
// password as a host name or a path.
func ParseURL(raw string) (*url.URL, error) {
	shown := Redact(raw)
	if shown != raw {
		if userinfo := raw[strings.Index(raw, "://")+len("://") : strings.LastIndexByte(raw, '@')]; strings.ContainsAny(userinfo, "/?#") {
			return nil, fmt.Errorf("URL %q: an '@' after the host's end: %%-escape a user name's or password's '/', '?' or '#' (%%2F, %%3F, %%23), or a path's '@' (%%40)", shown)
		}
	}
	if _, err := url.Parse(shown); err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is in our message already
		}
		return nil, fmt.Errorf("URL %q: %w", shown, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %q: its user information does not parse (it is not shown): %%-escape what is not a letter or a digit", shown)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", shown)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q: no host", shown)
	}
	// url.Parse takes any digits for a port, and none at all after a colon.
	if port := u.Port(); port != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("URL %q: port %q: must be 1 to 65535", shown, port)
		}
	}
	return u, nil
}

// Redact returns a URL, or any text that may be one, for a message: with
// everything from the scheme's "://" (or from the start, without one) to
// the last '@' shown as xxxxx, so that no user name or password is
// printed, whether or not the URL parses. A URL that ParseURL accepted
// has no '@' but the one after its user information.
func Redact(s string) string {
	prefix, rest := "", s
	if scheme, r, ok := strings.Cut(s, "://"); ok {
		prefix, rest = scheme+"://", r
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return prefix + "xxxxx" + rest[at:]
	}
	return s
}
