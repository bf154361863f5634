package plots

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"dustm/internal/outfile"
)

// Figure is a figure's data, panel by panel, and how to draw it. Builders fill it from
// results; Save turns it into gonum/plot plots and writes the files. Tests inspect the data,
// not the pixels.
type Figure struct {
	Name    string // file name without extension
	Title   string
	Caption string // what the figure shows, for REPORT.md
	Cols    int    // panels per row (1 when 0)
	Panels  []Panel
	// PanelW and PanelH size the panels (small multiples); 0 for the default size.
	PanelW, PanelH vg.Length
}

// Panel is one plot of a figure: lines, or grouped bars.
type Panel struct {
	Title          string
	XLabel, YLabel string
	LogX, LogY     bool
	Series         []Series
	Marks          []Mark
	Bars           *Bars
	// XTicks replaces the x axis's ticks (the nines scale of percentiles).
	XTicks []Tick
	// Legend places the legend (false: none; a figure shows it in its first column).
	Legend bool
	// YMin and YMax fix the y axis (small multiples share one); 0 for automatic.
	YMin, YMax float64
	// MarksAtTop draws the marks as short ticks along the top edge instead of lines across
	// the data, so that they do not cover it.
	MarksAtTop bool
}

// Series is one line: points with optional error bars.
type Series struct {
	Label       string
	X, Y        []float64
	YLow, YHigh []float64 // error bars, nil for none
	Color       int       // index into the palette
	Dashed      bool
	// Dash is a line pattern beyond Dashed (0 solid, 1 dashed, 2 dotted, 3 dash-dot), so that
	// more lines than colours stay apart.
	Dash   int
	Points bool // mark the points
	NoLine bool // points only
	// Labels are texts written beside the points (nil or "" for none).
	Labels []string
	// Thin draws a thin line (many overlapping repetitions, an underlay).
	Thin bool
}

// Mark is a vertical line at an instant.
type Mark struct {
	X     float64
	Kind  string // requested, committed or migrated (the dash pattern)
	Color int
}

// Bars are grouped bars: per group one bar of each series.
type Bars struct {
	Groups []string
	Series []BarSeries
}

// BarSeries is one bar per group (NaN where the group has none).
type BarSeries struct {
	Label          string
	Y, YLow, YHigh []float64
	Color          int
}

// Tick is an axis tick.
type Tick struct {
	Value float64
	Label string
}

// palette is Okabe and Ito's colour-blind-safe palette (yellow left out).
func palette(i int) color.Color {
	// blue, vermillion, bluish green, orange, reddish purple, sky blue, black, grey
	cs := []uint32{0x0072B2, 0xD55E00, 0x009E73, 0xE69F00, 0xCC79A7, 0x56B4E9, 0x000000, 0x888888}
	rgb := uint32(0xb8b8b8)
	if i != colorLightGrey {
		rgb = cs[max(i, -i)%len(cs)]
	}
	return color.RGBA{uint8(rgb >> 16), uint8(rgb >> 8), uint8(rgb), 0xff}
}

// Colour indexes with a fixed meaning.
const (
	colorBlack = 6
	colorGrey  = 7
	// colorLightGrey is for underlays (the run without an upgrade under each strategy).
	colorLightGrey = 8
)

// paletteSize is the number of distinct colours palette cycles through.
const paletteSize = 8

// dashPattern is a line pattern by index: solid, dashed, dotted, dash-dot.
func dashPattern(i int) []vg.Length {
	switch i % 4 {
	case 1:
		return []vg.Length{vg.Points(4), vg.Points(2)}
	case 2:
		return []vg.Length{vg.Points(1), vg.Points(1.5)}
	case 3:
		return []vg.Length{vg.Points(5), vg.Points(2), vg.Points(1), vg.Points(2)}
	}
	return nil
}

// dpi is the PNG resolution: finer for small figures, coarser for big ones (whose noisy
// lines make big files).
func (f *Figure) dpi() int {
	switch n := len(f.Panels); {
	case n <= 2:
		return 120
	case n <= 4:
		return 110
	}
	return 96
}

// Panel size and figure layout.
const (
	panelW  = 5 * vg.Inch
	panelH  = 3.1 * vg.Inch
	titleH  = 0.4 * vg.Inch
	padding = 0.12 * vg.Inch
)

