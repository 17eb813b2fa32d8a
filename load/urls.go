package load

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The protocols a Report names, as ALPN names them (RFC 7301).
const (
	HTTP1 = "http/1.1"
	H2    = "h2"  // HTTP/2 over TLS
	H2C   = "h2c" // HTTP/2 in cleartext, with prior knowledge
)

// A URLReport is one method and URL's share of a run: its transactions,
// failures and percentiles, counted as the Report counts its own.
type URLReport struct {
	// URL is the method and the URL, "POST http://127.0.0.1:8080/login",
	// never with userinfo.
	URL string
	// Transactions and Failed are H and F of the URL's transactions, a
	// redirect's hops counted under the URL that led to them. Over every
	// row of a report they add up to the report's.
	Transactions, Failed int
	// P50 and P99 are percentiles of the URL's response times, as the
	// Report's are of all.
	P50, P99 time.Duration

	longest time.Duration
	latency *hdrhistogram.PackedHistogram // nil in a row made by hand
}

// MaxURLs bounds the rows of a report, and of a merge: the methods and
// URLs that a run's targets name, each counted apart with a histogram of
// its own. Each row's histogram is of the driver's geometry, 344 KB at
// most, so that a merge holds at most about 350 MB of rows whatever it is
// given; a run's rows hold what their transactions recorded.
const MaxURLs = 1000

// newRows returns the recorders of a phase's per-URL rows: one for each
// label when there are several and the phase is measured; nil otherwise,
// when the report's own counts are the one row's.
func (d *driver) newRows(measured bool) []*recorder {
	if !measured || len(d.labels) < 2 {
		return nil
	}
	rows := make([]*recorder, len(d.labels))
	for i := range rows {
		rows[i] = newRecorder(ClosedLoop)
	}
	return rows
}

// describe gives m, the measured phase's report, a row for each URL.
func (d *driver) describe(m *Report) {
	if d.rows == nil {
		m.URLs = []URLReport{{
			URL: d.labels[0], Transactions: m.Transactions, Failed: m.Failed,
			P50: m.P50, P99: m.P99, longest: m.Longest, latency: m.latency,
		}}
		return
	}
	m.URLs = make([]URLReport, len(d.rows))
	for i, row := range d.rows {
		r := row.snapshot()
		m.URLs[i] = URLReport{URL: d.labels[i], Transactions: r.Transactions, Failed: r.Failed, longest: r.Longest, latency: r.latency}
		m.URLs[i].fill()
	}
}

// protocolOf names what targets speak, over HTTP/2 or not, for Settings.
func protocolOf(targets []*target, http2 bool) string {
	var protocols []string
	for _, t := range targets {
		p := HTTP1
		switch {
		case http2 && t.url.Scheme == "https":
			p = H2
		case http2:
			p = H2C
		}
		if !slices.Contains(protocols, p) {
			protocols = append(protocols, p)
		}
	}
	return strings.Join(protocols, ", ")
}

func (u *URLReport) fill() {
	if u.latency != nil {
		u.P50 = percentile(u.latency, 50, u.longest)
		u.P99 = percentile(u.latency, 99, u.longest)
	}
}

// checkURLs checks that r's rows could be a run's: MaxURLs at most, each
// method and URL once, counts that are not below 0 and add up to the
// report's, histograms that hold each row's times, no time longer than
// the report's longest.
func (r *Report) checkURLs() error {
	if len(r.URLs) == 0 || len(r.URLs) > MaxURLs {
		return fmt.Errorf("%d rows of urls: not from 1 to %d", len(r.URLs), MaxURLs)
	}
	seen := make(map[string]bool, len(r.URLs))
	var hits, failed int64
	for _, u := range r.URLs {
		switch {
		case u.URL == "" || Redact(u.URL) != u.URL:
			return fmt.Errorf("urls: %q: not a method and URL without user information", Redact(u.URL))
		case seen[u.URL]:
			return fmt.Errorf("urls: %s twice", u.URL)
		case u.Transactions < 0 || u.Failed < 0 || u.longest < 0:
			return fmt.Errorf("urls: %s: counts below 0", u.URL)
		case u.longest > r.Longest:
			return fmt.Errorf("urls: %s: longest_ns %d above the report's %d", u.URL, u.longest, r.Longest)
		case u.latency == nil:
			return fmt.Errorf("urls: %s has no histogram", u.URL)
		}
		seen[u.URL] = true
		if n := u.latency.TotalCount(); n < int64(u.Transactions) || n > int64(u.Transactions)+int64(u.Failed) {
			return fmt.Errorf("urls: %s: the histogram holds %d times for %d transactions and %d failures", u.URL, n, u.Transactions, u.Failed)
		}
		if u.latency.TotalCount() > 0 && u.latency.Max() < int64((u.longest+histUnit-1)/histUnit) {
			return fmt.Errorf("urls: %s: the histogram does not hold the longest time", u.URL)
		}
		hits += int64(u.Transactions)
		failed += int64(u.Failed)
	}
	if hits != int64(r.Transactions) || failed != int64(r.Failed) {
		return fmt.Errorf("the urls hold %d transactions and %d failures, the report %d and %d", hits, failed, r.Transactions, r.Failed)
	}
	return nil
}

