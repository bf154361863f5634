// Command dustm is the one command-line program of the project: it runs the STM demo, the
// STMBench7 port, upgrade experiments, and draws and compares results. Each subcommand has its
// own flags; `dustm help` lists them.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/internal/outfile"
	"dustm/stmbench7/bench"
)

// command is one subcommand. run gets the arguments after the subcommand's name and the two
// output streams; it returns an error for the user, or errUsage-wrapped errors for bad input.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// errUsage marks errors caused by bad command-line input: they exit with status 2.
var errUsage = errors.New("usage")

func usageErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// parseFlags parses a command's flags; help reports -h/--help (the usage is already printed,
// on the flag set's output: stdout, as for `dustm --help`), and a bad flag comes back as a
// usage error. -s, the Java reference's flag for its STM class, is answered with what to use
// instead.
func parseFlags(fs *pflag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		if strings.Contains(err.Error(), "shorthand flag: 's' in -s") {
			return false, usageErrorf("-s (the Java reference's STM class) has no equivalent: choose the synchronization with -g stm or -g stm-plain, and the commit algorithm with --stm-commit lock|lockfree")
		}
		return false, usageErrorf("%v", err)
	}
	return false, nil
}

// newFlagSet makes a command's flag set: errors come back to the caller, help and defaults
// are printed on stdout.
func newFlagSet(name string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.SortFlags = false
	return fs
}

func commands() []command {
	return []command{
		{"demo", "a short demonstration of the multi-version STM (concurrent bank transfers)", runDemo},
		{"bench", "run STMBench7: the reference's options and report, plus result files and checks", runBench},
		{"experiment", "run a named experiment (a sweep of bench runs, each in a fresh process), summarize and draw it", runExperiment},
		{"plot", "draw a results folder's figures (PNG, SVG) and write its REPORT.md", runPlot},
		{"compare", "compare two results side by side, per metric, with a test against the noise", runCompare},
		{"kv", "kv serve: a Redis-protocol key-value server on the upgrade engine, upgradable live", runKV},
	}
}

// subcommands are `dustm experiment`'s own subcommands, listed in the top-level help.
var subcommands = []struct{ name, summary string }{
	{"experiment merge", "merge the results folders of a sweep's shards, then summarize and draw them"},
	{"experiment summary", "rewrite a results folder's summary.csv (and summary-long.csv) from its runs"},
	{"experiment compact", "gzip the bulky files of a results folder (every reader still reads them)"},
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
	for _, c := range cmds {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(stderr, "dustm %s: %s\n", c.name, userMessage(err))
				return 2
			default:
				fmt.Fprintf(stderr, "dustm %s: %s\n", c.name, userMessage(err))
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "dustm: unknown command %q (commands: %s; see `dustm help`)\n", args[0], strings.Join(commandNames(cmds), ", "))
	return 2
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
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return dispatch([]string{c.name, "--help"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "dustm help: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(cmds), ", "))
	return 2
}

// commandNames are the commands' names, sorted.
func commandNames(cmds []command) []string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	sort.Strings(names)
	return names
}

// userMessage is an error as the user reads it: without the sentinels' texts that mark the
// kind of error for the program (usage, invalid experiment, bad output path, …).
func userMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	for _, s := range []error{experiments.ErrInvalid, experiments.ErrBusy, outfile.ErrPath, bench.ErrInvalidConfig} {
		msg = strings.ReplaceAll(msg, s.Error()+": ", "")
	}
	return msg
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "dustm: atomic dynamic software upgrades on a multi-version STM")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: dustm <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-20s %s\n", "version", "the module version and VCS revision of this program (also --version)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Durations are seconds as a plain number (2.5) or a Go duration (2500ms, 1m30s), for every flag.")
	fmt.Fprintln(w, "Result files: a regular file is replaced atomically, a symbolic link followed, a FIFO or device")
	fmt.Fprintln(w, "written through, - is standard output.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `dustm <command> --help` for a command's flags.")
}

// versionText is `dustm --version`: the module's version and the VCS revision the binary was
// built from (as the build stamped them), else the commit git reports for this tree.
func versionText() string {
	version, revision, modified, goVersion := "(devel)", "", "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
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