// plots builds the gonum/plot plots of the panels, row by row.
func (f *Figure) plots() (rows [][]*plot.Plot, err error) {
	cols := max(f.Cols, 1)
	for i, pn := range f.Panels {
		if i%cols == 0 {
			rows = append(rows, make([]*plot.Plot, cols))
		}
		p, err := pn.plot()
		if err != nil {
			return nil, fmt.Errorf("figure %s, panel %q: %w", f.Name, pn.Title, err)
		}
		rows[len(rows)-1][i%cols] = p
	}
	return rows, nil
}

// size is the figure's size.
func (f *Figure) size() (w, h vg.Length) {
	cols := max(f.Cols, 1)
	nrows := (len(f.Panels) + cols - 1) / cols
	w = vg.Length(cols) * cmp.Or(f.PanelW, panelW)
	_, lh := legendLayout(f.legend(), w)
	return w, vg.Length(nrows)*cmp.Or(f.PanelH, panelH) + titleH + lh
}

// Save writes the figure into dir in each format ("png", "svg") and returns the files.
func (f *Figure) Save(dir string, formats ...string) (files []string, err error) {
	defer func() {
		if p := recover(); p != nil { // gonum/plot panics on what it cannot draw
			err = fmt.Errorf("drawing figure %s: %v", f.Name, p)
		}
	}()
	rows, err := f.plots()
	if err != nil {
		return nil, err
	}
	w, h := f.size()
	for _, format := range formats {
		var buf bytes.Buffer
		switch format {
		case "png":
			c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(f.dpi()))
			f.draw(draw.New(c), rows)
			enc := png.Encoder{CompressionLevel: png.BestCompression}
			if err := enc.Encode(&buf, c.Image()); err != nil {
				return files, err
			}
		case "svg":
			c := vgsvg.New(w, h)
			f.draw(draw.New(c), rows)
			if _, err := c.WriteTo(&buf); err != nil {
				return files, err
			}
		default:
			return files, fmt.Errorf("unknown figure format %q (accepted: png, svg)", format)
		}
		path := filepath.Join(dir, f.Name+"."+format)
		if err := outfile.WriteFile(path, buf.Bytes(), nil); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

func (f *Figure) draw(dc draw.Canvas, rows [][]*plot.Plot) {
	if len(rows) == 0 {
		return
	}
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 14), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - padding/2}, f.Title)
	entries := f.legend()
	pos, lh := legendLayout(entries, dc.Max.X-dc.Min.X)
	if lh > 0 {
		strip := dc
		strip.Max.Y = dc.Min.Y + lh
		drawLegend(strip, entries, pos)
	}
	body := draw.Crop(dc, 0, 0, lh, -titleH)
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: padding, PadY: padding,
		PadTop: padding / 2, PadBottom: padding, PadLeft: padding, PadRight: padding}
	canvases := plot.Align(rows, tiles, body)
	for i := range rows {
		for j, p := range rows[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

// positive keeps the points a log axis can show.
func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }

func finite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

func (pn *Panel) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.Title.TextStyle.Font.Size = pn.Title, 11
	p.X.Label.Text, p.Y.Label.Text = pn.XLabel, pn.YLabel
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = 9, 9
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 8, 8
	p.Add(plotter.NewGrid())
	anyData := false
	if b := pn.Bars; b != nil {
		if bp := (&barsPlotter{bars: b, log: pn.LogY}); bp.hasData() {
			anyData = true
			p.Add(bp)
			p.NominalX(b.Groups...)
			p.X.Min, p.X.Max = -0.5, float64(len(b.Groups))-0.5
		}
	}
	for _, s := range pn.Series {
		ok, err := pn.addSeries(p, s)
		if err != nil {
			return nil, err
		}
		anyData = anyData || ok
	}
	if !anyData {
		p.Title.Text = pn.Title + " (no data)"
		return p, nil
	}
	if len(pn.Marks) > 0 {
		p.Add(&marks{marks: pn.Marks, top: pn.MarksAtTop})
	}
	pn.axes(p)
	return p, nil
}

// ok says whether a point can be drawn on the panel's axes.
func (pn *Panel) ok(x, y float64) bool {
	return finite(x) && finite(y) && (!pn.LogX || positive(x)) && (!pn.LogY || positive(y))
}

