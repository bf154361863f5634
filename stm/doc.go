// Package stm is a multi-version software transactional memory in the style of JVSTM
// (Cachopo & Rito-Silva 2006; Fernandes & Cachopo 2011).
//
// Every transactional location is a versioned box, [Var], holding a list of bodies, newest
// first, each tagged with the commit version that wrote it. A global clock counts committed
// read-write transactions.
//
//   - A read-only transaction takes the clock as its snapshot and reads, in every box, the newest
//     body not newer than the snapshot. It keeps no read set, never validates and never aborts.
//   - A read-write transaction reads its own pending writes first, otherwise the box's newest
//     body; if that body is newer than its snapshot it aborts at once (opacity: no transaction
//     ever sees an inconsistent state). Writes are buffered and installed at commit, after the
//     read set is validated against the newest committed state.
//
// Two commit algorithms share one API and are chosen when an [STM] is created: [LockBased]
// (JVSTM 1: one global commit lock) and [LockFree] (JVSTM 2: a queue of commit records that any
// committer helps to write back; write-back is idempotent).
//
// Version garbage collection (gc.go) keeps exactly the old bodies some active snapshot can read.
// Every transaction publishes its snapshot in a slot of its own (pinned snapshots hold one too),
// which bounds the floor: the oldest snapshot in use now or later that may read old versions
// (an optimistic read-write transaction reads only newest bodies, so its snapshot does not
// count; lock-free commit records have a floor of their own, held only while committing). A committer keeps the bodies
// it installed in a ring in its slot and, at every commit, cuts below those the floor has passed:
// no lock, and in the common case an old version dies a few commits after it was overwritten. A
// background collector takes what committers cannot settle (the rings and retired commit
// records of idle slots, overflows while a long reader or a pin holds the floor back, installs
// at past versions) and trims it against the snapshots actually held, so memory stays bounded
// even while a long reader keeps an old snapshot alive: only the bodies that snapshot actually
// reads survive, and once the reader ends, the next pass gives back the rest, whether or not
// anything commits again.
//
// For the upgrade engine the package also offers pinned snapshots ([Tx.Pin]), reads at a pinned
// snapshot ([Var.LoadAt]), installing a body at a chosen past version ([Var.InstallAt]),
// inevitable transactions ([STM.Inevitable]) and stopping the world ([STM.Exclusive]).
//
// Every entry point ([STM.Atomic], [STM.ReadOnly], [STM.Run], [STM.Inevitable], [STM.ReadOnlyAt])
// is built on one generic runner; [Atomically] and [AtomicallyReadOnly] return the function's
// result directly. Aborts unwind the transaction's function with a panic that the runner
// recovers; a user panic aborts the transaction, writes nothing, and propagates.
package stm
