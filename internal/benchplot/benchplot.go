// Package benchplot draws benchmark results as line charts in SVG with
// gonum.org/v1/plot, the same bytes on every machine: text is laid out
// with the Liberation fonts that gonum embeds in the binary, not with
// the fonts of the machine, and coordinates are printed to five
// significant figures.
package benchplot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A Chart is a line chart: one line per series, its points joined in the
// order of X.
type Chart struct {
	Title, X, Y string // the title and the axes' labels
	LogX, LogY  bool   // logarithmic axes
	Series      []Series
}

// A Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
	// Guide draws the series as a thin dashed line without markers: a
	// line of reference, such as "perfect overlap", rather than data.
	Guide bool
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

// A Point is one point of a series.
type Point struct{ X, Y float64 }

// SVG draws the chart, 6 by 4 inches. The SVG has no XML declaration, so
// that a caller may put a comment on its first line.
func (c *Chart) SVG() ([]byte, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.X
	p.Y.Label.Text = c.Y
	if c.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true

	data, guides := 0, 0
	for _, s := range c.Series {
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

	return render(p)
}

// render draws p, 6 by 4 inches, as SVG without an XML declaration.
func render(p *plot.Plot) ([]byte, error) {
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

// A BarChart is one bar per label, in the order given, coloured by
// group, with a legend of the groups when there is more than one.
type BarChart struct {
	Title, Y string
	Bars     []Bar
}

// A Bar is one bar of a BarChart.
type Bar struct {
	Label string
	Value float64
	Group string // bars of a group share a colour: "Python", "Go"
}

// SVG draws the chart, 6 by 4 inches, without an XML declaration.
func (c *BarChart) SVG() ([]byte, error) {
	if len(c.Bars) == 0 {
		return nil, fmt.Errorf("chart %q: no bars to draw", c.Title)
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.Y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	var labels []string
	highest := 0.0
	groups := map[string]int{}
	for i, bar := range c.Bars {
		if math.IsNaN(bar.Value) || bar.Value < 0 {
			return nil, fmt.Errorf("chart %q: bar %s is %v", c.Title, bar.Label, bar.Value)
		}
		g, seen := groups[bar.Group]
		if !seen {
			g = len(groups)
			groups[bar.Group] = g
		}
		b, err := plotter.NewBarChart(plotter.Values{bar.Value}, vg.Points(28))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bar.Label, err)
		}
		b.XMin = float64(i)
		highest = math.Max(highest, bar.Value)
		b.Color = plotutil.Color(g)
		b.LineStyle.Width = 0
		p.Add(b)
		if !seen && bar.Group != "" {
			p.Legend.Add(bar.Group, b)
		}
		labels = append(labels, bar.Label)
	}
	if len(groups) < 2 {
		p.Legend = plot.NewLegend()
	}
	p.NominalX(labels...)
	// Room for every bar's full width, and above the highest for the
	// legend.
	p.X.Min, p.X.Max = -0.5, float64(len(c.Bars))-0.5
	p.Y.Min, p.Y.Max = 0, highest*1.2
	return render(p)
}
