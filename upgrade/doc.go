// Package upgrade performs atomic dynamic upgrades of a program built on the project's STM:
// its code and the shape of its data change in one atomic step while it runs, and its objects
// are converted lazily, on first touch, from a pre-upgrade snapshot that the STM keeps pinned
// (Pina & Cachopo, HotSWUp 2012; the rules are in shared/spec/upgrades.md).
//
// A program is a sequence of versions ([Program]): each has its code (any value the program
// chooses, typically a struct of functions or an interface) and a shape for every upgradable
// [Class]. Every transaction run through the [Engine] reads the program version when it begins
// and runs the code of that version to its end; objects ([Object]) are read and written through
// the transaction, always in that version's shape.
//
// An [Upgrade] names the new code and, for every class whose shape changes, a [Transformer]
// from the old state (plus a read-only [View] of the pre-upgrade snapshot) to the new one.
// Committing it is one small inevitable transaction that writes the program version (commit
// version vU) and pins the snapshot vU−1. Then, by strategy:
//
//   - Lazy: an object is converted when a transaction of the new version first reads it. The
//     conversion reads the pinned snapshot only and installs its result as a body at version vU
//     (stm.Var.InstallAt), so it does not matter when, or by which transaction, it happens. The
//     pin is released once every object of a changed class has been converted and no
//     transaction or later upgrade's pin that began before the last conversion is still
//     running (such a one may yet meet an object in its old shape at its own snapshot).
//   - LazySweep: Lazy, plus background sweepers that convert the objects nobody touched.
//   - Eager: stop the world, convert everything inside the upgrade's own transaction, resume
//     (the paper's "immediate" conversion, the baseline). The conversions run on
//     Options.Workers goroutines (default GOMAXPROCS), recorded in MigrationStats.Workers.
//
// Objects of each class are found through a registry of weak pointers, so the engine can sweep,
// dry-run and check completion without stopping the program and without keeping dead objects
// alive.
//
// A small bank whose accounts change shape shows the whole API in example_test.go.
package upgrade
