package joinall

// docs/ is rendered from the benchmark runs committed under testdata/bench,
// without running any benchmark; go run ./cmd/benchdocs measures them again.
//go:generate go run ./cmd/benchdocs -render
