package benchdocs

// Plots are the medians of a run drawn in SVG with gonum.org/v1/plot, the
// same bytes on every machine, each median with benchstat's 95% interval
// as an error bar where there are the 6 results it takes; the benchstat
// table beside a chart gives its figures.

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A Series is one line of a chart. A guide is a line of reference, such
// as "one latency", drawn grey and dashed rather than as data.
type Series struct {
	Name   string
	Points []Point
	Guide  bool
}

// A Point is a median and its 95% interval, Lo to Hi, infinite where
// there are too few results.
type Point struct{ X, Y, Lo, Hi float64 }

// Medians are the medians of a plot's unit by row and column.
type Medians struct {
	Cols []string
	Rows []MedianRow // in order of X
}

// A MedianRow is one row of a plot: X is its first key.
type MedianRow struct {
	X    float64
	Keys map[string]float64           // the row's keys, as numbers: "/tasks": 100, "/latency": 0.01
	Y    map[string]benchmath.Summary // the median and its 95% interval, by column
}

// Series returns a line per column, of the medians times scale.
func (m *Medians) Series(scale float64) []Series {
	var series []Series
	for _, col := range m.Cols {
		s := Series{Name: col}
		for _, r := range m.Rows {
			if y, ok := r.Y[col]; ok {
				s.Points = append(s.Points, Point{X: r.X, Y: y.Center * scale, Lo: y.Lo * scale, Hi: y.Hi * scale})
			}
		}
		series = append(series, s)
	}
	return series
}

// Guide is a line of reference through a point of each row: y of the row.
func (m *Medians) Guide(name string, y func(MedianRow) float64) Series {
	s := Series{Name: name, Guide: true}
	for _, r := range m.Rows {
		s.Points = append(s.Points, Point{X: r.X, Y: y(r)})
	}
	return s
}

// medians are the plot's medians in the input. A line chart's keys are
// numbers, or durations ("10ms") in seconds.
func medians(p *Plot, in Input) (*Medians, error) {
	units, m := p.Units, &Medians{}
	if units == nil {
		units = map[string]float64{p.Unit: 0}
	}
	for _, unit := range slices.Sorted(maps.Keys(units)) {
		t, err := statUnit(Args{Filter: p.Filter, Row: p.Row, Col: p.Col}, unit, in)
		if err != nil {
			return nil, err
		}
		for _, c := range t.cols {
			if !slices.Contains(m.Cols, c.StringValues()) {
				m.Cols = append(m.Cols, c.StringValues())
			}
		}
		for _, rk := range t.rows {
			r := MedianRow{X: units[unit], Keys: map[string]float64{}, Y: map[string]benchmath.Summary{}}
			for i, f := range rk.Projection().FlattenedFields() {
				v, err := strconv.ParseFloat(rk.Get(f), 64)
				if d, derr := time.ParseDuration(rk.Get(f)); err != nil && derr == nil {
					v, err = d.Seconds(), nil
				}
				if err != nil && !p.Bars && p.Units == nil {
					return nil, fmt.Errorf("%s=%s: neither a number nor a duration", f.Name, rk.Get(f))
				}
				if r.Keys[f.Name] = v; i == 0 && p.Units == nil {
					r.X = v
				}
			}
			for _, ck := range t.cols {
				if c, ok := t.cells[cellKey{rk, ck}]; ok {
					r.Y[ck.StringValues()] = c.summary
				}
			}
			m.Rows = append(m.Rows, r)
		}
	}
	slices.SortStableFunc(m.Rows, func(a, b MedianRow) int { return cmp.Compare(a.X, b.X) })
	return m, nil
}

// svg draws the plot of the input.
func (p *Plot) svg(in Input) ([]byte, error) {
	m, err := medians(p, in)
	switch {
	case err != nil:
		return nil, err
	case !p.Bars && p.Draw != nil:
		return lineChart(p, p.Draw(m))
	case !p.Bars:
		return lineChart(p, m.Series(cmp.Or(p.Scale, 1)))
	case len(m.Rows) != 1:
		return nil, fmt.Errorf("bars for %d rows, want 1", len(m.Rows))
	}
	var bars []bar
	for _, s := range m.Series(cmp.Or(p.Scale, 1)) {
		b := bar{Point: s.Points[0], label: s.Name}
		if p.Group != nil {
			b.group = p.Group(s.Name)
		}
		bars = append(bars, b)
		if v, ok := p.Article[s.Name]; ok {
			// Under the row nearest to the article's setting, named by
			// its server alone: the article's setting is its own.
			bars = append(bars, bar{label: serverOf(s.Name) + ", the article", Point: Point{Y: v}, group: "the article, one run"})
		}
	}
	return barChart(p, bars)
}