// addURLs merges r's rows into m's by method and URL, in the order the
// reports first name them; index maps a row's URL to its place in m.URLs.
func (m *Report) addURLs(r *Report, index map[string]int) {
	for _, u := range r.URLs {
		j, ok := index[u.URL]
		if !ok {
			j = len(m.URLs)
			index[u.URL] = j
			m.URLs = append(m.URLs, URLReport{URL: u.URL, latency: newHistogram()})
		}
		row := &m.URLs[j]
		row.Transactions += u.Transactions
		row.Failed += u.Failed
		row.longest = max(row.longest, u.longest)
		row.latency.Merge(u.latency)
	}
}

// newURLs counts r's rows that index does not have yet.
func newURLs(r *Report, index map[string]int) int {
	n := 0
	for _, u := range r.URLs {
		if _, ok := index[u.URL]; !ok {
			n++
		}
	}
	return n
}

// protocolText says in words what Protocol and Streams say: "HTTP/1.1",
// "HTTP/2 in cleartext (h2c, prior knowledge), 10 users a connection".
func (s Settings) protocolText() string {
	words := map[string]string{
		HTTP1: "HTTP/1.1",
		H2:    "HTTP/2 over TLS (h2)",
		H2C:   "HTTP/2 in cleartext (h2c, prior knowledge)",
	}
	var parts []string
	for p := range strings.SplitSeq(s.Protocol, ", ") {
		parts = append(parts, cmp.Or(words[p], p))
	}
	out := strings.Join(parts, " and ")
	if s.Streams > 0 {
		out += fmt.Sprintf(", %d users a connection", s.Streams)
	}
	return out
}

// writeURLsText writes the per-URL rows after the report, when there are
// several: the counts and percentiles in columns, the URL last.
func (r *Report) writeURLsText(bw *bufio.Writer) {
	if len(r.URLs) < 2 {
		return
	}
	fmt.Fprintf(bw, "\nPer URL:%s%12s %12s %12s %12s  %s\n", tabsTo(8, 24), "trans", "failed", "p50 ms", "p99 ms", "method and URL")
	for _, u := range r.URLs {
		fmt.Fprintf(bw, "%s%12d %12d %12.3f %12.3f  %s\n", tabsTo(0, 24), u.Transactions, u.Failed, ms(u.P50), ms(u.P99), u.URL)
	}
}

// jsonURL is a per-URL row in the JSON layout, with what a merge needs:
// the longest time and the histogram, which a report of one row leaves to
// the report's own.
type jsonURL struct {
	URL          string  `json:"url"`
	Transactions int     `json:"transactions"`
	Failed       int     `json:"failed_transactions"`
	P50          float64 `json:"response_time_p50"`
	P99          float64 `json:"response_time_p99"`
	LongestNS    int64   `json:"longest_ns"`
	Histogram    string  `json:"histogram,omitempty"`
}

// urlsJSON returns the rows as the JSON array that WriteJSON writes, one
// row a line.
func (r *Report) urlsJSON() (string, error) {
	rows := make([]any, len(r.URLs))
	for i, u := range r.URLs {
		j := jsonURL{
			URL: u.URL, Transactions: u.Transactions, Failed: u.Failed,
			P50: seconds(u.P50), P99: seconds(u.P99), LongestNS: u.longest.Nanoseconds(),
		}
		if len(r.URLs) > 1 && u.latency != nil {
			enc, err := u.latency.Encode()
			if err != nil {
				return "", fmt.Errorf("load: encode the histogram of %s: %w", u.URL, err)
			}
			j.Histogram = string(enc)
		}
		rows[i] = j
	}
	return jsonLines(rows)
}

// jsonLines returns rows as a JSON array of one row a line, indented as
// WriteJSON indents a field's value.
func jsonLines(rows []any) (string, error) {
	var b strings.Builder
	b.WriteString("[")
	for i, row := range rows {
		line, err := json.Marshal(row)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n\t\t")
		b.Write(line)
	}
	b.WriteString("\n\t]")
	return b.String(), nil
}

// seconds is d in seconds, to the microsecond.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1e6) / 1e6 }

// readURLs makes the rows of r, a report read back, from their JSON: each
// row's percentiles from its histogram, a lone row's the report's own. It
// reads MaxURLs rows at most, and decodes only histograms of the driver's
// geometry; checkURLs checks them.
func readURLs(rows []jsonURL, r *Report) ([]URLReport, error) {
	if len(rows) > MaxURLs {
		return nil, fmt.Errorf("urls: %d rows, more than %d", len(rows), MaxURLs)
	}
	out := make([]URLReport, len(rows))
	for i, j := range rows {
		u := URLReport{URL: j.URL, Transactions: j.Transactions, Failed: j.Failed, longest: time.Duration(j.LongestNS)}
		switch {
		case j.Histogram != "":
			h, err := decodeHistogram(j.Histogram)
			if err != nil {
				return nil, fmt.Errorf("urls: %s: histogram: %w", Redact(j.URL), err)
			}
			u.latency = h
		case len(rows) == 1:
			u.latency = r.latency
		}
		u.fill()
		out[i] = u
	}
	return out, nil
}
