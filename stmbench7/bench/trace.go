package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"dustm/internal/outfile"
	"dustm/stmbench7"
)

// A trace (--trace FILE) lists a thread's operations in the order it executed them, one line
// each: the operation's index in the thread (from 0), its name and its result, or FAILED when
// it failed:
//
//	0 OP5 0
//	1 ST1 127373
//	2 SM7 FAILED
//
// A one-thread run writes FILE; a run with N > 1 threads writes one file per thread, FILE.0 to
// FILE.N-1 (TraceFile), each in the same format, so that any thread's trace can be diffed on
// its own: against another backend's (with the default seeds every thread starts with the same
// operations) or against the Java reference's one-thread output, numbered the same way (see
// stmbench7/testdata/README.md, whose expected traces TestMatchesJavaReference reads with
// ReadTrace). An operation that ended the run with an unexpected error is not listed.

// TraceFile returns the trace file of thread i in a run of threads threads with --trace path.
func TraceFile(path string, threads, i int) string {
	if threads == 1 {
		return path
	}
	return path + "." + strconv.Itoa(i)
}

// TraceEntry is one line of a trace (package stmbench7 holds the format, which the
// reference's traces share).
type TraceEntry = stmbench7.TraceEntry

// CheckTrace refuses a --trace path that cannot hold a run of threads threads' traces: with
// several threads each thread writes FILE.i, so FILE must name a regular file (or none yet),
// not a device or a FIFO (/dev/null.0 would be a new regular file beside the device).
func CheckTrace(path string, threads int) error {
	if threads <= 1 || path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%w: --trace %s is not a regular file: with %d threads the trace is one file per thread (%s, %s, …); give a file name, or run one thread to write the trace through %s",
			ErrInvalidConfig, path, threads, TraceFile(path, threads, 0), TraceFile(path, threads, 1), path)
	}
	return nil
}

// tracer writes one thread's trace.
type tracer struct {
	f   *outfile.File
	w   *bufio.Writer
	buf []byte
}

// createTraces creates the run's trace files (pending until the run ends), so that a bad path
// fails before the structure is built.
func createTraces(path string, threads int) ([]*tracer, error) {
	if path == "" {
		return nil, nil
	}
	if outfile.IsStdout(path) {
		return nil, fmt.Errorf("--trace %s: a trace is a file (one per thread with several threads), not standard output", path)
	}
	if err := CheckTrace(path, threads); err != nil {
		return nil, err
	}
	out := make([]*tracer, threads)
	for i := range out {
		f, err := outfile.Create(TraceFile(path, threads, i), nil)
		if err != nil { // the error names the file
			abortTraces(out)
			return nil, fmt.Errorf("trace file: %w", err)
		}
		out[i] = &tracer{f: f, w: bufio.NewWriterSize(f, 64<<10), buf: make([]byte, 0, 64)}
	}
	return out, nil
}

// add writes one operation's line. A write error stays in the buffered writer, which reports
// it when the trace is committed.
func (t *tracer) add(e TraceEntry) {
	t.buf = append(e.Append(t.buf[:0]), '\n')
	t.w.Write(t.buf)
}

func abortTraces(ts []*tracer) {
	for _, t := range ts {
		if t != nil {
			t.f.Abort()
		}
	}
}

func commitTraces(ts []*tracer) []error {
	var errs []error
	for _, t := range ts {
		if err := t.w.Flush(); err != nil {
			t.f.Abort()
			errs = append(errs, fmt.Errorf("writing %s: %w", t.f.Name(), err))
			continue
		}
		errs = append(errs, t.f.Commit())
	}
	return errs
}
