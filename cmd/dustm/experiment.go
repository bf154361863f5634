package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/internal/duration"
	"dustm/plots"
)

// runExperiment is `dustm experiment`: run a named experiment (a sweep of `dustm bench`
// configurations, each in a fresh process), summarize it and draw its figures; and the
// subcommands merge, summary and compact. The first SIGINT or SIGTERM stops the sweep cleanly
// (the current run is interrupted, the folder stays resumable, the summary of what exists is
// written); a second one, a second or more later, kills the process (interruptContext).
func runExperiment(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "merge":
			return runExperimentMerge(args[1:], stdout, stderr)
		case "summary":
			return runExperimentSummary(args[1:], stdout, stderr)
		case "compact":
			return runExperimentCompact(args[1:], stdout, stderr)
		case "gobench":
			return runExperimentGoBench(args[1:], stdout, stderr)
		}
	}
	keepWritingFiles()
	ctx, stop := interruptContext()
	defer stop()
	return runExperimentContext(ctx, args, stdout, stderr)
}

// experimentFlags are the options of `dustm experiment`.
type experimentFlags struct {
	file, out, resultsDir, resume, shard string
	sets                                 []string
	list, show, keys, dryRun             bool
	retryFailed, noPlot, help            bool
	timeout                              time.Duration
}

func parseExperimentFlags(args []string, stdout io.Writer) (*experimentFlags, []string, error) {
	var f experimentFlags
	fs := newFlagSet("experiment", stdout)
	fs.BoolVar(&f.list, "list", false, "list the built-in experiments")
	fs.BoolVar(&f.show, "show", false, "print the experiment's definition (after --set) as JSON, to copy, edit and run with -f")
	fs.BoolVar(&f.keys, "keys", false, "list the keys --set accepts, with their values and defaults")
	fs.StringVarP(&f.file, "file", "f", "", "run the experiment defined in this JSON file (see experiments/examples)")
	fs.StringArrayVar(&f.sets, "set", nil, "override a key: key=value[,value…], part.key=…, repetitions=N or timeout=D (repeatable)")
	fs.BoolVarP(&f.dryRun, "dry-run", "n", false, "print the matrix of runs and the expected running time; run nothing")
	fs.StringVarP(&f.out, "out", "o", "", "results folder (default RESULTS/NAME/TIMESTAMP)")
	fs.StringVar(&f.resultsDir, "results", "results", "where results folders go by default")
	fs.StringVar(&f.resume, "resume", "", "continue the interrupted sweep in this results folder (its runs that are complete are kept)")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "with --resume: run again the runs recorded as failed")
	fs.StringVar(&f.shard, "shard", "", "run only shard i/n of the configurations (every n-th, from the i-th), e.g. for a Slurm job array")
	fs.Var(duration.NewValue(&f.timeout, 0, experiments.TimeoutRange()), "timeout",
		"the longest one run may take: seconds or a duration, "+experiments.TimeoutRange().String()+" (default: the experiment's, else 3 × its expected duration + 1m)")
	fs.BoolVar(&f.noPlot, "no-plot", false, "write the summary but not the figures and REPORT.md")
	fs.Usage = func() {
		fmt.Fprint(stdout, `usage: dustm experiment NAME [flags]          run a built-in experiment
       dustm experiment -f FILE [flags]        run an experiment defined in a JSON file
       dustm experiment --resume DIR           continue an interrupted sweep
       dustm experiment --list | --keys        what there is
       dustm experiment merge [-o DIR] DIR…    merge the folders of a sweep's shards
       dustm experiment summary DIR            rewrite a results folder's summary.csv
       dustm experiment compact DIR            gzip the bulky files of a results folder

Runs every configuration of the experiment's matrix in a fresh process of `+"`dustm bench`"+`, repeated,
into RESULTS/NAME/TIMESTAMP/ (every run's result JSON, series and output, a manifest, summary.csv),
then draws its figures and REPORT.md (as `+"`dustm plot`"+`). Progress goes to stderr.

`)
		fs.PrintDefaults()
	}
	help, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if help {
		f.help = true
		return &f, nil, nil
	}
	if err := noEmptyValues(fs); err != nil {
		return nil, nil, err
	}
	return &f, fs.Args(), nil
}

