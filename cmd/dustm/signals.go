package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
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
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(ch)
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		t := time.NewTimer(sameEvent)
		defer t.Stop()
		for {
			select {
			case <-ch: // the same request, delivered again
			case <-t.C:
				return
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(done) })
		cancel()
	}
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
