package benchdocs

// Plots are the medians of a run drawn in SVG with gonum.org/v1/plot,
// the same bytes on every machine: text is laid out with the Liberation
// fonts that gonum embeds in the binary, not with the fonts of the
// machine, and coordinates are printed to five significant figures.

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A Series is one line of a chart, its points joined in the order of X.
type Series struct {
	Name   string
	Points []Point
	// Guide draws the series as a thin dashed line without markers: a
	// line of reference, such as "perfect overlap", rather than data.
	Guide bool
}

// A Point is one point of a series.
type Point struct{ X, Y float64 }

// Medians are the medians of a plot's unit by X and column.
type Medians struct {
	Cols []string
	Rows []MedianRow // in order of X
}

// A MedianRow is one X of a plot.
type MedianRow struct {
	X    float64
	Keys map[string]string  // the row's keys: "/tasks": "100", "/workers": "10"
	Y    map[string]float64 // the median by column
}

// Series returns a line per column, of the medians times scale.
func (m *Medians) Series(scale float64) []Series {
	var series []Series
	for _, col := range m.Cols {
		s := Series{Name: col}
		for _, row := range m.Rows {
			if y, ok := row.Y[col]; ok {
				s.Points = append(s.Points, Point{X: row.X, Y: y * scale})
			}
		}
		series = append(series, s)
	}
	return series
}

// medians are the plot's medians in the input.
func medians(p *Plot, in Input) (*Medians, error) {
	t, err := statUnit(Args{Filter: p.Filter, Row: p.Row, Col: p.Col}, p.Unit, in)
	if err != nil {
		return nil, err
	}
	m := &Medians{}
	for _, c := range t.cols {
		m.Cols = append(m.Cols, c.StringValues())
	}
	for _, rk := range t.rows {
		row := MedianRow{Keys: map[string]string{}, Y: map[string]float64{}}
		for i, f := range rk.Projection().FlattenedFields() {
			row.Keys[f.Name] = rk.Get(f)
			if i == 0 {
				x, err := keyNumber(rk.Get(f))
				if err != nil {
					return nil, fmt.Errorf("%s=%s: %w", f.Name, rk.Get(f), err)
				}
				row.X = x
			}
		}
		for _, ck := range t.cols {
			if c, ok := t.cells[cellKey{rk, ck}]; ok {
				row.Y[ck.StringValues()] = c.summary.Center
			}
		}
		m.Rows = append(m.Rows, row)
	}
	slices.SortStableFunc(m.Rows, func(a, b MedianRow) int { return cmp.Compare(a.X, b.X) })
	return m, nil
}

// keyNumber reads a key's value as a number: "100", or a duration in
// seconds: "10ms".
func keyNumber(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("neither a number nor a duration")
	}
	return d.Seconds(), nil
}

// svg draws the plot of the run's main input.
func (p *Plot) svg(in Input) ([]byte, error) {
	m, err := medians(p, in)
	if err != nil {
		return nil, err
	}
	scale := cmp.Or(p.Scale, 1)
	if !p.Bars {
		series := m.Series(scale)
		if p.Lines != nil {
			if series, err = p.Lines(m); err != nil {
				return nil, err
			}
		}
		return lineChart(p, series)
	}
	if len(m.Rows) != 1 {
		return nil, fmt.Errorf("bars for %d rows, want 1", len(m.Rows))
	}
	var bars []bar
	for _, col := range m.Cols {
		b := bar{label: col, value: m.Rows[0].Y[col] * scale}
		if p.Group != nil {
			b.group = p.Group(col)
		}
		bars = append(bars, b)
	}
	return barChart(p, bars)
}

// guideStyles tell guides apart from data, and from each other: grey and
// dashed, darker and dotted.
var guideStyles = []struct {
	color  color.Color
	dashes []vg.Length
}{
	{color.Gray{Y: 0x80}, []vg.Length{vg.Points(5), vg.Points(3)}},
	{color.Gray{Y: 0x30}, []vg.Length{vg.Points(1.5), vg.Points(2.5)}},
	{color.Gray{Y: 0xa0}, []vg.Length{vg.Points(8), vg.Points(2), vg.Points(1.5), vg.Points(2)}},
}