// noEmptyValues refuses a flag that takes a name or a path given as empty (--shard=,
// --out ""): left alone it would mean the flag's default (every shard, a folder of its
// own), which the command line did not ask for.
func noEmptyValues(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(fl *pflag.Flag) {
		if err == nil && fl.Value.Type() == "string" && fl.Value.String() == "" {
			err = usageErrorf("--%s: empty value: give one, or leave the flag out for its default (--%s: %s)", fl.Name, fl.Name, fl.Usage)
		}
	})
	return err
}

func runExperimentContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, rest, err := parseExperimentFlags(args, stdout)
	if err != nil || f.help {
		return err
	}
	switch {
	case f.list:
		return listExperiments(stdout)
	case f.keys:
		return listKeys(stdout)
	}
	command := append([]string{"dustm", "experiment"}, args...)
	if f.resume != "" {
		if len(rest) > 0 || f.file != "" || len(f.sets) > 0 || f.shard != "" || f.out != "" {
			return usageErrorf("--resume continues a sweep as it was defined: it takes no NAME, -f, --set, --shard or --out")
		}
		s, err := experiments.Open(f.resume)
		if err != nil {
			return usageErrorf("--resume: %v", err)
		}
		if err := s.CheckDefinition(); err != nil {
			return usageErrorf("--resume: %v", err)
		}
		if f.dryRun {
			var shard experiments.Shard
			if s.Manifest.Shard != nil {
				shard = *s.Manifest.Shard
			}
			return printMatrix(stdout, s.Manifest.Definition, s.Configs, shard, nil)
		}
		return sweep(ctx, s, f, command, stdout, stderr)
	}
	if f.retryFailed {
		return usageErrorf("--retry-failed goes with --resume DIR")
	}

	var e *experiments.Experiment
	source := "built-in"
	switch {
	case f.file != "" && len(rest) > 0:
		return usageErrorf("give either an experiment's name or -f FILE, not both")
	case f.file != "":
		if e, err = experiments.Load(f.file); err != nil {
			if errors.Is(err, experiments.ErrInvalid) || errors.Is(err, os.ErrNotExist) {
				return usageErrorf("%v", err)
			}
			return err
		}
		source = f.file
	case len(rest) >= 1 && !slices.Contains(builtinNames(), rest[0]):
		return usageErrorf("%s", unknownExperiment(rest[0]))
	case len(rest) == 1:
		if e, err = experiments.Builtin(rest[0]); err != nil {
			return usageErrorf("%v", err)
		}
	case len(rest) == 0:
		return usageErrorf("which experiment? (built-in: %s; or -f FILE; --list describes them)", strings.Join(builtinNames(), ", "))
	default:
		return usageErrorf("one experiment at a time (got %q)", rest)
	}
	for _, s := range f.sets {
		if err := e.Set(s); err != nil {
			return usageErrorf("%v", strings.TrimPrefix(err.Error(), experiments.ErrInvalid.Error()+": "))
		}
	}
	var shard experiments.Shard
	if f.shard != "" {
		if shard, err = experiments.ParseShard(f.shard); err != nil {
			return usageErrorf("%v", strings.TrimPrefix(err.Error(), experiments.ErrInvalid.Error()+": "))
		}
	}
	configs, excl, err := e.Expand()
	if err != nil {
		return usageErrorf("%v", strings.TrimPrefix(err.Error(), experiments.ErrInvalid.Error()+": "))
	}
	if err := shard.Selects(len(configs)); err != nil {
		return usageErrorf("--shard %s: experiment %s: %v", f.shard, e.Name, err)
	}
	if f.show {
		b, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	if f.dryRun {
		return printMatrix(stdout, e, configs, shard, excl)
	}
	dir, flag := f.out, "--out"
	if dir == "" {
		if dir, err = defaultResultsDir(f.resultsDir, e.Name, shard); err != nil {
			return usageErrorf("--results: %v", err)
		}
		flag = "--results"
	}
	s, err := experiments.Create(dir, e, experiments.CreateOptions{Source: source, Overrides: f.sets, Shard: shard, Command: command})
	if errors.Is(err, experiments.ErrInvalid) || errors.Is(err, experiments.ErrBusy) {
		return usageErrorf("%s: %v", flag, err)
	}
	if err != nil {
		return err
	}
	return sweep(ctx, s, f, command, stdout, stderr)
}

