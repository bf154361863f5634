// Command dustm is the one command-line program of the project: it runs the STM demo, the
// STMBench7 port, upgrade experiments, and draws and compares results. Each subcommand has its
// own flags; `dustm help` lists them.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
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

// parseFlags parses a command's flags; help reports -h/--help (the usage is already printed),
// and a bad flag comes back as a usage error.
func parseFlags(fs *pflag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		return false, usageErrorf("%v", err)
	}
	return false, nil
}

func commands() []command {
	return []command{
		{"demo", "a short demonstration of the multi-version STM (concurrent bank transfers)", runDemo},
		{"bench", "run STMBench7: the reference's options and report, plus result files and checks", runBench},
		{"experiment", "run a named experiment (a sweep of bench runs, each in a fresh process), summarize and draw it", runExperiment},
		{"plot", "draw a results folder's figures (PNG, SVG) and write its REPORT.md", runPlot},
		{"compare", "compare two results side by side, per metric, with a test against the noise", runCompare},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout, cmds)
		return 0
	}
	for _, c := range cmds {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(stderr, "dustm %s: %v\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
				return 2
			default:
				fmt.Fprintf(stderr, "dustm %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "dustm: unknown command %q (commands: %s; see `dustm help`)\n", args[0], strings.Join(names, ", "))
	return 2
}

func printHelp(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "dustm: atomic dynamic software upgrades on a multi-version STM")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: dustm <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `dustm <command> --help` for a command's flags.")
}
