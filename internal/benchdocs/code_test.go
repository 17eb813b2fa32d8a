// A page shows code from the module as it is: a Go function from the
// root's files, wherever it is declared, and a Python file or one of its
// defs from testdata/python.
//
//	go test -run 'Code|Python' ./internal/benchdocs
package benchdocs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeModule writes a module root with two Go files and a Python file.
func codeModule(tb testing.TB) *committed {
	tb.Helper()
	dir := tb.TempDir()
	for name, src := range map[string]string{
		"a_test.go":            "package a_test\n\nimport \"fmt\"\n\n// Say hello.\nfunc ExampleHello() {\n\tfmt.Println(\"hello\")\n\t// Output:\n\t// hello\n}\n\nfunc twice() {}\n",
		"b.go":                 "package a\n\nfunc helper() int { return 1 }\n\ntype T struct{}\n\nfunc (T) helper() {}\n",
		"c_test.go":            "package a\n\nfunc twice() {}\n",
		"testdata/python/p.py": "import gevent\n\n\n@spend_time\ndef in_order(urls):\n    for url in urls:\n        request(url)\n\n    print('done')\n\n\nclass C:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n",
	} {
		require.NoError(tb, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(tb, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	return &committed{root: dir}
}

func TestCode(t *testing.T) {
	c := codeModule(t)
	tests := []struct {
		give    string
		want    string
		wantErr string
	}{
		{give: "ExampleHello", want: "[a_test.go](../a_test.go):\n\n```go\n// Say hello.\nfunc ExampleHello() {\n\tfmt.Println(\"hello\")\n\t// Output:\n\t// hello\n}\n```"},
		{give: "helper", want: "[b.go](../b.go):\n\n```go\nfunc helper() int { return 1 }\n```"},
		{give: "missing", wantErr: `code "missing": 0 functions of that name in the module's root`},
		{give: "twice", wantErr: `code "twice": 2 functions of that name in the module's root`},
	}
	for _, tt := range tests {
		got, err := c.code(tt.give)
		if tt.wantErr != "" {
			assert.EqualError(t, err, tt.wantErr, "code(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "code(%q)", tt.give)
		assert.Equal(t, tt.want, got, "code(%q)", tt.give)
	}
}

func TestPython(t *testing.T) {
	c := codeModule(t)
	link := "[testdata/python/p.py](../testdata/python/p.py):\n\n```python\n"
	tests := []struct {
		give    []string
		want    string
		wantErr string
	}{
		{give: []string{"p.py", "in_order"}, want: link + "@spend_time\ndef in_order(urls):\n    for url in urls:\n        request(url)\n\n    print('done')\n```"},
		{give: []string{"p.py", "m"}, want: link + "    def m(self):\n        return 1\n```"},
		{give: []string{"p.py", "C"}, want: link + "class C:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n```"},
		{give: []string{"p.py"}, want: link + "import gevent\n\n\n@spend_time\ndef in_order(urls):\n    for url in urls:\n        request(url)\n\n    print('done')\n\n\nclass C:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n```"},
		{give: []string{"p.py", "in"}, wantErr: "testdata/python/p.py: no def or class in"},
		{give: []string{"nope.py"}, wantErr: "nope.py: no such file"},
	}
	for _, tt := range tests {
		got, err := c.python(tt.give[0], tt.give[1:]...)
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "python(%q)", tt.give)
			continue
		}
		require.NoError(t, err, "python(%q)", tt.give)
		assert.Equal(t, tt.want, got, "python(%q)", tt.give)
	}
}