// addSeries adds a series' line, points, error bars and labels; false when it has no point to draw.
func (pn *Panel) addSeries(p *plot.Plot, s Series) (bool, error) {
	var pts plotter.XYs
	bars := &plotter.YErrorBars{LineStyle: draw.LineStyle{Color: palette(s.Color), Width: vg.Points(0.8)}, CapWidth: vg.Points(6)}
	var lx plotter.XYLabels
	for i := range s.X {
		if i >= len(s.Y) || !pn.ok(s.X[i], s.Y[i]) {
			continue
		}
		pts = append(pts, plotter.XY{X: s.X[i], Y: s.Y[i]})
		if s.YLow != nil && s.YHigh != nil && pn.ok(s.X[i], s.YLow[i]) && pn.ok(s.X[i], s.YHigh[i]) {
			bars.XYs = append(bars.XYs, pts[len(pts)-1])
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{s.Y[i] - s.YLow[i], s.YHigh[i] - s.Y[i]})
		}
		if i < len(s.Labels) && s.Labels[i] != "" {
			lx.XYs, lx.Labels = append(lx.XYs, pts[len(pts)-1]), append(lx.Labels, s.Labels[i])
		}
	}
	if len(pts) == 0 {
		return false, nil
	}
	col := palette(s.Color)
	if !s.NoLine {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return false, err
		}
		l.LineStyle = seriesLineStyle(s)
		p.Add(l)
	}
	if s.Points || s.NoLine || len(pts) == 1 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return false, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
		p.Add(sc)
	}
	if len(bars.XYs) > 0 {
		p.Add(bars)
	}
	if len(lx.XYs) > 0 {
		ls, err := plotter.NewLabels(lx)
		if err != nil {
			return false, err
		}
		for i := range ls.TextStyle { // left of the point: the series beside it sit to its right
			ls.TextStyle[i].Color, ls.TextStyle[i].Font.Size = col, 7
			ls.TextStyle[i].XAlign, ls.TextStyle[i].YAlign = draw.XRight, draw.YCenter
		}
		ls.Offset = vg.Point{X: -vg.Points(5)}
		p.Add(ls)
	}
	return true, nil
}

// axes sets the panel's scales, ticks and ranges, with room around the points.
func (pn *Panel) axes(p *plot.Plot) {
	if pn.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		p.Y.Max, p.Y.Min = p.Y.Max*1.5, p.Y.Min/1.5
	} else if p.Y.Min >= 0 {
		p.Y.Min, p.Y.Max = 0, p.Y.Max*1.08
	}
	switch {
	case pn.LogX:
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Min, p.X.Max = p.X.Min/1.15, p.X.Max*1.15
	case pn.Bars == nil && p.X.Max > p.X.Min: // points off the frame
		pad := (p.X.Max - p.X.Min) * 0.03
		p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	}
	if len(pn.XTicks) > 0 {
		ts := make([]plot.Tick, len(pn.XTicks))
		for i, t := range pn.XTicks {
			ts[i] = plot.Tick{Value: t.Value, Label: t.Label}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ts)
	}
	if pn.YMax > pn.YMin && (!pn.LogY || pn.YMin > 0) {
		p.Y.Min, p.Y.Max = pn.YMin, pn.YMax
	}
}

