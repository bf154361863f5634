package upgrade

import (
	"errors"
	"fmt"

	"dustm/stm"
)

// Transformer converts one object's state from the shape of the program version before an
// upgrade to the shape after it. old is the object's state as of the last pre-upgrade snapshot;
// view reads any other object as of that same snapshot, in its pre-upgrade shape. A transformer
// must be a pure function of what it reads (it may run at any time, more than once, on any
// goroutine) and must not write anything. It reads other objects through view only and never
// starts a transaction: under eager migration the world is stopped while it runs, and a
// transaction it started would wait for itself (the engine returns stm.ErrNestedInExclusive
// to it instead); under lazy migration it runs inside the program's transaction that touched
// the object, where a transaction of its own would see the newest state, not the pinned one.
// A view read of an object deleted before the upgrade returns an error wrapping ErrDeleted.
type Transformer func(obj *Object, old any, view View) (any, error)

// View reads objects as of an upgrade's pre-upgrade snapshot, in the shape they had in the
// program version before the upgrade. An object that was still in an older shape there is
// brought to that shape first (through the earlier upgrades' transformers); it is never
// converted to the new shape by being read.
type View struct {
	e    *Engine
	prog *Program // the program version whose shapes the view shows
	pin  *stm.Pin
	by   converter
}

// Load returns o's state as of the view's snapshot. A conversion failure of an earlier upgrade
// is returned as an error.
func (v View) Load(o *Object) (any, error) {
	return v.e.stateAt(o, v.prog, v.pin, v.by)
}

// Program returns the program version whose shapes the view shows.
func (v View) Program() *Program { return v.prog }

// ViewGet is View.Load with the state's expected Go type.
func ViewGet[S any](v View, o *Object) (S, error) {
	x, err := v.Load(o)
	if err != nil {
		var zero S
		return zero, err
	}
	s, ok := x.(S)
	if !ok {
		var zero S
		return zero, fmt.Errorf("object of class %s holds %T in program version %d, the transformer expects %T",
			o.class.name, x, v.prog.Number, zero)
	}
	return s, nil
}

// converter says who triggered a conversion, for the counters.
type converter uint8

const (
	byForeground converter = iota // a transaction of the program
	bySweeper                     // a background sweeper (or a dry run bringing objects up to date)
)

// convertForTx converts o, which tx found in an older shape, to the shape of tx's program.
func (e *Engine) convertForTx(tx Tx, o *Object, st state) any {
	if st.ver == deleted {
		panic(fmt.Sprintf("upgrade: an object of class %s was read after it was deleted", o.class.name))
	}
	if st.ver > tx.p.versionOf(o.cid) {
		panic(fmt.Sprintf("upgrade: object of class %s is at class version %d, newer than program version %d expects (%d)",
			o.class.name, st.ver, tx.p.Number, tx.p.versionOf(o.cid)))
	}
	q := tx.p.lastChange(o.cid)
	if q == nil {
		panic(fmt.Sprintf("upgrade: object of class %s is at class version %d, but no upgrade up to program version %d changed the class",
			o.class.name, st.ver, tx.p.Number))
	}
	v, err := e.convertAt(o, q, byForeground)
	if err != nil {
		stm.Fail(err) // a *ConversionError ends the transaction with that error
	}
	return v
}

// convertAt brings o to the shape of program q, whose upgrade changed o's class, as of that
// upgrade: it reads o at the upgrade's pinned snapshot (bringing it first to the previous
// version's shape if it was older still), runs the transformer and installs the result at the
// upgrade's commit version. Racing conversions compute the same state; one installs it.
func (e *Engine) convertAt(o *Object, q *Program, by converter) (any, error) {
	m := q.up
	pin := m.pin
	need := q.versionOf(o.cid)
	base := o.box.LoadAt(pin)
	if base.ver == need {
		return base.v, nil // converted already (or created after the upgrade)
	}
	if base.ver == deleted {
		return nil, &ConversionError{Upgrade: m.name, Class: o.class.name, Object: o, Err: ErrDeleted}
	}
	prevVer := q.prev.versionOf(o.cid)
	if base.ver != prevVer {
		if base.ver > prevVer {
			return nil, &ConversionError{Upgrade: m.name, Class: o.class.name, Object: o,
				Err: fmt.Errorf("object at class version %d, newer than the upgrade's source shape %d", base.ver, prevVer)}
		}
		// Rule 6: still in an older shape at this upgrade's snapshot: go through the earlier
		// upgrade first. Its result is installed at its own (earlier) version, so this
		// upgrade's snapshot sees it.
		v, err := e.convertAt(o, q.prev.lastChange(o.cid), by)
		if err != nil {
			return nil, err
		}
		base = state{ver: prevVer, v: v}
	}
	view := View{e: e, prog: q.prev, pin: pin, by: by}
	v, err := m.transform(o, base.v, view)
	if err != nil {
		m.failures.Add(1)
		m.noteFailure(err)
		return nil, &ConversionError{Upgrade: m.name, Class: o.class.name, Object: o, Err: err}
	}
	if o.box.InstallAt(e.s, m.version, state{ver: need, v: v}) {
		m.converted(by)
	}
	// If another conversion won the race, it installed an equal state: conversion is a pure
	// function of the pinned snapshot (rule 4).
	return v, nil
}

// stateAt reads o as of pin in the shape of program prog (used by views).
func (e *Engine) stateAt(o *Object, prog *Program, pin *stm.Pin, by converter) (any, error) {
	st := o.box.LoadAt(pin)
	need := prog.versionOf(o.cid)
	switch {
	case st.ver == need:
		return st.v, nil
	case st.ver == deleted:
		return nil, ErrDeleted
	case st.ver > need:
		return nil, fmt.Errorf("object of class %s at class version %d, newer than program version %d's shape %d (created after the snapshot?)",
			o.class.name, st.ver, prog.Number, need)
	}
	return e.convertAt(o, prog.lastChange(o.cid), by)
}

// transform runs the upgrade's transformer for o's class, turning a panic into an error.
func (m *Migration) transform(o *Object, old any, view View) (v any, err error) {
	f := m.transformers[o.cid]
	if f == nil {
		return nil, errors.New("no transformer for the class")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("transformer panicked: %v", r)
		}
	}()
	return f(o, old, view)
}
