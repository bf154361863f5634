//go:build race

package stmbench7

// raceEnabled: the race detector slows the big structure's tests too much; they are skipped.
const raceEnabled = true