// hasInterval says whether the point has a finite interval around it.
func hasInterval(pt Point) bool {
	return pt.Lo <= pt.Y && pt.Y <= pt.Hi && !math.IsInf(pt.Lo, 0) && !math.IsInf(pt.Hi, 0)
}

// lineChart draws the series: the data in colours with markers and error
// bars, the guides in greys, each dashed its own way.
func lineChart(c *Plot, series []Series) ([]byte, error) {
	p := newPlot(c.Title, c.X, c.Y)
	var xs, ys []float64
	for _, s := range series {
		for _, pt := range s.Points {
			if xs, ys = append(xs, pt.X), append(ys, pt.Y); hasInterval(pt) {
				ys = append(ys, pt.Lo, pt.Hi)
			}
		}
	}
	logX, logY := setScale(&p.X, xs, false), setScale(&p.Y, ys, true)
	data, guides := 0, 0
	for _, s := range series {
		var xys plotter.XYs
		bars := &plotter.YErrorBars{CapWidth: vg.Points(5)}
		for _, pt := range s.Points {
			// A logarithmic axis has no place for zero or less.
			if (logX && pt.X <= 0) || (logY && pt.Y <= 0) || math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
			if hasInterval(pt) && (!logY || pt.Lo > 0) {
				bars.XYs = append(bars.XYs, plotter.XY{X: pt.X, Y: pt.Y})
				bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{pt.Y - pt.Lo, pt.Hi - pt.Y})
			}
		}
		l, pts, err := plotter.NewLinePoints(xys)
		switch {
		case len(xys) == 0:
			continue
		case err != nil:
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		case s.Guide:
			l.Color = color.Gray{Y: uint8(0x80 - 0x28*(guides%3))}
			l.Dashes = []vg.Length{vg.Points(float64(6 - 2*(guides%3))), vg.Points(3)}
			p.Add(l)
			p.Legend.Add(s.Name, l)
			guides++
			continue
		}
		l.Color, l.Width = plotutil.Color(data), vg.Points(1.5)
		pts.Color, pts.Shape = plotutil.Color(data), plotutil.Shape(data)
		bars.LineStyle = draw.LineStyle{Color: l.Color, Width: vg.Points(1)}
		p.Add(l, pts, bars)
		p.Legend.Add(s.Name, l, pts)
		data++
	}
	if data == 0 {
		return nil, fmt.Errorf("chart %q: no data to draw", c.Title)
	}
	return drawSVG(p, 4*vg.Inch)
}

// setScale fits the axis to the values, on a logarithmic scale, which it
// reports, where they are above zero and span more than a factor of 20.
func setScale(a *plot.Axis, values []float64, fromZero bool) bool {
	values = slices.DeleteFunc(slices.Clone(values), math.IsNaN)
	lo, hi := slices.Min(values), slices.Max(values)
	log := lo > 0 && hi/lo > 20
	if a.Tick.Marker = (ticks{log: log}); log {
		a.Scale, a.Min, a.Max = plot.LogScale{}, lo/1.15, hi*1.15
		return true
	}
	if fromZero {
		lo = min(lo, 0)
	}
	a.Min, a.Max = lo, hi+(hi-lo)*0.05
	return false
}

// ticks label an axis, as benchstat writes its figures: a linear one
// where gonum would; a logarithmic one at every power of ten, and 2 and 5
// times it where it spans less than three.
type ticks struct{ log bool }

func (t ticks) Ticks(lo, hi float64) []plot.Tick {
	if !t.log {
		out := plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range out {
			if out[i].Label != "" {
				out[i].Label = tickLabel(out[i].Value)
			}
		}
		return out
	}
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1.0; m < 10; m++ {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v})
				if m == 1 || hi/lo < 1000 && (m == 2 || m == 5) {
					out[len(out)-1].Label = tickLabel(v)
				}
			}
		}
	}
	return out
}

