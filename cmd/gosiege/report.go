package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/joinall/joinall/load"
)

// beyond is one figure that siege does not give: its label and value in
// the text layout, and its key and value in the JSON layout.
type beyond struct {
	label, text string
	key, json   string
}

// beyondSiege lists, in order, the figures gosiege prints after siege's.
//
// The text gives the percentiles in milliseconds: in siege's two decimals of
// a second most of them would print 0.00 on loopback. The JSON gives them in
// seconds, siege's unit, to the microsecond.
func beyondSiege(r *load.Report) []beyond {
	pct := func(label, key string, d time.Duration) beyond {
		return beyond{
			label: label, text: fmt.Sprintf("%12.3f ms", float64(d)/float64(time.Millisecond)),
			key: key, json: fmt.Sprintf("%12.6f", d.Seconds()),
		}
	}
	count := func(label, key string, n int) beyond {
		v := fmt.Sprintf("%12d", n)
		return beyond{label: label, text: v, key: key, json: v}
	}
	return []beyond{
		pct("Response time p50:", "response_time_p50", r.P50),
		pct("Response time p90:", "response_time_p90", r.P90),
		pct("Response time p99:", "response_time_p99", r.P99),
		count("Failed, refused:", "failed_refused", r.Failures.Refused),
		count("Failed, timeout:", "failed_timeout", r.Failures.Timeout),
		count("Failed, reset:", "failed_reset", r.Failures.Reset),
		count("Failed, status 5xx:", "failed_status_5xx", r.Failures.Status5xx),
		count("Failed, other:", "failed_other", r.Failures.Other),
	}
}

// writeReport writes rep as gosiege prints it: siege's report in siege's
// layout, text or JSON, with the figures beyond siege after siege's own.
func writeReport(w io.Writer, rep *load.Report, asJSON bool) error {
	var buf bytes.Buffer
	var err error
	if asJSON {
		err = writeJSON(&buf, rep)
	} else {
		err = writeText(&buf, rep)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// writeText writes siege's twelve lines, a blank line, and one line for
// each figure beyond siege, aligned as siege aligns its own: label, tabs to
// column 24, the value in 12 columns.
func writeText(buf *bytes.Buffer, rep *load.Report) error {
	if err := rep.WriteText(buf); err != nil {
		return err
	}
	buf.WriteByte('\n')
	for _, b := range beyondSiege(rep) {
		buf.WriteString(b.label)
		buf.WriteString(tabsTo(len(b.label), 24))
		buf.WriteString(b.text)
		buf.WriteByte('\n')
	}
	return nil
}

// writeJSON writes siege's JSON object with the figures beyond siege as
// more fields of it, so that the output stays one object that any JSON
// reader takes: siege's twelve fields come first, in siege's layout, as
// load writes them, and the others follow in the same layout, values at
// column 40.
func writeJSON(buf *bytes.Buffer, rep *load.Report) error {
	if err := rep.WriteJSON(buf); err != nil {
		return err
	}
	const end = "\n}\n"
	if !bytes.HasSuffix(buf.Bytes(), []byte(end)) {
		return errors.New("load's JSON does not end its object with \"\\n}\\n\" any more; cmd/gosiege must follow it")
	}
	buf.Truncate(buf.Len() - len(end))
	for _, b := range beyondSiege(rep) {
		key := `"` + b.key + `":`
		buf.WriteString(",\n\t")
		buf.WriteString(key)
		buf.WriteString(tabsTo(8+len(key), 40))
		buf.WriteString(b.json)
	}
	buf.WriteString(end)
	return nil
}

// tabsTo returns the tabs that take a line from column col to column to,
// with a tab stop every 8 columns, as siege aligns its values.
func tabsTo(col, to int) string {
	var tabs []byte
	for col < to {
		col = (col/8 + 1) * 8
		tabs = append(tabs, '\t')
	}
	return string(tabs)
}
