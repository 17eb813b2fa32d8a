// siege's URL file, line by line: what each form means, and what is
// refused with its line.
//
//	go test -run 'ReadURLFile' -v ./cmd/gosiege
package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadURLFile: each form of a line, as siege reads it, with the line
// numbers the messages will give.
func TestReadURLFile(t *testing.T) {
	env := map[string]string{"TOKEN": "t0k", "HOST": "from-env:1"}
	getenv := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tests := []struct {
		name string
		give string
		want []numberedLine
	}{
		{
			name: "url_alone_trimmed",
			give: "  http://127.0.0.1:8080/  \r\n",
			want: []numberedLine{{n: 1, line: line{url: "http://127.0.0.1:8080/"}}},
		},
		{
			name: "comments_and_blank_lines",
			give: "# a comment\n\n\t# indented\n127.0.0.1/a\n",
			want: []numberedLine{{n: 4, line: line{url: "127.0.0.1/a"}}},
		},
		{
			// A # after the URL is its fragment, never a comment.
			name: "fragment_is_not_a_comment",
			give: "http://127.0.0.1/a#top\n",
			want: []numberedLine{{n: 1, line: line{url: "http://127.0.0.1/a#top"}}},
		},
		{
			name: "method_without_body",
			give: "http://127.0.0.1/a DELETE\n",
			want: []numberedLine{{n: 1, line: line{url: "http://127.0.0.1/a", method: "DELETE"}}},
		},
		{
			// The body is the rest of the line, inner blanks kept.
			name: "inline_body",
			give: "http://127.0.0.1/a\tPOST  {\"a\": [1, 2]}  \n",
			want: []numberedLine{{n: 1, line: line{url: "http://127.0.0.1/a", method: "POST", body: `{"a": [1, 2]}`, hasBody: true}}},
		},
		{
			name: "body_file",
			give: "http://127.0.0.1/a PUT < /tmp/x.json\n",
			want: []numberedLine{{n: 1, line: line{url: "http://127.0.0.1/a", method: "PUT", bodyFile: "/tmp/x.json", hasBody: true}}},
		},
		{
			// A variable, set with or without blanks, and used in
			// later lines and values; the environment fills in what
			// the file does not set; a $ of another form stays.
			name: "variables",
			give: "HOST=127.0.0.1:8080\nBASE = http://$(HOST)\n${BASE}/a?token=$(TOKEN)&cost=$5\n",
			want: []numberedLine{{n: 3, line: line{url: "http://127.0.0.1:8080/a?token=t0k&cost=$5"}}},
		},
		{
			name: "file_variable_before_the_environment",
			give: "http://$(HOST)/\nHOST = 127.0.0.2:80\nhttp://$(HOST)/\n",
			want: []numberedLine{
				{n: 1, line: line{url: "http://from-env:1/"}},
				{n: 3, line: line{url: "http://127.0.0.2:80/"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := readURLFile(strings.NewReader(tt.give), "urls.txt", getenv)

			require.NoError(t, err, "readURLFile(%q)", tt.give)
			assert.Equal(t, tt.want, got, "readURLFile(%q)", tt.give)
		})
	}
}

// TestReadURLFileRefuses: what siege would guess at is refused, with the
// file and the line.
func TestReadURLFileRefuses(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "not_a_method", give: "\nhttp://127.0.0.1/ GOT x\n", wantErr: `urls.txt:2: "GOT" after the URL is not a method`},
		{name: "unset_variable", give: "http://${HOST}/\n", wantErr: "urls.txt:1: ${HOST} is not set"},
		{name: "no_file_name", give: "http://127.0.0.1/ POST <  \n", wantErr: `urls.txt:1: "<" without a file name`},
		{name: "empty", give: "", wantErr: "urls.txt: no URL in it"},
		{name: "line_too_long", give: "http://127.0.0.1/ POST " + strings.Repeat("x", maxLine) + "\n", wantErr: "urls.txt: a line longer than 1048576 bytes"},
		{name: "too_many_urls", give: strings.Repeat("http://127.0.0.1/\n", maxURLs+1), wantErr: "urls.txt:10001: more than 10000 URLs"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			_, err := readURLFile(strings.NewReader(tt.give), "urls.txt", none)

			assert.ErrorContains(t, err, tt.wantErr, "readURLFile(%s)", tt.name)
		})
	}
}
