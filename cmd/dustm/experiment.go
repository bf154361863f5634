package main

import (
	"cmp"
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

	"dustm/analysis"
	"dustm/experiments"
	"dustm/internal/duration"
	"dustm/internal/outfile"
	"dustm/plots"
)

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
	usage := []string{"usage: dustm experiment NAME [flags]          run a built-in experiment",
		"       dustm experiment -f FILE [flags]        run an experiment defined in a JSON file",
		"       dustm experiment --resume DIR           continue an interrupted sweep",
		"       dustm experiment --list | --keys        what there is"}
	for _, c := range experimentCommands() {
		usage = append(usage, fmt.Sprintf("       %-39s %s", "dustm experiment "+c.name+" "+c.args, c.summary))
	}
	fs := newFlagSet("experiment", stdout, append(usage, "",
		"Runs every configuration of the experiment's matrix in a fresh process of `dustm bench`, repeated,",
		"into RESULTS/NAME/TIMESTAMP/ (every run's result JSON, series and output, a manifest, summary.csv),",
		"then draws its figures and REPORT.md (as `dustm plot`). Progress goes to stderr.\n")...)
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
	help, err := parseFlags(fs, args, noEmptyValues)
	f.help = help
	return &f, fs.Args(), err
}

// runExperimentContext is `dustm experiment`: run a named experiment (a sweep of `dustm
// bench` configurations, each in a fresh process), summarize it and draw its figures. When ctx
// ends (the first SIGINT or SIGTERM) the sweep stops cleanly: the current run is interrupted,
// the folder stays resumable, the summary of what exists is written.
func runExperimentContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, rest, err := parseExperimentFlags(args, stdout)
	switch {
	case err != nil || f.help:
		return err
	case f.list:
		return listExperiments(stdout)
	case f.keys:
		return listKeys(stdout)
	}
	command := append([]string{"dustm", "experiment"}, args...)
	if f.resume != "" {
		return resume(ctx, f, rest, command, stdout, stderr)
	}
	if f.retryFailed {
		return usageErrorf("--retry-failed goes with --resume DIR")
	}
	e, source, err := chooseExperiment(f, rest)
	if err != nil {
		return err
	}
	shard, configs, excl, err := expand(e, f)
	switch {
	case err != nil:
		return err
	case f.show:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	case f.dryRun:
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
	} else if err != nil {
		return err
	}
	return sweep(ctx, s, f, command, stdout, stderr)
}

// resume is --resume DIR: the sweep of a results folder, as it was defined.
func resume(ctx context.Context, f *experimentFlags, rest, command []string, stdout, stderr io.Writer) error {
	if len(rest) > 0 || f.file != "" || len(f.sets) > 0 || f.shard != "" || f.out != "" {
		return usageErrorf("--resume continues a sweep as it was defined: it takes no NAME, -f, --set, --shard or --out")
	}
	s, err := experiments.Open(f.resume)
	if err == nil {
		err = s.CheckDefinition()
	}
	if err != nil {
		return usageErrorf("--resume: %v", err)
	}
	if f.dryRun {
		return printMatrix(stdout, s.Manifest.Definition, s.Configs, s.Manifest.Selection(), nil)
	}
	return sweep(ctx, s, f, command, stdout, stderr)
}

// chooseExperiment is the experiment the command line names (built-in, or -f FILE), with
// its --set overrides applied, and where it came from.
func chooseExperiment(f *experimentFlags, rest []string) (*experiments.Experiment, string, error) {
	var e *experiments.Experiment
	var err error
	source := "built-in"
	switch {
	case f.file != "" && len(rest) > 0:
		return nil, "", usageErrorf("give either an experiment's name or -f FILE, not both")
	case f.file != "":
		if e, err = experiments.Load(f.file); err != nil {
			return nil, "", usageIf(err, experiments.ErrInvalid, os.ErrNotExist)
		}
		if slices.Contains(reservedExperimentNames(), e.Name) {
			return nil, "", usageErrorf("%s: name %q is a subcommand of `dustm experiment` (reserved: %s)", f.file, e.Name, strings.Join(reservedExperimentNames(), ", "))
		}
		source = f.file
	case len(rest) >= 1 && !slices.Contains(builtinNames(), rest[0]):
		return nil, "", usageErrorf("%s", unknownExperiment(rest[0]))
	case len(rest) == 1:
		if e, err = experiments.Builtin(rest[0]); err != nil {
			return nil, "", usageErrorf("%v", err)
		}
	case len(rest) == 0:
		return nil, "", usageErrorf("which experiment? (built-in: %s; or -f FILE; --list describes them)", strings.Join(builtinNames(), ", "))
	default:
		return nil, "", usageErrorf("one experiment at a time (got %q)", rest)
	}
	for _, s := range f.sets {
		if err := e.Set(s); err != nil {
			return nil, "", usageIf(err, experiments.ErrInvalid)
		}
	}
	return e, source, nil
}