// lineChart draws the series as a line chart with the plot's title,
// labels and scales: the data in colours with markers, the guides in
// grey.
func lineChart(c *Plot, series []Series) ([]byte, error) {
	p := newPlot(c.Title, c.Y)
	p.X.Label.Text = c.X
	if c.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	data, guides := 0, 0
	for _, s := range series {
		xys := make(plotter.XYs, 0, len(s.Points))
		for _, pt := range s.Points {
			// A logarithmic axis has no place for zero or less.
			if (c.LogX && pt.X <= 0) || (c.LogY && pt.Y <= 0) || math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
		}
		if len(xys) == 0 {
			continue
		}
		if s.Guide {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			style := guideStyles[guides%len(guideStyles)]
			l.Color = style.color
			l.Dashes = style.dashes
			p.Add(l)
			p.Legend.Add(s.Name, l)
			guides++
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		l.Color = plotutil.Color(data)
		l.Width = vg.Points(1.5)
		pts.Color = plotutil.Color(data)
		pts.Shape = plotutil.Shape(data)
		p.Add(l, pts)
		p.Legend.Add(s.Name, l, pts)
		data++
	}
	if data == 0 {
		return nil, fmt.Errorf("chart %q: no data to draw", c.Title)
	}
	return drawSVG(p)
}

// A bar is one bar of a bar chart; bars of a group share a colour.
type bar struct {
	label string
	value float64
	group string // "Python", "Go"
}

// barChart draws a bar per label, in the order given, coloured by group,
// with a legend of the groups when there is more than one.
func barChart(c *Plot, bars []bar) ([]byte, error) {
	if len(bars) == 0 {
		return nil, fmt.Errorf("chart %q: no bars to draw", c.Title)
	}
	p := newPlot(c.Title, c.Y)
	var labels []string
	highest := 0.0
	groups := map[string]int{}
	for i, b := range bars {
		if math.IsNaN(b.value) || b.value < 0 {
			return nil, fmt.Errorf("chart %q: bar %s is %v", c.Title, b.label, b.value)
		}
		g, seen := groups[b.group]
		if !seen {
			g = len(groups)
			groups[b.group] = g
		}
		chart, err := plotter.NewBarChart(plotter.Values{b.value}, vg.Points(28))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.label, err)
		}
		chart.XMin = float64(i)
		highest = math.Max(highest, b.value)
		chart.Color = plotutil.Color(g)
		chart.LineStyle.Width = 0
		p.Add(chart)
		if !seen && b.group != "" {
			p.Legend.Add(b.group, chart)
		}
		labels = append(labels, b.label)
	}
	if len(groups) < 2 {
		p.Legend = plot.NewLegend()
	}
	p.NominalX(labels...)
	// Room for every bar's full width, and above the highest for the
	// legend.
	p.X.Min, p.X.Max = -0.5, float64(len(bars))-0.5
	p.Y.Min, p.Y.Max = 0, highest*1.2
	return drawSVG(p)
}

// newPlot is a plot with a title, a label on Y, a grid, and its legend at
// the top left.
func newPlot(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

// drawSVG draws p, 6 by 4 inches, as SVG without an XML declaration, so
// that a caller may put a comment on its first line.
func drawSVG(p *plot.Plot) ([]byte, error) {
	canvas := vgsvg.New(6*vg.Inch, 4*vg.Inch)
	// A margin on the right, so that the label of the last tick, centred
	// on the edge of the plot, is not cut in half.
	p.Draw(draw.Crop(draw.New(canvas), 0, -vg.Points(12), 0, 0))
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, err
	}
	return bytes.TrimPrefix(b.Bytes(), []byte("<?xml version=\"1.0\"?>\n")), nil
}
