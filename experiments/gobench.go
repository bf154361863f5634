package experiments

import (
	"fmt"
	"io"

	"dustm/record"
	"dustm/stmbench7/bench"
)

// WriteGoBench writes the folder's successful bench runs in the Go benchmark format, one line
// per run (bench.WriteGoBench), named by the configuration's settings: benchstat compares
// two such files of any two sets of runs. It returns the number of lines. Micro runs are left
// out: their outputs (BenchTextFile) are Go benchmark output already.
func WriteGoBench(w io.Writer, f *Folder) (int, error) {
	n := 0
	for _, r := range f.Runs {
		if !r.OK() || r.Result == nil {
			continue
		}
		if n == 0 {
			if err := bench.WriteGoBenchHeader(w, r.Result.Env); err != nil {
				return n, err
			}
		}
		kvs := make([]record.Pair, len(r.Info.Params))
		for i, p := range r.Info.Params {
			kvs[i] = record.Pair{Key: p.Key, Value: p.Value}
		}
		if err := bench.WriteGoBench(w, bench.GoBenchName(kvs), r.Result); err != nil {
			f.Warn("%s: %v; the run is left out", r.Dir, err)
			continue
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s has no successful bench runs to write", f.Dir)
	}
	return n, nil
}