// expand is the experiment's matrix and the shard of it that --shard selects.
func expand(e *experiments.Experiment, f *experimentFlags) (shard experiments.Shard, configs []experiments.Config, excl []experiments.Exclusion, err error) {
	if f.shard != "" {
		if shard, err = experiments.ParseShard(f.shard); err != nil {
			return shard, nil, nil, usageIf(err, experiments.ErrInvalid)
		}
	}
	if configs, excl, err = e.Expand(); err != nil {
		return shard, nil, nil, usageIf(err, experiments.ErrInvalid)
	}
	if err := shard.Selects(len(configs)); err != nil {
		return shard, nil, nil, usageErrorf("--shard %s: experiment %s: %v", f.shard, e.Name, err)
	}
	return shard, configs, excl, nil
}

// unknownExperiment says that name is neither a built-in experiment nor a subcommand, and
// names the one it most likely meant.
func unknownExperiment(name string) string {
	subs := reservedExperimentNames()[1:]
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
			return "", fmt.Errorf("cannot use %s: %v", dir, outfile.WithoutPath(err))
		}
		dir = filepath.Join(base, name, fmt.Sprintf("%s-%d", stamp, i))
	}
	return "", fmt.Errorf("%s already holds 1000 folders of this second; name one with -o", filepath.Join(base, name))
}

