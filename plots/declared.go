package plots

import (
	"cmp"
	"slices"
	"strings"

	"dustm/analysis"
	"dustm/experiments"
)

// declaredBuilders draw the figures the folder's experiment declares as data.
func declaredBuilders(f *experiments.Folder) []builder {
	if f.Manifest == nil || f.Manifest.Definition == nil {
		return nil
	}
	var out []builder
	for _, d := range f.Manifest.Definition.Declared {
		out = append(out, builder{d.Name, declared(d)})
	}
	return out
}

// declared draws a declared figure through against: a panel per metric of Y against X (a
// setting where the rows have it, else a metric's median), one line per combination of By
// (by default the settings that vary but X), from the rows Where selects.
func declared(d experiments.DeclaredFigure) func(c *ctx) (*Figure, string, error) {
	return func(c *ctx) (*Figure, string, error) {
		where := strings.TrimSuffix(" where "+selText(d.Where), " where ")
		rows := c.rows.where(func(r *analysis.Row) bool {
			return selects(d.Where, r, c.rows) && slices.ContainsFunc(d.Y, func(m string) bool { _, ok := stat(r, m); return ok })
		})
		if len(rows) == 0 {
			return nil, "no configuration" + where + " has " + strings.Join(d.Y, " or "), nil
		}
		x, xLabel := metric(d.X), c.axis("", d.X, 1, d.Log)
		if slices.ContainsFunc(rows, func(r *analysis.Row) bool { _, ok := r.Params.Get(d.X); return ok }) {
			x, xLabel = key(d.X), d.X+map[bool]string{true: " (log)"}[d.Log]
		}
		var xs []float64
		for _, r := range rows {
			if v, ok := x(r); ok && !slices.Contains(xs, v) {
				xs = append(xs, v)
			}
		}
		if len(xs) < 2 {
			return nil, "fewer than two values of " + d.X + where + " (x: a setting whose values are numbers, or a metric)", nil
		}
		a := against{title: cmp.Or(d.Title, strings.Join(d.Y, " and ")+" against "+d.X), xLabel: xLabel, x: x, except: []string{d.X},
			lines: d.By, log: d.Log, unnamed: "median, min–max"}
		var defs []string
		for _, m := range d.Y {
			a.ys = append(a.ys, yAxis{title: m, metric: m, scale: 1})
			if doc := c.sum.Metric(m).Doc; doc != "" {
				defs = append(defs, m+": "+doc)
			}
		}
		a.caption = func(lineKeys []string) string {
			s := strings.Join(d.Y, " and ") + " against " + d.X + where + ", one line"
			if len(lineKeys) > 0 {
				s += " per " + strings.Join(lineKeys, " × ")
			}
			if d.Log {
				s += "; both axes logarithmic"
			}
			s += "; points are the " + c.repsNote(rows) + ", bars span the minimum and maximum."
			if len(defs) > 0 {
				s += " " + strings.Join(defs, "; ") + "."
			}
			return s
		}
		return a.figure(c, rows), "", nil
	}
}