// logTicks marks a log axis: every power of ten labelled, and over a range of less than two
// decades also 2× and 5×; minor ticks at the other multiples.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	dense := math.Log10(hi/lo) < 2
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := base * float64(m)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (dense && (m == 2 || m == 5)) {
				t.Label = fmtNum(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// marks draws vertical lines across the data area: dotted at a request, solid at a commit,
// dashed when migration completes.
type marks struct {
	marks []Mark
	top   bool // short ticks along the top edge, not across the data
}

func markStyle(kind string, c color.Color) draw.LineStyle {
	sty := draw.LineStyle{Color: c, Width: vg.Points(0.9)}
	switch kind {
	case "requested":
		sty.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	case "migrated":
		sty.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return sty
}

func (m *marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, mk := range m.marks {
		if mk.X < p.X.Min || mk.X > p.X.Max {
			continue
		}
		x := trX(mk.X)
		if !m.top {
			c.StrokeLine2(markStyle(mk.Kind, palette(mk.Color)), x, c.Min.Y, x, c.Max.Y)
			continue
		}
		// A glyph at the top edge: the request on the top row, the commit and the migration
		// one row lower (a lazy commit follows its request within a millisecond).
		h := vg.Points(6)
		y := c.Max.Y - h/2
		if mk.Kind != "requested" {
			y -= 1.2 * h
		}
		drawTopMark(c, mk.Kind, palette(mk.Color), x, y, h)
	}
}

// legendEntry is one entry of a figure's legend.
type legendEntry struct {
	label  string
	color  int
	dashed bool
	dash   int
	thin   bool
	points bool
	noLine bool
	bar    bool
	mark   string // an upgrade instant's kind
	top    bool   // the mark drawn as a triangle at the top edge
}

// legend collects the entries of the panels that show a legend, without repeats.
func (f *Figure) legend() []legendEntry {
	var out []legendEntry
	add := func(e legendEntry) {
		if !slices.ContainsFunc(out, func(o legendEntry) bool { return o.label == e.label }) {
			out = append(out, e)
		}
	}
	marks := map[string]bool{}
	top := false
	for _, pn := range f.Panels {
		if !pn.Legend {
			continue
		}
		if pn.Bars != nil {
			for _, s := range pn.Bars.Series {
				add(legendEntry{label: s.Label, color: s.Color, bar: true})
			}
		}
		for _, s := range pn.Series {
			if s.Label != "" && len(s.X) > 0 {
				add(legendEntry{label: s.Label, color: s.Color, dashed: s.Dashed, dash: s.Dash, thin: s.Thin, points: s.Points || s.NoLine, noLine: s.NoLine})
			}
		}
		for _, m := range pn.Marks {
			marks[m.Kind] = true
		}
		top = top || pn.MarksAtTop
	}
	for _, k := range []string{"requested", "committed", "migrated"} {
		if marks[k] {
			add(legendEntry{label: "upgrade " + k, color: colorGrey, mark: k, top: top})
		}
	}
	return out
}

func legendStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 9), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

// legendLayout places the entries in rows across the width; it returns each entry's position
// (relative to the strip's top left) and the strip's height.
func legendLayout(entries []legendEntry, width vg.Length) ([]vg.Point, vg.Length) {
	sty := legendStyle()
	const thumb, gap, rowH = 0.3 * vg.Inch, 0.18 * vg.Inch, 14
	var pos []vg.Point
	x, y := padding, vg.Length(0)
	for _, e := range entries {
		w := thumb + 4 + sty.Width(e.label) + gap
		if x+w > width-padding && x > padding {
			x, y = padding, y+rowH
		}
		pos = append(pos, vg.Point{X: x, Y: y})
		x += w
	}
	if len(entries) == 0 {
		return nil, 0
	}
	return pos, y + rowH + padding
}

func drawLegend(c draw.Canvas, entries []legendEntry, pos []vg.Point) {
	sty := legendStyle()
	const thumb = 0.3 * vg.Inch
	for i, e := range entries {
		x, y := c.Min.X+pos[i].X, c.Max.Y-pos[i].Y-7
		col := palette(e.color)
		switch {
		case e.bar:
			c.FillPolygon(col, []vg.Point{{X: x + 4, Y: y - 4}, {X: x + 4, Y: y + 4}, {X: x + thumb - 4, Y: y + 4}, {X: x + thumb - 4, Y: y - 4}})
		case e.mark != "" && e.top:
			drawTopMark(c, e.mark, col, x+thumb/2, y, vg.Points(6))
		case e.mark != "":
			c.StrokeLine2(markStyle(e.mark, col), x+thumb/2, y-6, x+thumb/2, y+6)
		default:
			if !e.noLine {
				ls := seriesLineStyle(Series{Color: e.color, Dashed: e.dashed, Dash: e.dash, Thin: e.thin})
				c.StrokeLine2(ls, x, y, x+thumb, y)
			}
			if e.points {
				c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}, vg.Point{X: x + thumb/2, Y: y})
			}
		}
		c.FillText(sty, vg.Point{X: x + thumb + 4, Y: y}, e.label)
	}
}

// barsPlotter draws grouped bars with error bars, in data units: group g is centred on x = g.
type barsPlotter struct {
	bars *Bars
	log  bool
}

// shows reports whether a value can be drawn on the bars' axis.
func (b *barsPlotter) shows(v float64) bool { return finite(v) && (!b.log || positive(v)) }

