//go:build !race

package stmbench7

const raceEnabled = false