// tickLabel writes a tick's value as benchstat writes its figures, without
// float noise: "0.3", "500", "2k", "1M".
func tickLabel(v float64) string {
	prefix := ""
	if math.Abs(v) >= 1e6 {
		v, prefix = v/1e6, "M"
	} else if math.Abs(v) >= 1e3 {
		v, prefix = v/1e3, "k"
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + prefix
}

// serverOf is the server of a series named by several columns, its last:
// "30s 4s flask" is flask's.
func serverOf(series string) string { return series[strings.LastIndexByte(series, ' ')+1:] }

// groupColours are the groups whose colour every chart shares, as
// plotutil.Color's index plus one, so that the zero value is none; bars
// without a group are drawn as Go's.
var groupColours = map[string]int{"": 1, "Go": 1, "gosiege": 1, "Python": 2, "C": 3, "the others": 3, "the article, one run": 4}

// A bar is one bar of a bar chart; bars of a group share a colour.
type bar struct {
	Point
	label, group string
}

// barChart draws a horizontal bar per label, top to bottom, each with its
// error bar, and a legend of the groups if there are two.
func barChart(c *Plot, bars []bar) ([]byte, error) {
	p := newPlot(c.Title, c.Y, "")
	var labels []plot.Tick
	errs := &plotter.XErrorBars{LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(1)}, CapWidth: vg.Points(8)}
	groups, ends := map[string]int{}, []float64{0}
	for i, b := range bars {
		g, seen := groups[b.group]
		if !seen {
			g = cmp.Or(groupColours[b.group], len(groups)+len(groupColours)+1)
			groups[b.group] = g
		}
		chart, err := plotter.NewBarChart(plotter.Values{b.Y}, vg.Points(18))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.label, err)
		}
		y := float64(len(bars) - 1 - i)
		chart.Horizontal, chart.XMin, chart.Color, chart.LineStyle.Width = true, y, plotutil.Color(g-1), 0
		if p.Add(chart); !seen && b.group != "" {
			p.Legend.Add(b.group, chart)
		}
		if ends = append(ends, b.Y); hasInterval(b.Point) {
			errs.XYs = append(errs.XYs, plotter.XY{X: b.Y, Y: y})
			errs.XErrors = append(errs.XErrors, struct{ Low, High float64 }{b.Y - b.Lo, b.Hi - b.Y})
			ends = append(ends, b.Hi)
		}
		labels = append(labels, plot.Tick{Value: y, Label: b.label})
	}
	if len(groups) < 2 {
		p.Legend = plot.NewLegend()
	}
	p.Add(errs)
	// Ticks in the background's white, which keep the labels off the bars.
	p.Y.Width, p.Y.Tick.Marker, p.Y.Tick.Color = 0, plot.ConstantTicks(labels), color.White
	p.Y.Min, p.Y.Max = -0.6, float64(len(bars))-0.4
	setScale(&p.X, ends, true)
	return drawSVG(p, vg.Points(72+28*float64(len(bars))))
}

// newPlot is a plot with a title, axis labels, a grid, and text in
// Liberation Sans, the font gonum embeds, as wide as Arial.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.Title.Padding, p.X.Label.Text = title, vg.Points(8), x
	p.Y.Label.Text, p.Y.Label.Padding = y, vg.Points(8)
	p.Add(plotter.NewGrid())
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Variant = "Sans"
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size, p.Legend.Padding = vg.Points(10), vg.Points(3)
	return p
}

// drawSVG draws p, 7 inches wide, with its legend to the right of the
// data, as SVG without an XML declaration, for a comment on its first
// line.
func drawSVG(p *plot.Plot, height vg.Length) ([]byte, error) {
	canvas := vgsvg.New(7*vg.Inch, height)
	c := draw.Crop(draw.New(canvas), vg.Points(6), -vg.Points(14), vg.Points(4), -vg.Points(10))
	legend := p.Legend
	p.Legend = plot.NewLegend()
	if r := legend.Rectangle(c); r.Max.X > r.Min.X {
		// A fifth more than its width, for a wider fallback font.
		width := (r.Max.X-r.Min.X)*1.2 + vg.Points(8)
		top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		legend.Draw(draw.Crop(c, c.Size().X-width, 0, 0, -top))
		c = draw.Crop(c, 0, -width-vg.Points(8), 0, 0)
	}
	// gonum centres a vertical axis's label on the middle of its values,
	// which on a logarithmic axis is near its top, and shrinks the plot to
	// make room there: the labels are drawn here instead, centred on the
	// data, in the room that a blank label of the same height keeps.
	x, y := p.X.Label, p.Y.Label
	p.X.Label.Text, p.Y.Label.Text = strings.Repeat(" ", min(1, len(x.Text))), strings.Repeat(" ", min(1, len(y.Text)))
	p.Draw(c)
	data := p.DataCanvas(c)
	c.FillText(x.TextStyle, vg.Point{X: data.Center().X, Y: c.Min.Y + x.TextStyle.FontExtents().Descent}, x.Text)
	y.TextStyle.Rotation += math.Pi / 2
	c.FillText(y.TextStyle, vg.Point{X: c.Min.X + y.TextStyle.FontExtents().Ascent, Y: data.Center().Y}, y.Text)
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, err
	}
	// Where Liberation Sans is not installed, fonts with its widths.
	return bytes.ReplaceAll(bytes.TrimPrefix(b.Bytes(), []byte("<?xml version=\"1.0\"?>\n")),
		[]byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}
