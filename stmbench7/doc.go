// Package stmbench7 is a faithful Go port of STMBench7 (Guerraoui, Kapałka, Vitek, EuroSys 2007;
// reference: the Java implementation, version 1.2), with pluggable synchronization.
//
// The object graph (objects.go) and the 45 operations (op_*.go) are written once. Operations
// never touch an object's mutable state directly: they go through a [Tx], the view one atomic
// unit has of the structure. Each synchronization backend implements Tx over its own storage:
//
//   - none, coarse and medium keep every object's mutable state in a plain field, read and
//     written in place under the backend's locks (a global reader-writer lock for coarse, the
//     reference's lock set for medium), so they pay nothing for the STM;
//   - stm-plain keeps it in a versioned box of the project's STM;
//   - stm keeps it in an upgradable object of the upgrade engine, whose operations are the code
//     of program version 1 and can be upgraded while the benchmark runs.
//
// An object's identity, its immutable fields (ids, types, links that never change) and its
// connections are plain Go fields shared by every backend.
//
// Randomness reproduces java.util.Random (package jrand) and is drawn in the reference's order,
// so a one-thread run with the reference's seed executes the reference's operation sequence.
package stmbench7
