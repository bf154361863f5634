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
// Version garbage collection runs in a background goroutine. It knows every active snapshot
// (each transaction publishes its snapshot in a slot of its own; pinned snapshots hold one too)
// and unlinks every body that no active snapshot can reach, so memory stays bounded even while a
// long reader keeps an old snapshot alive: only the bodies that snapshot actually reads survive.
//
// For the upgrade engine the package also offers pinned snapshots ([Tx.Pin]), reads at a pinned
// snapshot ([Var.LoadAt]), installing a body at a chosen past version ([Var.InstallAt]),
// inevitable transactions ([STM.Inevitable]) and stopping the world ([STM.Exclusive]).
//
// Aborts unwind the transaction's function with a panic that [STM.Atomic] recovers; a user panic
// aborts the transaction, writes nothing, and propagates.
package stm
