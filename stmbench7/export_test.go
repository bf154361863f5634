package stmbench7

// RaceEnabled tells the external tests (package stmbench7_test) whether the race detector is on.
const RaceEnabled = raceEnabled
