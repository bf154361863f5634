package plots

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"
)

// LooseFolder gathers runs named one by one (a `dustm bench --json` file with its --series,
// a run's folder, or a results folder) into one folder of runs, for figures of a single run
// or an overlay of several. Runs whose settings coincide are told apart by a "run" setting
// (the file's name), so that each draws its own line.
func LooseFolder(paths []string) (*experiments.Folder, error) {
	out := &experiments.Folder{}
	var names []string
	for _, p := range paths {
		f, err := experiments.LoadAny(p)
		if err != nil {
			return nil, err // it names the path
		}
		for _, r := range f.Runs {
			if !r.OK() {
				continue
			}
			r.Info.Config = fmt.Sprintf("%s#%d", p, len(out.Runs)+1)
			out.Runs = append(out.Runs, r)
			names = append(names, strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".gz"), ".json"))
		}
	}
	if len(out.Runs) == 0 {
		return nil, fmt.Errorf("no successful run in %s", strings.Join(paths, ", "))
	}
	// Runs with the same settings: name each by its file (decided before any is renamed).
	var same []bool
	for _, r := range out.Runs {
		same = append(same, slices.ContainsFunc(out.Runs, func(o *experiments.RunData) bool {
			return o != r && sameBut(r.Info.Params, o.Info.Params, nil)
		}))
	}
	for i, r := range out.Runs {
		if same[i] && r.Info.Params.Value("run") == "" {
			r.Info.Params = append(slices.Clone(r.Info.Params), experiments.Param{Key: "run", Value: fmt.Sprintf("%s (%d)", names[i], i+1)})
		}
		r.Info.Part = "main"
	}
	out.Dir = paths[0]
	return out, nil
}

// DrawFigures draws the figures of a folder (only those named in only, when it has names)
// into dir, PNG and SVG; it returns the files and the figures that could not be drawn.
func DrawFigures(f *experiments.Folder, o Options, only []string, dir string) ([]string, []Skipped, error) {
	s := analysis.Summarize(f)
	figs, skipped, err := Figures(f, s, o)
	if err != nil {
		return nil, nil, err
	}
	if len(only) > 0 {
		figs = slices.DeleteFunc(figs, func(fig *Figure) bool {
			return !slices.ContainsFunc(only, func(n string) bool { return fig.Name == n || strings.HasSuffix(fig.Name, "-"+n) })
		})
		skipped = slices.DeleteFunc(skipped, func(sk Skipped) bool { return !slices.Contains(only, sk.Figure) })
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	var files []string
	for _, fig := range figs {
		fs, err := fig.Save(dir, "png", "svg")
		if err != nil {
			return files, skipped, err
		}
		files = append(files, fs...)
	}
	return files, skipped, nil
}

// SeriesResult says whether path is a run's time series (a --series file, a series.jsonl)
// rather than its result and, if it is, which result file to plot instead: the --json file
// of the same stem beside it (r.json for r.jsonl), or a run folder's result.json. A series
// whose result is not found is an error that says so.
func SeriesResult(path string) (result string, isSeries bool, err error) {
	if !isSeriesFile(path) {
		return path, false, nil
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".jsonl")
	cands := []string{stem + ".json", stem + ".json.gz"}
	if b := filepath.Base(stem); b == "series" {
		cands = append(cands, filepath.Join(filepath.Dir(path), experiments.ResultFile), filepath.Join(filepath.Dir(path), experiments.ResultFile+".gz"))
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, true, nil
		}
	}
	return "", true, fmt.Errorf("%s is a time series (one line per interval, what --series writes), not a run's result: "+
		"plot the result it belongs to (the --json file of the same run, such as %s, or the run's folder)", path, cands[0])
}

// isSeriesFile reports whether the file's first line is one interval of a series.
func isSeriesFile(path string) bool {
	r, err := record.Open(path)
	if err != nil {
		return false
	}
	defer r.Close()
	line, _ := bufio.NewReaderSize(r, 1<<16).ReadBytes('\n')
	var first map[string]json.RawMessage
	if json.Unmarshal(line, &first) != nil {
		return false
	}
	_, tick := first["t_s"]
	return tick
}
