package load

import (
	"bytes"
)

// A head is what the driver needs of a response's head: its status, the
// length of its body, whether the server closes the connection after it,
// and how many bytes the head takes.
type head struct {
	code   int
	length int64
	close  bool
	size   int
}

// quickHead reads the head at the start of buf, when the response is the
// common case that needs none of net/http's care: HTTP/1.1, a status of
// 2xx, 4xx or 5xx that has a body (not 204), one Content-Length, no
// Transfer-Encoding, and every line well formed, the whole head already in
// buf. It reads what http.ReadResponse would read of such a response
// (FuzzQuickHead checks), without allocating: no header map, no strings.
// For anything else it returns false, and ReadResponse reads the same
// bytes, so that an unusual or broken response is judged by net/http.
func quickHead(buf []byte) (head, bool) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return head{}, false
	}
	h := head{size: end + 4, length: -1}
	rest := buf[:end+2] // every line ends in \r\n
	line, rest, _ := bytes.Cut(rest, []byte("\r\n"))
	// "HTTP/1.1 200" and, after a space, a reason phrase or nothing.
	if len(line) < 12 || string(line[:9]) != "HTTP/1.1 " || len(line) > 12 && line[12] != ' ' {
		return head{}, false
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return head{}, false
		}
		h.code = h.code*10 + int(c-'0')
	}
	if h.code < 200 || h.code >= 300 && h.code < 400 || h.code > 599 || h.code == 204 {
		return head{}, false
	}
	for _, c := range line[12:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return head{}, false
		}
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return head{}, false
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		for _, c := range name {
			if !isTokenByte(c) {
				return head{}, false
			}
		}
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return head{}, false
			}
		}
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if h.length >= 0 || len(value) == 0 || len(value) > 18 {
				return head{}, false
			}
			h.length = 0
			for _, c := range value {
				if c < '0' || c > '9' {
					return head{}, false
				}
				h.length = h.length*10 + int64(c-'0')
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return head{}, false
		case bytes.EqualFold(name, []byte("Connection")):
			for token := range bytes.SplitSeq(value, []byte(",")) {
				if bytes.EqualFold(bytes.Trim(token, " \t"), []byte("close")) {
					h.close = true
				}
			}
		}
	}
	return h, h.length >= 0
}

// isTokenByte reports whether c may be in a header's name (RFC 9110's
// tchar), as net/textproto checks it.
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}