// unknownExperiment says that name is neither a built-in experiment nor a subcommand, and
// names the one it most likely meant.
func unknownExperiment(name string) string {
	subs := []string{"merge", "summary", "compact", "gobench"}
	msg := fmt.Sprintf("unknown experiment %q (built-in: %s; subcommands of `dustm experiment`: %s; or -f FILE)",
		name, strings.Join(builtinNames(), ", "), strings.Join(subs, ", "))
	best, bestD := "", 3
	for _, c := range append(subs, builtinNames()...) {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return msg
}

// editDistance is the Levenshtein distance of two short words.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func builtinNames() []string {
	var names []string
	for _, e := range experiments.Builtins() {
		names = append(names, e.Name)
	}
	return names
}

// defaultResultsDir is RESULTS/NAME/TIMESTAMP (UTC), with the shard in the name; a folder of
// the same second gets a suffix. A RESULTS that is not a folder, or that cannot be read, is
// an error.
func defaultResultsDir(base, name string, shard experiments.Shard) (string, error) {
	if st, err := os.Stat(base); err == nil && !st.IsDir() {
		return "", fmt.Errorf("%s is a file, not a folder: name the folder where results folders go (it is created if it does not exist)", base)
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	if shard.Count > 0 {
		stamp += fmt.Sprintf("-shard-%d-of-%d", shard.Index, shard.Count)
	}
	dir := filepath.Join(base, name, stamp)
	for i := 2; i < 1000; i++ {
		_, err := os.Stat(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return dir, nil
		case err != nil: // a file on the way (ENOTDIR), a folder that cannot be read (EACCES)
			return "", fmt.Errorf("cannot use %s: %v", dir, unwrapPath(err))
		}
		dir = filepath.Join(base, name, fmt.Sprintf("%s-%d", stamp, i))
	}
	return "", fmt.Errorf("%s already holds 1000 folders of this second; name one with -o", filepath.Join(base, name))
}

// unwrapPath is a file error without the path, which the message gives.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

// sweep runs a sweep's remaining runs, then writes its summary, figures and report.
func sweep(ctx context.Context, s *experiments.Sweep, f *experimentFlags, command []string, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run its bench subcommand: %w", err)
	}
	// The folder is this process's until the summary and the figures are written.
	if err := s.Lock(strings.Join(command, " ")); err != nil {
		if errors.Is(err, experiments.ErrBusy) {
			return usageErrorf("%v", err)
		}
		return err
	}
	defer s.Unlock()
	r := &experiments.Runner{Exe: exe, Progress: stderr, Timeout: f.timeout, RetryFailed: f.retryFailed, Command: command}
	o, runErr := r.Run(ctx, s)
	if runErr != nil {
		return runErr
	}
	// The summary of whatever exists, even after an interruption.
	report := filepath.Join(s.Dir, plots.ReportFile)
	if f.noPlot || s.Manifest.Shard != nil {
		report = ""
		folder, _, err := experiments.WriteSummary(s.Dir)
		printWarnings(stderr, folder)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results: %s\nsummary: %s\n", s.Dir, filepath.Join(s.Dir, experiments.SummaryFile))
		if s.Manifest.Shard != nil {
			fmt.Fprintf(stdout, "this is shard %s: merge the shards' folders with `dustm experiment merge DIR…` to draw the figures\n", s.Manifest.Shard)
		}
	} else {
		w, err := plots.Write(s.Dir, plots.Options{})
		if w != nil {
			printWarnings(stderr, w.Folder)
		}
		if err != nil {
			return err
		}
		reportWritten(stdout, w)
	}
	switch {
	case o.Interrupted:
		return fmt.Errorf("interrupted; resume with: dustm experiment --resume %s", s.Dir)
	case (o.Failed > 0 || o.Kept > 0) && report != "":
		return fmt.Errorf("%d of %d runs failed (see %s)", o.Failed+o.Kept, o.Planned, report)
	case o.Failed > 0 || o.Kept > 0:
		return fmt.Errorf("%d of %d runs failed (why: above, and in the %s of each failed run under %s)",
			o.Failed+o.Kept, o.Planned, experiments.FailedFile, filepath.Join(s.Dir, "runs"))
	}
	return nil
}

