package claims

import (
	"fmt"
	"math"
	"strings"
)

// Quantity formats a value of a benchstat (tidied) unit for prose, to
// three significant figures: seconds per op as a duration ("10.9 ms"),
// bytes in SI multiples, as the benchmarks report them ("156 MB"), and
// anything else as a number before its unit ("2010 trans/s"). A name
// before a hyphen is dropped: a peak-B of 1.56e8 is "156 MB".
func Quantity(v float64, unit string) string {
	base, per, _ := strings.Cut(unit, "/")
	suffix := ""
	if per != "" && per != "op" {
		suffix = "/" + per
	}
	measure := base
	if i := strings.LastIndexByte(base, '-'); i >= 0 {
		measure = base[i+1:] // "peak-B" measures bytes
	}
	switch measure {
	case "sec":
		return scaled(v, []prefix{{1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}, {1e-9, "ns"}}) + suffix
	case "B":
		return scaled(v, []prefix{{1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}, {1, "B"}}) + suffix
	}
	return Number(v) + " " + unit
}

// Number prints v to three significant figures, without an exponent:
// "2009", "99.7", "0.0123".
func Number(v float64) string { return number(v) }

type prefix struct {
	factor float64
	name   string
}

func scaled(v float64, prefixes []prefix) string {
	p := prefixes[len(prefixes)-1]
	for _, q := range prefixes {
		if math.Abs(v) >= q.factor {
			p = q
			break
		}
	}
	return number(v/p.factor) + " " + p.name
}

// number prints v to three significant figures, without an exponent.
func number(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
