// The driver's quick reading of a common response's head agrees with
// net/http's on every input it takes, and leaves every other input to
// net/http.
//
//	go test -run 'QuickHead' -v ./load
//	go test -run '^$' -fuzz FuzzQuickHead ./load   # search for a disagreement
package load

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heads are responses that quickHead takes and that it leaves to
// net/http, beside what it reads of each.
var heads = []struct {
	name   string
	give   string
	want   head
	wantOK bool
}{
	{name: "go_hello", give: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Mon, 30 Nov 2026 17:00:00 GMT\r\n\r\nhello world",
		want: head{code: 200, length: 11, size: 117}, wantOK: true},
	{name: "close", give: "HTTP/1.1 503 Service Unavailable\r\nconnection: Keep-Alive, CLOSE\r\ncontent-length: 0\r\n\r\n",
		want: head{code: 503, length: 0, close: true, size: 86}, wantOK: true},
	{name: "no_reason", give: "HTTP/1.1 404\r\nContent-Length: 3\r\n\r\nnot", want: head{code: 404, length: 3, size: 35}, wantOK: true},
	{name: "leading_zeros", give: "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", want: head{code: 200, length: 7, size: 40}, wantOK: true},
	{name: "head_not_whole", give: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n"},
	{name: "http_1_0", give: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
	{name: "redirect", give: "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n"},
	{name: "no_content", give: "HTTP/1.1 204 No Content\r\n\r\n"},
	{name: "continue", give: "HTTP/1.1 100 Continue\r\n\r\n"},
	{name: "chunked", give: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{name: "no_length", give: "HTTP/1.1 200 OK\r\n\r\nuntil the end"},
	{name: "two_lengths", give: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"},
	{name: "signed_length", give: "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx"},
	{name: "folded_line", give: "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n"},
	{name: "space_before_colon", give: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"},
	{name: "control_in_value", give: "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n"},
	{name: "status_000", give: "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n"},
	{name: "status_too_long", give: "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"},
}

// TestQuickHead: what quickHead reads of each head, and which it leaves.
func TestQuickHead(t *testing.T) {
	for _, tt := range heads {
		got, ok := quickHead([]byte(tt.give))

		assert.Equal(t, tt.wantOK, ok, "quickHead(%s): taken", tt.name)
		if tt.wantOK {
			assert.Equal(t, tt.want, got, "quickHead(%s)", tt.name)
		}
	}
}

// FuzzQuickHead: on any input that quickHead takes, net/http reads the
// same status, body length and closing, and the body starts where
// quickHead says the head ends.
func FuzzQuickHead(f *testing.F) {
	for _, tt := range heads {
		f.Add([]byte(tt.give))
	}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	require.NoError(f, err, "NewRequest")
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := quickHead(data)
		if !ok {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
		require.NoError(t, err, "ReadResponse(%q), which quickHead takes as %+v", data, got)
		body, err := io.ReadAll(resp.Body)
		assert.Equal(t, resp.StatusCode, got.code, "status of %q", data)
		assert.Equal(t, resp.ContentLength, got.length, "Content-Length of %q", data)
		assert.Equal(t, resp.Close, got.close, "closing of %q", data)
		rest := data[got.size:]
		if int64(len(rest)) >= got.length {
			require.NoError(t, err, "the body of %q", data)
			assert.Equal(t, rest[:got.length], body, "the body of %q: where the head ends", data)
		} else {
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body of %q, cut short", data)
		}
	})
}

// TestHeadScanCharge: a head's lines cost the same however its bytes are
// split between reads, and nothing after its blank line is charged: 128
// for each line, and twice more for each byte of a line past its first
// 4 KB.
func TestHeadScanCharge(t *testing.T) {
	long := "X-Big: " + string(bytes.Repeat([]byte("a"), 5000)) + "\r\n" // 5008 bytes before its \n
	tests := []struct {
		name string
		give string
		want int64
	}{
		{name: "crlf", give: "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\nbody\nmore\n", want: 3 * 128},
		{name: "lf", give: "HTTP/1.1 200 OK\nA: 1\n\nbody\n", want: 2 * 128},
		{name: "long_line", give: "HTTP/1.1 200 OK\r\n" + long + "\r\n\n\n", want: 2*128 + 2*(int64(len(long))-1-4096)},
		{name: "no_end_yet", give: "HTTP/1.1 200 OK\r\nA: 1\r\nB", want: 2 * 128},
	}
	for _, tt := range tests {
		for split := range len(tt.give) + 1 {
			var s headScan
			got := s.charge([]byte(tt.give[:split]))
			got += s.charge([]byte(tt.give[split:]))
			assert.Equal(t, tt.want, got, "charge(%s split at %d)", tt.name, split)
		}
	}
}
