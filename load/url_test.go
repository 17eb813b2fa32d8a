// A target's URL, parsed, and shown in messages without its secrets.
//
//	go test -run 'URL|Redact' -v ./load
package load_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/joinall/joinall/load"
)

// TestParseURL: what ParseURL accepts, and what it says of what it
// refuses, which never holds a part of a password or of a user name.
func TestParseURL(t *testing.T) {
	tests := []struct {
		give     string
		wantUser string // the parsed URL's user information; "" for none
		wantErr  string // "" when it parses
	}{
		{give: "http://127.0.0.1:8080/x?q=1"},
		{give: "https://user:s3cret@[::1]:8443/", wantUser: "user:s3cret"},
		{give: "http://user:p@ss@127.0.0.1/", wantUser: "user:p%40ss"},
		{give: "http://user:s3%2Fcret@127.0.0.1/", wantUser: "user:s3%2Fcret"},
		{give: "http://t0ken@127.0.0.1/", wantUser: "t0ken"},
		{give: "http://user:s3/cret@127.0.0.1/", wantErr: `URL "http://xxxxx@127.0.0.1/": an '@' after the host's end: %-escape a user name's or password's '/', '?' or '#' (%2F, %3F, %23), or a path's '@' (%40)`},
		{give: "http://user:s3#cret@127.0.0.1/", wantErr: `URL "http://xxxxx@127.0.0.1/": an '@' after the host's end`},
		{give: "http://user:s3?cret@127.0.0.1/", wantErr: `URL "http://xxxxx@127.0.0.1/": an '@' after the host's end`},
		{give: "http://t0/ken@127.0.0.1/", wantErr: `URL "http://xxxxx@127.0.0.1/": an '@' after the host's end`},
		{give: "http://127.0.0.1/@me", wantErr: `URL "http://xxxxx@me": an '@' after the host's end`},
		{give: "http://user:s3%zzcret@127.0.0.1/", wantErr: `URL "http://xxxxx@127.0.0.1/": its user information does not parse (it is not shown)`},
		{give: "http://user:s3cret@[::1/", wantErr: `URL "http://xxxxx@[::1/": missing ']' in host`},
		{give: "ftp://user:s3cret@127.0.0.1/", wantErr: `URL "ftp://xxxxx@127.0.0.1/": scheme must be http or https`},
		{give: "user:s3cret@127.0.0.1/", wantErr: `URL "xxxxx@127.0.0.1/": scheme must be http or https`},
		{give: "http://user:s3cret@127.0.0.1:99999/", wantErr: `URL "http://xxxxx@127.0.0.1:99999/": port "99999": must be 1 to 65535`},
		{give: "http://user:s3cret@/", wantErr: `URL "http://xxxxx@/": no host`},
	}
	for _, tt := range tests {
		got, err := load.ParseURL(tt.give)

		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "ParseURL(%q)", tt.give)
			assert.NotRegexp(t, `s3|cret|t0|ken`, err.Error(), "ParseURL(%q): a secret in the error", tt.give)
			continue
		}
		if assert.NoError(t, err, "ParseURL(%q)", tt.give) {
			assert.Equal(t, tt.wantUser, got.User.String(), "ParseURL(%q): user information", tt.give)
			assert.NotContains(t, load.Redact(got.String()), "s3", "Redact(ParseURL(%q))", tt.give)
		}
	}
}
