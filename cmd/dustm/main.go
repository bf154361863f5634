// Command dustm is the one command-line program of the project: it runs the STM demo, the
// STMBench7 port, upgrade experiments, and draws and compares results. Every command and
// subcommand is listed once (commands): help, dispatch and the experiment names reserved for
// subcommands all come from that list.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/internal/outfile"
	"dustm/kv"
	"dustm/stmbench7/bench"
)

// command is one command or subcommand: run gets the arguments after its name and returns
// an error for the user, errUsage-wrapped for bad input. A command with subs runs the one its
// first argument names, else its own run.
type command struct {
	name, args, summary string // args: what follows the name, for the help
	run                 func(args []string, stdout, stderr io.Writer) error
	subs                []command
}

func commands() []command {
	return []command{
		{"demo", "[flags]", "a short demonstration of the multi-version STM (concurrent bank transfers)", runDemo, nil},
		{"bench", "[flags]", "run STMBench7: the reference's options and report, plus result files and checks", interruptible(runBenchContext), nil},
		{"experiment", "NAME [flags]", "run a named experiment (a sweep of bench runs, each in a fresh process), summarize and draw it", interruptible(runExperimentContext), []command{
			{"merge", "[-o DIR] DIR…", "merge the folders of a sweep's shards, or of sweeps that ran other values (their union), then summarize and draw them", runExperimentMerge, nil},
			{"summary", "DIR", "rewrite a results folder's summary.csv (and summary-long.csv) from its runs", inFolder("summary", experimentSummary), nil},
			{"compact", "DIR", "gzip the bulky files of a results folder (every reader still reads them)", inFolder("compact", experimentCompact), nil},
			{"gobench", "DIR > FILE", "the bench runs as Go benchmark lines, for benchstat FILE-A FILE-B", inFolder("gobench", experimentGoBench), nil},
		}},
		{"plot", "DIR|RUN…", "draw a results folder's figures (PNG, SVG) and write its REPORT.md", runPlot, nil},
		{"compare", "[flags] A B", "compare two results side by side, per metric, with a test against the noise", runCompare, nil},
		{"kv", "serve [flags]", "a Redis-protocol key-value server on the upgrade engine, upgradable live", runKV, []command{
			{"serve", "[flags]", "run the server until SIGINT or SIGTERM", interruptible(func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
				return runKVServe(ctx, args, stdout, stderr, nil)
			}), nil},
		}},
	}
}

// experimentCommands are the subcommands of `dustm experiment`.
func experimentCommands() []command { return commands()[2].subs }

// reservedExperimentNames are the names no experiment may take: `dustm experiment NAME` would
// run the subcommand instead.
func reservedExperimentNames() []string {
	names := []string{"help"}
	for _, c := range experimentCommands() {
		names = append(names, c.name)
	}
	return names
}

// errUsage marks errors caused by bad command-line input: they exit with status 2.
var errUsage = errors.New("usage")

func usageErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// usageIf marks err as bad input when it is of one of the kinds given; others stay failures.
func usageIf(err error, kinds ...error) error {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	return err
}

// parseFlags parses a command's flags, then makes the checks given in order; help reports
// -h/--help (the usage is printed on stdout). -s, the Java reference's flag for its STM
// class, is answered with what to use.
func parseFlags(fs *pflag.FlagSet, args []string, checks ...func(*pflag.FlagSet) error) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		if strings.Contains(err.Error(), "shorthand flag: 's' in -s") {
			return false, usageErrorf("-s (the Java reference's STM class) has no equivalent: choose the synchronization with -g stm or -g stm-plain, and the commit algorithm with --stm-commit lock|lockfree")
		}
		return false, usageErrorf("%v", err)
	}
	for _, check := range checks {
		if err := check(fs); err != nil {
			return false, err
		}
	}
	return false, nil
}

// newFlagSet makes a command's flag set: errors come back to the caller, the usage lines and
// the defaults are printed on stdout.
func newFlagSet(name string, stdout io.Writer, usage ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.SortFlags = false
	if len(usage) > 0 {
		fs.Usage = func() {
			fmt.Fprintln(stdout, strings.Join(usage, "\n"))
			fs.PrintDefaults()
		}
	}
	return fs
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

// noArgs refuses arguments after a command's flags.
func noArgs(fs *pflag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	switch {
	case len(args) == 0:
		printHelp(stderr, cmds)
		return 2
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		return help(args[1:], cmds, stdout, stderr)
	case (args[0] == "version" || args[0] == "--version") && len(args) > 1:
		fmt.Fprintf(stderr, "dustm %s: takes no arguments (got %q)\n", args[0], args[1:])
		return 2
	case args[0] == "version" || args[0] == "--version":
		fmt.Fprintln(stdout, versionText())
		return 0
	}
	i := slices.IndexFunc(cmds, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "dustm: unknown command %q (commands: %s; see `dustm help`)\n", args[0], strings.Join(commandNames(cmds), ", "))
		return 2
	}
	c, rest := cmds[i], args[1:]
	if len(rest) > 0 {
		if j := slices.IndexFunc(c.subs, func(s command) bool { return s.name == rest[0] }); j >= 0 {
			c.run, rest = c.subs[j].run, rest[1:]
		}
	}
	err := c.run(rest, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "dustm %s: %s\n", c.name, userMessage(err))
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// help is `dustm help [COMMAND]`: the commands, or one command's flags (as COMMAND --help).
func help(args []string, cmds []command, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0 || len(args) == 1 && (args[0] == "help" || args[0] == "version"):
		printHelp(stdout, cmds)
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "dustm help: takes at most one command's name (got %q)\n", args)
		return 2
	case !slices.Contains(commandNames(cmds), args[0]):
		fmt.Fprintf(stderr, "dustm help: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(cmds), ", "))
		return 2
	}
	return dispatch([]string{args[0], "--help"}, stdout, stderr)
}

// commandNames are the commands' names, sorted.
func commandNames(cmds []command) []string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	slices.Sort(names)
	return names
}

// userMessage is an error as the user reads it: without the sentinels' texts that mark the
// kind of error for the program (usage, invalid experiment, bad output path, …).
func userMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	for _, s := range []error{experiments.ErrInvalid, experiments.ErrBusy, outfile.ErrPath, bench.ErrInvalidConfig, kv.ErrConfig} {
		msg = strings.ReplaceAll(msg, s.Error()+": ", "")
	}
	return msg
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprint(w, "dustm: atomic dynamic software upgrades on a multi-version STM\n\nusage: dustm <command> [flags]\n\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-20s %s\n", c.name+" "+s.name, s.summary)
		}
	}
	fmt.Fprintf(w, "  %-20s %s\n", "version", "the module version and VCS revision of this program (also --version)")
	fmt.Fprint(w, `
Durations are seconds as a plain number (2.5) or a Go duration (2500ms, 1m30s), for every flag.
Result files: a regular file is replaced atomically, a symbolic link followed, a FIFO or device
written through, - is standard output.

Run `+"`dustm <command> --help`"+` for a command's flags.
`)
}

// versionText is `dustm --version`: the module's version and the VCS revision the build
// stamped, else the commit git reports for this tree.
func versionText() string {
	version, revision, modified, goVersion := "(devel)", "", "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				revision = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	if revision == "" {
		env := bench.CollectEnv(time.Now())
		revision = env.GitCommit + " (from git; not stamped in the binary)"
		if env.GitDirty != nil && *env.GitDirty {
			modified = " (modified)"
		}
	}
	return fmt.Sprintf("dustm %s, revision %s%s, %s", version, revision, modified, goVersion)
}