// reportWritten tells where a drawing went.
func reportWritten(stdout io.Writer, w *plots.Written) {
	dir := w.Folder.Dir
	fmt.Fprintf(stdout, "results: %s\nsummary: %s\nfigures: %d in %s\nreport:  %s\n", dir, filepath.Join(dir, experiments.SummaryFile),
		len(w.Figures), filepath.Join(dir, plots.FiguresDir), w.Report)
	for _, sk := range w.Skipped {
		if w.Folder.Manifest != nil && slices.Contains(w.Folder.Manifest.Definition.Figures, sk.Figure) && !skippedElsewhere(w, sk) {
			fmt.Fprintf(stdout, "not drawn: %s (part %s): %s\n", sk.Figure, sk.Part, sk.Reason)
		}
	}
	// The findings last, where a reader of the terminal looks first.
	if lines := plots.FindingsText(w.Findings); len(lines) > 0 {
		fmt.Fprintln(stdout, "findings:")
		for _, l := range lines {
			fmt.Fprintln(stdout, "  "+l)
		}
	}
}

// skippedElsewhere reports a skipped figure that another part of the folder did draw (in
// multi-part experiments each part supports some figures).
func skippedElsewhere(w *plots.Written, sk plots.Skipped) bool {
	for _, fig := range w.Figures {
		if fig.Name == sk.Figure || strings.HasSuffix(fig.Name, "-"+sk.Figure) {
			return true
		}
	}
	return false
}

func listExperiments(stdout io.Writer) error {
	for _, e := range experiments.Builtins() {
		configs, _, err := e.Expand()
		if err != nil {
			return err
		}
		est := time.Duration(0)
		for i := range configs {
			est += configs[i].Estimate()
		}
		est *= time.Duration(e.Reps())
		fmt.Fprintf(stdout, "%s — %d configurations × %d repetitions, about %s\n", e.Name, len(configs), e.Reps(), roundDuration(est))
		fmt.Fprintf(stdout, "    %s\n\n", wrap(e.Description, 96, "    "))
	}
	fmt.Fprintln(stdout, "Run one with `dustm experiment NAME`; `--dry-run` prints its matrix, `--show` its definition.")
	return nil
}

func listKeys(stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tDEFAULT\tACCEPTS\tWHAT")
	for _, k := range experiments.Keys() {
		key := k.Key
		if len(k.Aliases) > 0 {
			key += " (" + strings.Join(k.Aliases, ", ") + ")"
		}
		def := k.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", key, k.Kind, def, k.Accepts, k.Help)
	}
	fmt.Fprintf(tw, "repetitions\t\t%d\ta whole number from 1 to %d\thow often every configuration runs\n", experiments.DefaultRepetitions, experiments.MaxRepetitions)
	fmt.Fprintf(tw, "timeout\t\t-\tseconds or a duration (10m), %s\tthe longest one run may take\n", experiments.TimeoutRange())
	return tw.Flush()
}

// printMatrix is --dry-run: every configuration of the shard with its command line, the
// rules' exclusions, and the expected running time. It lists configurations, not runs: it
// materializes nothing beyond what it prints.
func printMatrix(stdout io.Writer, e *experiments.Experiment, configs []experiments.Config, shard experiments.Shard, excl []experiments.Exclusion) error {
	in := map[*experiments.Config]bool{}
	est := time.Duration(0)
	for i := range configs {
		if shard.Contains(configs[i].Index) {
			in[&configs[i]] = true
			est += configs[i].Estimate() * time.Duration(e.Reps())
		}
	}
	fmt.Fprintf(stdout, "%s: %d configurations × %d repetitions = %d runs, about %s\n\n", e.Name, len(in), e.Reps(), len(in)*e.Reps(), roundDuration(est))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCONFIGURATION\tRUNS AS")
	for i := range configs {
		c := &configs[i]
		if !in[c] {
			continue
		}
		how := "dustm bench " + strings.Join(c.BenchArgs(), " ")
		switch c.Kind {
		case experiments.KindMicro:
			how = "go test -bench (" + c.Params.String() + ")"
		case experiments.KindKV:
			how = c.KVCommand()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", c.Index+1, c.ID(), how)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range excl {
		fmt.Fprintf(stdout, "left out of part %s: %d combinations (%s)\n", x.Part, x.Count, x.Rule)
	}
	return nil
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Hour:
		return d.Round(time.Minute)
	case d > time.Minute:
		return d.Round(10 * time.Second)
	}
	return d.Round(time.Second)
}