func (b *barsPlotter) hasData() bool {
	return slices.ContainsFunc(b.bars.Series, func(s BarSeries) bool { return slices.ContainsFunc(s.Y, b.shows) })
}

func (b *barsPlotter) geometry(series int) (offset, width float64) {
	n := float64(len(b.bars.Series))
	slot := 0.8 / n
	return -0.4 + (float64(series)+0.5)*slot, slot * 0.85
}

func (b *barsPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := c.Min.Y
	if !b.log && p.Y.Min <= 0 && p.Y.Max >= 0 {
		base = trY(0)
	}
	for si, s := range b.bars.Series {
		off, w := b.geometry(si)
		for g, y := range s.Y {
			if !b.shows(y) {
				continue
			}
			x0, x1 := trX(float64(g)+off-w/2), trX(float64(g)+off+w/2)
			top := trY(y)
			c.FillPolygon(palette(s.Color), c.ClipPolygonY([]vg.Point{{X: x0, Y: base}, {X: x0, Y: top}, {X: x1, Y: top}, {X: x1, Y: base}}))
			if s.YLow != nil && s.YHigh != nil && finite(s.YLow[g]) && finite(s.YHigh[g]) && (!b.log || positive(s.YLow[g])) {
				x, lo, hi, sty := trX(float64(g)+off), trY(s.YLow[g]), trY(s.YHigh[g]), draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
				c.StrokeLines(sty, []vg.Point{{X: x, Y: lo}, {X: x, Y: hi}}, []vg.Point{{X: x - 2.5, Y: lo}, {X: x + 2.5, Y: lo}}, []vg.Point{{X: x - 2.5, Y: hi}, {X: x + 2.5, Y: hi}})
			}
		}
	}
}

func (b *barsPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = -0.5, float64(len(b.bars.Groups))-0.5
	ymin, ymax = math.Inf(1), math.Inf(-1)
	if !b.log {
		ymin = 0
	}
	for _, s := range b.bars.Series {
		for g, y := range s.Y {
			for _, v := range []float64{y, at(s.YLow, g), at(s.YHigh, g)} {
				if b.shows(v) {
					ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
				}
			}
		}
	}
	if b.log {
		ymin /= 2 // the bars need a visible base below the lowest
	}
	return
}

func at(xs []float64, i int) float64 {
	if i < len(xs) {
		return xs[i]
	}
	return math.NaN()
}

// fmtNum writes a number compactly: 1.2M, 45.6k, 789, 1.5.
func fmtNum(v float64) string {
	scaled := func(x float64, suffix string) string {
		s := strconv.FormatFloat(x, 'f', 3-len(strconv.Itoa(int(min(math.Abs(x), 999)))), 64) // 3 significant digits
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s + suffix
	}
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "–"
	case a >= 1e9:
		return scaled(v/1e9, "G")
	case a >= 1e6:
		return scaled(v/1e6, "M")
	case a >= 1e4:
		return scaled(v/1e3, "k")
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a == 0:
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// seriesLineStyle is a series' line: its colour, pattern and width.
func seriesLineStyle(s Series) draw.LineStyle {
	ls := draw.LineStyle{Color: palette(s.Color), Width: vg.Points(1.3), Dashes: dashPattern(s.Dash)}
	if s.Dashed {
		ls.Dashes, ls.Width = []vg.Length{vg.Points(4), vg.Points(2)}, vg.Points(0.9)
	}
	if s.Thin {
		ls.Width = vg.Points(0.8)
	}
	return ls
}

// drawTopMark draws an upgrade instant as a glyph of height h centred on (x, y): a hollow
// triangle pointing down at the request, a filled one at the commit, a diamond when every
// object is migrated.
func drawTopMark(c draw.Canvas, kind string, col color.Color, x, y, h vg.Length) {
	tri := []vg.Point{{X: x - h/2, Y: y + h/2}, {X: x, Y: y - h/2}, {X: x + h/2, Y: y + h/2}}
	switch kind {
	case "requested":
		c.StrokeLines(draw.LineStyle{Color: col, Width: vg.Points(0.9)}, append(tri, tri[0]))
	case "migrated":
		c.FillPolygon(col, []vg.Point{{X: x, Y: y + h/2}, {X: x + h/2, Y: y}, {X: x, Y: y - h/2}, {X: x - h/2, Y: y}})
	default:
		c.FillPolygon(col, tri)
	}
}
