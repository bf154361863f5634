package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// sameEvent is how long after the first SIGINT or SIGTERM further ones count as the same
// event: timeout(1) signals the process and then its whole group, and a terminal's Ctrl-C
// reaches every process of the foreground group, so one request can arrive twice.
const sameEvent = time.Second

// interruptContext returns a context cancelled by the first SIGINT or SIGTERM, for a command
// that stops cleanly on it. Signals within sameEvent of the first are that request's; after
// that the default handling is restored, so that another signal kills the process. stop
// releases the signals.
func interruptContext() (ctx context.Context, stop func()) {
	ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		time.Sleep(sameEvent) // the signals stay caught (and dropped) until stop
		stop()
	}()
	return ctx, stop
}

// interruptible runs a command that stops cleanly on the first SIGINT or SIGTERM
// (interruptContext) and finishes its result files whatever happens to its standard output.
func interruptible(run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) func([]string, io.Writer, io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		keepWritingFiles()
		ctx, stop := interruptContext()
		defer stop()
		return run(ctx, args, stdout, stderr)
	}
}

// keepWritingFiles makes a closed standard output (`dustm bench … | head -1`) an error of the
// writes to it instead of a SIGPIPE that kills the process before its result files are in
// place: the commands that write files finish them whatever happens to their report.
func keepWritingFiles() { signal.Ignore(syscall.SIGPIPE) }