// sweep runs a sweep's remaining runs, then writes its summary, figures and report.
func sweep(ctx context.Context, s *experiments.Sweep, f *experimentFlags, command []string, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run its bench subcommand: %w", err)
	}
	// The folder is this process's until the summary and the figures are written.
	if err := s.Lock(strings.Join(command, " ")); err != nil {
		return usageIf(err, experiments.ErrBusy)
	}
	defer s.Unlock()
	r := &experiments.Runner{Exe: exe, Progress: stderr, Timeout: f.timeout, RetryFailed: f.retryFailed, Command: command}
	o, err := r.Run(ctx, s)
	if err != nil {
		return err
	}
	// The summary of whatever exists, even after an interruption.
	report, err := draw(s.Dir, f.noPlot || s.Manifest.Shard != nil, false, plots.Options{}, stdout, stderr)
	if err != nil {
		return err
	}
	if s.Manifest.Shard != nil {
		fmt.Fprintf(stdout, "this is shard %s: merge the shards' folders with `dustm experiment merge DIR…` to draw the figures\n", s.Manifest.Shard)
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

// draw writes a results folder's summary (force: even over one that counts more runs) and,
// unless noPlot, its figures and REPORT.md (whose path it returns), and tells where they went.
func draw(dir string, noPlot, force bool, o plots.Options, stdout, stderr io.Writer) (report string, err error) {
	f, s, err := analysis.WriteSummary(dir, analysis.SummaryOptions{Force: force})
	var w *plots.Written
	if err == nil && !noPlot {
		w, err = plots.Write(f, s, o)
	}
	printWarnings(stderr, f) // after drawing, which warns of damaged series too
	switch {
	case err != nil:
		return "", err
	case noPlot:
		fmt.Fprintf(stdout, "results: %s\nsummary: %s\n", dir, filepath.Join(dir, experiments.SummaryFile))
		return "", nil
	}
	reportWritten(stdout, w)
	return w.Report, nil
}

// reportWritten tells where a drawing went, and what it found.
func reportWritten(stdout io.Writer, w *plots.Written) {
	dir := w.Folder.Dir
	fmt.Fprintf(stdout, "results: %s\nsummary: %s\nfigures: %d in %s\nreport:  %s\n", dir, filepath.Join(dir, experiments.SummaryFile),
		len(w.Figures), filepath.Join(dir, plots.FiguresDir), w.Report)
	for _, sk := range w.Skipped {
		if w.Folder.Manifest != nil && slices.Contains(w.Folder.Manifest.Definition.Figures, sk.Figure) && !drawnElsewhere(w, sk) {
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

// drawnElsewhere reports a skipped figure that another part of the folder did draw (in
// multi-part experiments each part supports some figures).
func drawnElsewhere(w *plots.Written, sk plots.Skipped) bool {
	return slices.ContainsFunc(w.Figures, func(fig *plots.Figure) bool {
		return fig.Name == sk.Figure || strings.HasSuffix(fig.Name, "-"+sk.Figure)
	})
}

// estimate is the expected running time of the configurations the shard selects.
func estimate(e *experiments.Experiment, configs []experiments.Config, shard experiments.Shard) (n int, d time.Duration) {
	for i := range configs {
		if shard.Contains(configs[i].Index) {
			n++
			d += configs[i].Estimate() * time.Duration(e.Reps())
		}
	}
	switch {
	case d > time.Hour:
		return n, d.Round(time.Minute)
	case d > time.Minute:
		return n, d.Round(10 * time.Second)
	}
	return n, d.Round(time.Second)
}

func listExperiments(stdout io.Writer) error {
	for _, e := range experiments.Builtins() {
		configs, _, err := e.Expand()
		if err != nil {
			return err
		}
		_, est := estimate(e, configs, experiments.Shard{})
		fmt.Fprintf(stdout, "%s — %d configurations × %d repetitions, about %s\n", e.Name, len(configs), e.Reps(), est)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", key, k.Kind, cmp.Or(k.Default, "-"), k.Accepts, k.Help)
	}
	fmt.Fprintf(tw, "repetitions\t\t%d\ta whole number from 1 to %d\thow often every configuration runs\n", experiments.DefaultRepetitions, experiments.MaxRepetitions)
	fmt.Fprintf(tw, "timeout\t\t-\tseconds or a duration (10m), %s\tthe longest one run may take\n", experiments.TimeoutRange())
	return tw.Flush()
}

// printMatrix is --dry-run: every configuration of the shard with its command line, the
// rules' exclusions, and the expected running time. It lists configurations, not runs: it
// materializes nothing beyond what it prints.
func printMatrix(stdout io.Writer, e *experiments.Experiment, configs []experiments.Config, shard experiments.Shard, excl []experiments.Exclusion) error {
	n, est := estimate(e, configs, shard)
	fmt.Fprintf(stdout, "%s: %d configurations × %d repetitions = %d runs, about %s\n\n", e.Name, n, e.Reps(), n*e.Reps(), est)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCONFIGURATION\tRUNS AS")
	for i := range configs {
		if c := &configs[i]; shard.Contains(c.Index) {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", c.Index+1, c.ID(), c.Command())
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range excl {
		fmt.Fprintf(stdout, "left out of part %s: %d combinations (%s)\n", x.Part, x.Count, x.Rule)
	}
	return nil
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
	fs := newFlagSet("experiment merge", stdout, "usage: dustm experiment merge [-o DIR] DIR…\n",
		"Merges the results folders of a sweep's shards (same experiment, definition and commit) into one, then summarizes and draws it.")
	out := fs.StringP("out", "o", "", "the merged results folder (default RESULTS/NAME/TIMESTAMP-merged)")
	resultsDir := fs.String("results", "results", "where results folders go by default")
	noPlot := fs.Bool("no-plot", false, "write the summary but not the figures and REPORT.md")
	if help, err := parseFlags(fs, args, noEmptyValues); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("merge: which folders? (the shards' results folders)")
	}
	dest := *out
	if dest == "" {
		first, err := experiments.ReadManifest(fs.Arg(0))
		if err != nil {
			return usageErrorf("%v", err)
		}
		dest = filepath.Join(*resultsDir, first.Experiment, time.Now().UTC().Format("20060102-150405")+"-merged")
	}
	s, notes, err := experiments.Merge(dest, fs.Args(), append([]string{"dustm", "experiment", "merge"}, args...))
	if err != nil {
		return usageIf(err, experiments.ErrInvalid)
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	_, err = draw(s.Dir, *noPlot, false, plots.Options{}, stdout, stderr)
	return err
}

// inFolder is a subcommand that takes one results folder: it prints the usage for -h, and
// refuses anything but one existing results folder before run.
func inFolder(name string, run func(dir string, stdout, stderr io.Writer) error) func([]string, io.Writer, io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		c := experimentCommands()[slices.IndexFunc(experimentCommands(), func(c command) bool { return c.name == name })]
		usage := fmt.Sprintf("usage: dustm experiment %s %s   (%s)", c.name, c.args, c.summary)
		switch {
		case len(args) == 1 && (args[0] == "-h" || args[0] == "--help"):
			_, err := fmt.Fprintln(stdout, usage)
			return err
		case len(args) != 1 || strings.HasPrefix(args[0], "-"):
			return usageErrorf("%s takes one results folder\n%s", name, usage)
		}
		if _, err := experiments.ReadManifest(args[0]); err != nil {
			return usageErrorf("%v", err)
		}
		return run(args[0], stdout, stderr)
	}
}

func experimentSummary(dir string, stdout, stderr io.Writer) error {
	f, s, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	printWarnings(stderr, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d configurations\n", filepath.Join(dir, experiments.SummaryFile), len(s.Rows))
	return nil
}

func experimentCompact(dir string, stdout, stderr io.Writer) error {
	saved, skipped, err := experiments.Compact(dir)
	if err != nil {
		return usageIf(err, experiments.ErrBusy)
	}
	fmt.Fprintf(stdout, "%s: %.1f MiB saved\n", dir, float64(saved)/(1<<20))
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d runs that did not end (running or interrupted) are left as they are\n", skipped)
	}
	return nil
}

func experimentGoBench(dir string, stdout, stderr io.Writer) error {
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		return err
	}
	n, err := analysis.WriteGoBench(stdout, f)
	printWarnings(stderr, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d runs\n", dir, n)
	return nil
}