// wrap breaks text into lines of at most width characters, indenting the continuation.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

func runExperimentMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("experiment merge", stdout)
	out := fs.StringP("out", "o", "", "the merged results folder (default RESULTS/NAME/TIMESTAMP-merged)")
	resultsDir := fs.String("results", "results", "where results folders go by default")
	noPlot := fs.Bool("no-plot", false, "write the summary but not the figures and REPORT.md")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: dustm experiment merge [-o DIR] DIR…")
		fmt.Fprintln(stdout, "\nMerges the results folders of a sweep's shards (same experiment, definition and commit) into one, then summarizes and draws it.")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := noEmptyValues(fs); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: which folders? (the shards' results folders)")
	}
	var first *experiments.Manifest
	for _, dir := range fs.Args() {
		m, err := experiments.ReadManifest(dir)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if first == nil {
			first = m
		}
	}
	dest := *out
	if dest == "" {
		dest = filepath.Join(*resultsDir, first.Experiment, time.Now().UTC().Format("20060102-150405")+"-merged")
	}
	s, notes, err := experiments.Merge(dest, fs.Args(), append([]string{"dustm", "experiment", "merge"}, args...))
	if err != nil {
		if errors.Is(err, experiments.ErrInvalid) {
			return usageErrorf("%v", strings.TrimPrefix(err.Error(), experiments.ErrInvalid.Error()+": "))
		}
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	if *noPlot {
		folder, _, err := experiments.WriteSummary(s.Dir)
		printWarnings(stderr, folder)
		if err == nil {
			fmt.Fprintf(stdout, "results: %s\n", s.Dir)
		}
		return err
	}
	w, err := plots.Write(s.Dir, plots.Options{})
	if w != nil {
		printWarnings(stderr, w.Folder)
	}
	if err != nil {
		return err
	}
	reportWritten(stdout, w)
	return nil
}

// oneFolder checks the arguments of a subcommand that takes one results folder: it prints the
// usage for -h (done), and refuses anything but one existing results folder.
func oneFolder(cmd, usage string, args []string, stdout io.Writer) (done bool, err error) {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, usage)
		return true, nil
	}
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return false, usageErrorf("%s takes one results folder\n%s", cmd, usage)
	}
	if _, err := experiments.ReadManifest(args[0]); err != nil {
		return false, usageErrorf("%v", err)
	}
	return false, nil
}

func runExperimentSummary(args []string, stdout, stderr io.Writer) error {
	usage := "usage: dustm experiment summary DIR   (rewrites DIR/summary.csv from the runs)"
	if done, err := oneFolder("summary", usage, args, stdout); done || err != nil {
		return err
	}
	f, s, err := experiments.WriteSummary(args[0])
	printWarnings(stderr, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d configurations\n", filepath.Join(args[0], experiments.SummaryFile), len(s.Rows))
	return nil
}

func runExperimentCompact(args []string, stdout, stderr io.Writer) error {
	usage := "usage: dustm experiment compact DIR   (gzips the runs' series and outputs; every reader still reads them)"
	if done, err := oneFolder("compact", usage, args, stdout); done || err != nil {
		return err
	}
	saved, skipped, err := experiments.Compact(args[0])
	if errors.Is(err, experiments.ErrBusy) {
		return usageErrorf("compact: %v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %.1f MiB saved\n", args[0], float64(saved)/(1<<20))
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d runs that did not end (running or interrupted) are left as they are\n", skipped)
	}
	return nil
}

func runExperimentGoBench(args []string, stdout, stderr io.Writer) error {
	usage := "usage: dustm experiment gobench DIR > FILE   (the bench runs as Go benchmark lines, for benchstat FILE-A FILE-B)"
	if done, err := oneFolder("gobench", usage, args, stdout); done || err != nil {
		return err
	}
	f, err := experiments.LoadFolder(args[0])
	if err != nil {
		return err
	}
	n, err := experiments.WriteGoBench(stdout, f)
	printWarnings(stderr, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d runs\n", args[0], n)
	return nil
}
