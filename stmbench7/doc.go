// Package stmbench7 is a faithful Go port of STMBench7 (Guerraoui, Kapałka, Vitek, EuroSys 2007;
// reference: the Java implementation, version 1.2), with pluggable synchronization.
//
// The object graph (objects.go) and the 45 operations (op_*.go) are written once. Operations
// never touch an object's mutable state directly: they go through a [Tx], the view one atomic
// unit has of the structure. Its state half is the reference's design-object classes of
// program version 1, written once too (classes.go) against a small storage abstraction, a
// states adapter that reads and modifies one object's state; its index half is the backend's
// indexes and id pools. Each backend's Tx is that class code over its own adapter:
//
//   - none, coarse and medium keep every object's mutable state in a plain field, read and
//     written in place (no adapter) under the backend's locks (a global reader-writer lock for
//     coarse, the reference's lock set for medium), so they pay nothing for the STM;
//   - stm-plain keeps it in versioned boxes of the project's STM: one box per object
//     (LayoutObject, the default) or one per field (LayoutField, as the INESC STMBench7 on
//     JVSTM);
//   - stm keeps it in an upgradable object of the upgrade engine, so the benchmark can be
//     upgraded while it runs: a later program version gives the classes it changes a new
//     adapter (a new shape under the same class code) or new methods (scenario_steps.go).
//
// An object's identity, its immutable fields (ids, types, links that never change) and its
// connections are plain Go fields shared by every backend; its mutable state is only in its
// own backend's representation, allocated in front of it (cell, objects.go), so that lock
// backends' objects carry none of the STM's or the engine's fields and no backend pays a
// load to reach its representation.
//
// What every backend shares:
//
//   - builder.go: [Build], the setup, and the reference's builder classes, which the structural
//     modifications reuse to create and delete objects (keeping indexes and id pools
//     consistent, rolling back what an operation built when an id pool runs out);
//   - op_*.go: the operations, registered in optable.go, with the reference's semantics,
//     results, failures (errors wrapping [ErrOperationFailed]) and order of random draws;
//   - state.go: the state logic (date updates, text edits, bags and sets), pure functions
//     that never modify a slice or string in place, which the class code applies;
//   - scratch.go: a worker's reusable memory (visited sets), so operations allocate nothing;
//   - invariants.go: [CheckInvariants], the reference's structural invariant check, and more;
//   - canonical.go: [Canonical], a backend-independent [Snapshot] of a whole structure, and
//     [Snapshot.Diff], which the replay check uses to compare structures.
//
// The lock backends are in tx_plain.go and plainstore.go (their Tx and storage),
// backend_plain.go (none, coarse) and backend_medium.go (medium); the STM backends in
// tx_stm.go and stmstore.go (stm-plain's Tx, adapters and storage), tx_upg.go (stm's Tx,
// adapters and program versions) and backend_stm.go.
//
// Randomness reproduces java.util.Random (package jrand) and is drawn in the reference's order,
// and every method keeps a failed operation's effects as the reference does (the STM methods
// commit them), so a one-thread run with the reference's seed executes the reference's
// operation sequence. TestMatchesJavaReference checks it through the runner that dustm bench
// uses: the structure built with seed 3 is byte-identical to the Java reference's (by hash),
// and on every method and both STM commit algorithms, in every workload with and without long
// traversals and structural modifications, the operations and their results, failures
// included, equal the Java reference's trace over the first thousands of operations (a few
// hundred or fewer with long traversals, which are slow; testdata/README.md says how the
// traces were made and how to run the check deeper).
package stmbench7
