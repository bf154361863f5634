package upgrade

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"dustm/internal/chunked"
	"dustm/stm"
)

// Upgrade describes version n+1 of the program.
type Upgrade struct {
	// Name identifies the upgrade in errors, events and results.
	Name string
	// Code is the code of the new program version.
	Code any
	// Transformers gives, for every class whose shape changes, the function from its old
	// state to its new one. Classes not listed keep their shape.
	Transformers map[*Class]Transformer
}

// Strategy is how objects are migrated to the new shapes.
type Strategy int

const (
	// Lazy converts each object when a transaction of the new version first reads it.
	Lazy Strategy = iota
	// Eager stops the world, converts every object in the upgrade's transaction, and resumes.
	Eager
	// LazySweep is Lazy plus background sweepers converting the objects nobody touches.
	LazySweep
)

// Strategies returns the strategies, in the order ParseStrategy lists them (a new slice).
func Strategies() []Strategy { return []Strategy{Lazy, Eager, LazySweep} }

func (s Strategy) String() string {
	switch s {
	case Lazy:
		return "lazy"
	case Eager:
		return "eager"
	case LazySweep:
		return "lazy+sweep"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// StrategyNames returns the strategies' names, as ParseStrategy accepts them, joined for a
// message.
func StrategyNames() string {
	var names []string
	for _, s := range Strategies() {
		names = append(names, s.String())
	}
	return strings.Join(names, ", ")
}

// ParseStrategy accepts "lazy", "eager" and "lazy+sweep".
func ParseStrategy(name string) (Strategy, error) {
	for _, s := range Strategies() {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown migration strategy %q (accepted: %s)", name, StrategyNames())
}

// Options tune how an upgrade is carried out.
type Options struct {
	Strategy Strategy
	// Sweepers is the number of background sweepers of LazySweep (default 1).
	Sweepers int
	// SweepBatch is how many objects a sweeper converts before it yields its processor to the
	// program (default 16): sweepers run at low priority.
	SweepBatch int
	// CheckInterval is how often the engine checks whether every object has been converted
	// (default 100ms).
	CheckInterval time.Duration
	// Workers is how many goroutines convert objects while the world is stopped (Eager);
	// 0 means GOMAXPROCS.
	Workers int
}

// Migration is an upgrade that was requested: it reports its progress and its events.
type Migration struct {
	e            *Engine
	name         string
	strategy     Strategy
	transformers []Transformer // by class id; nil where the class does not change
	changed      []*Class
	from, to     *Program

	version int64    // commit version vU
	pin     *stm.Pin // the snapshot vU-1, held until every object is converted

	requested, committed time.Time
	migrated             atomic.Pointer[time.Time]
	pinReleased          atomic.Pointer[time.Time]
	pause                time.Duration
	workers              int // Eager: goroutines that converted while the world was stopped
	objects              atomic.Int64

	fg, sw, stopped, failures atomic.Int64
	closed                    atomic.Bool // stopped by Engine.Close before the migration ended

	mu      sync.Mutex
	lastErr error
	events  []Event

	done chan struct{} // closed once every object is converted
	stop chan struct{} // closed by Engine.Close
}

// EventKind names what happened to an upgrade.
type EventKind string

const (
	EventRequested  EventKind = "requested"
	EventCommitted  EventKind = "committed"
	EventMigrated   EventKind = "migrated" // every object converted; the pinned snapshot released
	EventFailure    EventKind = "failure"  // a conversion failed (the first one of a run of failures)
	EventRolledBack EventKind = "rolled-back"
	EventStopped    EventKind = "stopped" // the engine was closed before every object was converted
)

// Event is one instant of an upgrade's life, for time series.
type Event struct {
	Kind    EventKind `json:"kind"`
	At      time.Time `json:"at"`
	Upgrade string    `json:"upgrade"`
	Detail  string    `json:"detail,omitempty"`
}

func (m *Migration) changes(cid uint32) bool {
	return int(cid) < len(m.transformers) && m.transformers[cid] != nil
}

func (m *Migration) event(k EventKind, at time.Time, detail string) {
	m.mu.Lock()
	m.events = append(m.events, Event{Kind: k, At: at, Upgrade: m.name, Detail: detail})
	m.mu.Unlock()
}

func (m *Migration) converted(by converter) {
	if by == bySweeper {
		m.sw.Add(1)
	} else {
		m.fg.Add(1)
	}
}

func (m *Migration) noteFailure(err error) {
	m.mu.Lock()
	first := m.lastErr == nil
	m.lastErr = err
	m.mu.Unlock()
	if first {
		m.event(EventFailure, time.Now(), err.Error())
	}
}

// Done is closed when every object of the changed classes has been converted and the pinned
// snapshot released (at once for Eager), or when Engine.Close stopped the migration first
// (Stats then reports Stopped).
func (m *Migration) Done() <-chan struct{} { return m.done }

// Name returns the upgrade's name.
func (m *Migration) Name() string { return m.name }

// Events returns the upgrade's events so far, in order.
func (m *Migration) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// MigrationStats is a snapshot of an upgrade's progress.
type MigrationStats struct {
	Name          string    `json:"name"`
	Strategy      string    `json:"strategy"`
	From          int       `json:"from"`
	To            int       `json:"to"`
	CommitVersion int64     `json:"commit_version"`
	Requested     time.Time `json:"requested"`
	Committed     time.Time `json:"committed"`
	// Migrated is when the last object was converted (zero while some are left).
	Migrated time.Time `json:"migrated"`
	// Objects is the number of objects that needed converting when the upgrade committed.
	Objects int `json:"objects"`
	// Conversions done by the program's transactions, by sweepers, and (Eager) while the world
	// was stopped.
	ConvertedForeground int64  `json:"converted_foreground"`
	ConvertedSweeper    int64  `json:"converted_sweeper"`
	ConvertedStopped    int64  `json:"converted_stopped"`
	Failures            int64  `json:"conversion_failures"`
	LastFailure         string `json:"last_failure,omitempty"`
	// Pause is how long the world was stopped (Eager).
	Pause time.Duration `json:"pause_ns"`
	// Workers is how many goroutines converted objects while the world was stopped (Eager).
	Workers int `json:"workers,omitempty"`
	// PinnedFor is how long the pre-upgrade snapshot has been (or was) kept.
	PinnedFor time.Duration `json:"pinned_ns"`
	// Complete reports that every object is converted (Migrated is set). The pin may outlive
	// it a little, until transactions that began before the last conversion end; Done is
	// closed when it is released.
	Complete bool `json:"complete"`
	// Stopped reports a migration that Engine.Close ended before every object was converted.
	Stopped bool `json:"stopped,omitempty"`
}

// Converted is the number of objects converted so far, by anyone.
func (s MigrationStats) Converted() int64 {
	return s.ConvertedForeground + s.ConvertedSweeper + s.ConvertedStopped
}

// Stats returns the upgrade's progress now.
func (m *Migration) Stats() MigrationStats {
	s := MigrationStats{
		Name: m.name, Strategy: m.strategy.String(),
		CommitVersion: m.version, Requested: m.requested, Committed: m.committed,
		Objects:             int(m.objects.Load()),
		ConvertedForeground: m.fg.Load(), ConvertedSweeper: m.sw.Load(), ConvertedStopped: m.stopped.Load(),
		Failures: m.failures.Load(), Pause: m.pause, Workers: m.workers, Stopped: m.closed.Load(),
	}
	if m.from != nil {
		s.From = m.from.Number
	}
	if m.to != nil {
		s.To = m.to.Number
	}
	if t := m.migrated.Load(); t != nil {
		s.Migrated, s.Complete = *t, true
	}
	if t := m.pinReleased.Load(); t != nil {
		s.PinnedFor = t.Sub(m.committed)
	} else if !m.committed.IsZero() {
		s.PinnedFor = time.Since(m.committed)
	}
	m.mu.Lock()
	if m.lastErr != nil {
		s.LastFailure = m.lastErr.Error()
	}
	m.mu.Unlock()
	return s
}

// prepare checks an upgrade and builds its migration (not yet committed).
func (e *Engine) prepare(u Upgrade, opts Options) (*Migration, error) {
	if u.Name == "" {
		return nil, errors.New("upgrade: an upgrade needs a name")
	}
	switch opts.Strategy {
	case Lazy, Eager, LazySweep:
	default:
		return nil, fmt.Errorf("upgrade %q: unknown strategy %v (accepted: %s)", u.Name, opts.Strategy, StrategyNames())
	}
	if opts.Sweepers < 0 || opts.SweepBatch < 0 || opts.CheckInterval < 0 || opts.Workers < 0 {
		return nil, fmt.Errorf("upgrade %q: sweepers, sweep batch, check interval and workers must not be negative", u.Name)
	}
	m := &Migration{e: e, name: u.Name, strategy: opts.Strategy, transformers: make([]Transformer, len(e.classes)),
		done: make(chan struct{}), stop: make(chan struct{})}
	if opts.Strategy == Eager {
		m.workers = opts.Workers
		if m.workers == 0 {
			m.workers = runtime.GOMAXPROCS(0)
		}
	}
	for c, f := range u.Transformers {
		if c == nil || int(c.id) >= len(e.classes) || e.classes[c.id] != c {
			return nil, fmt.Errorf("upgrade %q: a transformer is given for a class of another engine", u.Name)
		}
		if f == nil {
			return nil, fmt.Errorf("upgrade %q: the transformer of class %s is nil", u.Name, c.name)
		}
		m.transformers[c.id] = f
		m.changed = append(m.changed, c)
	}
	slices.SortFunc(m.changed, func(a, b *Class) int { return int(a.id) - int(b.id) })
	return m, nil
}

// nextProgram builds the program version the upgrade produces on top of cur.
func (m *Migration) nextProgram(cur *Program, code any) *Program {
	p := &Program{Number: cur.Number + 1, Code: code, prev: cur, up: m, engine: m.e,
		classVer: make([]uint32, len(m.e.classes)+1)}
	p.classVer[len(m.e.classes)] = 1 // every class created later
	for i := range p.classVer[:len(m.e.classes)] {
		p.classVer[i] = cur.versionOf(uint32(i))
		if m.changes(uint32(i)) {
			p.classVer[i]++
		}
	}
	m.from, m.to = cur, p
	return p
}

// Upgrade requests an upgrade and carries it out with the given strategy. For Lazy and
// LazySweep it returns once the upgrade has committed (objects are converted afterwards; wait
// on the Migration's Done to know when all are). For Eager it returns once the world has
// resumed with everything converted; a transformer that fails then aborts the whole upgrade
// (the program stays at its version, nothing changes) and the error is returned. Upgrades are
// serialized: a second one may commit while the first is still migrating.
func (e *Engine) Upgrade(ctx context.Context, u Upgrade, opts Options) (*Migration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m, err := e.prepare(u, opts)
	if err != nil {
		return nil, err
	}
	m.requested = time.Now()
	m.event(EventRequested, m.requested, opts.Strategy.String())
	if opts.Strategy == Eager {
		err = e.upgradeEager(ctx, m, u)
	} else {
		err = e.upgradeLazy(m, u)
	}
	if err != nil {
		m.event(EventRolledBack, time.Now(), err.Error())
		return m, err
	}
	e.migrations = append(e.migrations, m)
	if opts.Strategy != Eager {
		go e.watch(m, opts)
	}
	return m, nil
}

func (e *Engine) upgradeLazy(m *Migration, u Upgrade) error {
	out, err := e.s.Inevitable(func(stx stm.Tx) error {
		cur := e.pv.Load(stx)
		m.version = stx.Snapshot() + 1
		m.pin = stx.Pin()
		e.pv.Store(stx, m.nextProgram(cur, u.Code))
		return nil
	})
	if err == nil && out.Version != m.version {
		err = fmt.Errorf("upgrade %q: committed at version %d, expected %d", m.name, out.Version, m.version)
	}
	if err != nil {
		if m.pin != nil {
			m.pin.Release()
		}
		return err
	}
	m.committed = time.Now()
	m.event(EventCommitted, m.committed, fmt.Sprintf("version %d", m.version))
	return nil
}

func (e *Engine) upgradeEager(ctx context.Context, m *Migration, u Upgrade) error {
	start := time.Now()
	var pin *stm.Pin
	var converted int64
	out, err := e.s.Exclusive(ctx, func(stx stm.Tx) error {
		cur := e.pv.Load(stx)
		m.version = stx.Snapshot() + 1
		pin = stx.Pin()
		m.pin = pin
		next := m.nextProgram(cur, u.Code)
		e.pv.Store(stx, next)
		var jobs []*Object
		for _, c := range m.changed {
			if len(m.changed) == 1 {
				jobs = c.reg.live()
				break
			}
			jobs = append(jobs, c.reg.live()...)
		}
		n, err := m.convertStopped(stx, jobs, next, View{e: e, prog: cur, pin: pin, by: byForeground})
		if err != nil {
			return err
		}
		converted = n
		m.objects.Store(converted)
		return nil
	})
	if pin != nil {
		pin.Release()
	}
	if err == nil && out.Version != m.version {
		err = fmt.Errorf("upgrade %q: committed at version %d, expected %d", m.name, out.Version, m.version)
	}
	if err != nil {
		m.to = nil
		return err
	}
	now := time.Now()
	m.pause = now.Sub(start)
	m.stopped.Store(converted)
	m.committed = now
	m.migrated.Store(&now)
	m.pinReleased.Store(&now)
	m.event(EventCommitted, now, fmt.Sprintf("version %d, world stopped %v, %d workers", m.version, m.pause, m.workers))
	m.event(EventMigrated, now, fmt.Sprintf("%d objects", converted))
	close(m.done)
	return nil
}

// eagerChunk is how many consecutive jobs a worker claims at once: enough to keep the shared
// counter off the hot path, few enough to balance uneven transformers.
const eagerChunk = 64

// convertStopped converts jobs on m.workers goroutines (stx's world is stopped), each writing
// what it converts into stx through its stm.Writer, and returns how many objects it converted.
// On failure it returns the error of the failing job that comes first in jobs order (later
// ones may not have run: the workers stop early); stx then rolls back.
func (m *Migration) convertStopped(stx stm.Tx, jobs []*Object, to *Program, view View) (int64, error) {
	var next, converted atomic.Int64
	var failed atomic.Bool
	errs := make([]error, m.workers) // each worker's first failure, at the index in errAt
	errAt := make([]int, m.workers)
	err := stx.Parallel(m.workers, func(k int, w *stm.Writer) {
		n := int64(0)
		defer func() { converted.Add(n) }()
		w.Grow(len(jobs)/m.workers + eagerChunk) // about this worker's share
		for !failed.Load() {
			lo := int(next.Add(eagerChunk)) - eagerChunk
			if lo >= len(jobs) {
				return
			}
			for i := lo; i < min(lo+eagerChunk, len(jobs)); i++ {
				o := jobs[i]
				v, skip, err := m.convertJob(o, view)
				if err != nil {
					errs[k], errAt[k] = err, i
					failed.Store(true)
					return
				}
				if !skip {
					o.box.StoreBy(w, state{ver: to.versionOf(o.cid), v: v})
					n++
				}
			}
		}
	})
	if err != nil {
		return 0, err
	}
	first := -1
	for k, e := range errs {
		if e != nil && (first < 0 || errAt[k] < errAt[first]) {
			first = k
		}
	}
	if first >= 0 {
		return 0, errs[first]
	}
	return converted.Load(), nil
}

// convertJob converts one object as of the upgrade's pinned snapshot (view); skip reports an
// object the program deleted (nothing reaches it).
func (m *Migration) convertJob(o *Object, view View) (v any, skip bool, err error) {
	base, err := view.e.stateAt(o, view.prog, view.pin, byForeground)
	if errors.Is(err, ErrDeleted) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err = m.transform(o, base, view)
	if err != nil {
		m.failures.Add(1)
		m.noteFailure(err)
		return nil, false, &ConversionError{Upgrade: m.name, Class: o.class.name, Object: o, Err: err}
	}
	return v, false, nil
}

// isConverted reports whether o no longer needs converting for m: it has a body at or after the
// upgrade's version, or a state already in the new shape (an object created afterwards).
func (m *Migration) isConverted(o *Object) bool {
	return o.box.Version() >= m.version || o.box.LoadLatest().ver >= m.to.versionOf(o.cid)
}

// watch follows a lazy migration: it lists the objects left to convert, runs the sweepers, and
// releases the pinned snapshot once nothing is left.
func (e *Engine) watch(m *Migration, opts Options) {
	// The objects to convert are those in an older shape at the pinned snapshot: that does not
	// depend on conversions already racing with this scan, nor count objects created later.
	// Millions of objects: chunked lists, and a yield every chunk, so that neither a
	// stop-the-world nor the requests wait for the scan.
	var todo chunked.List[weak.Pointer[Object]]
	for _, c := range m.changed {
		need := m.to.versionOf(c.id)
		live := c.reg.weakLive()
		for i := range live.Len() {
			if i%chunked.Size == chunked.Size-1 {
				runtime.Gosched()
			}
			wp := live.At(i)
			if o := wp.Value(); o != nil && o.box.LoadAt(m.pin).ver < need {
				todo.Append(wp)
			}
		}
	}
	m.objects.Store(int64(todo.Len()))

	var sweepers sync.WaitGroup
	if opts.Strategy == LazySweep {
		n := max(opts.Sweepers, 1)
		batch := opts.SweepBatch
		if batch == 0 {
			batch = 16
		}
		work := todo.Clone()
		for k := range n {
			sweepers.Go(func() { e.sweep(m, work, k, n, batch) })
		}
	}
	interval := opts.CheckInterval
	if interval == 0 {
		interval = 100 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		todo.Keep(func(wp weak.Pointer[Object]) bool {
			o := wp.Value()
			return o != nil && !m.isConverted(o)
		})
		if todo.Len() == 0 {
			sweepers.Wait()
			now := time.Now()
			m.migrated.Store(&now)
			if !e.awaitOlderSnapshots(m, tick.C) {
				m.endStopped(sweepers.Wait)
				return
			}
			released := time.Now()
			m.pin.Release()
			m.pinReleased.Store(&released)
			m.event(EventMigrated, now, fmt.Sprintf("%d objects", m.objects.Load()))
			close(m.done)
			return
		}
		select {
		case <-m.stop:
			m.endStopped(sweepers.Wait)
			return
		case <-tick.C:
		}
	}
}

// endStopped ends a migration cut short by Engine.Close: once the sweepers are gone (wait), the
// pinned snapshot is released (the program no longer runs) and Done is closed, so that nobody
// waits for it for ever; Stats reports it stopped and not complete.
func (m *Migration) endStopped(wait func()) {
	wait()
	now := time.Now()
	m.pin.Release()
	m.pinReleased.Store(&now)
	m.closed.Store(true)
	m.event(EventStopped, now, fmt.Sprintf("engine closed with %d objects converted", m.fg.Load()+m.sw.Load()))
	close(m.done)
}

// awaitOlderSnapshots waits, once every object is converted, until no transaction or pin can
// still need the pinned snapshot: one whose snapshot is at or after the upgrade but older than
// the last conversion may have read an object in its old shape (before the conversion was
// installed, or below a later write that skipped reading it) and will convert it from the
// pinned snapshot. A later upgrade's pin counts too: its conversions go through this one.
// Snapshots older than the upgrade run the old code and never convert for it. It commits to
// the engine's private tick box first, so that every transaction that begins from now on has a
// snapshot past the conversions. It returns false if the engine closes first.
func (e *Engine) awaitOlderSnapshots(m *Migration, tick <-chan time.Time) bool {
	out, err := e.s.Run(false, func(tx stm.Tx) error {
		e.tick.Store(tx, e.tick.Load(tx)+1)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("upgrade: advancing the clock: %v", err)) // the function cannot fail
	}
	for e.s.SnapshotHeld(m.version, out.Version-1) {
		select {
		case <-m.stop:
			return false
		case <-tick:
		}
	}
	return true
}

// sweep converts every n-th object of work, starting at k, at low priority.
func (e *Engine) sweep(m *Migration, work *chunked.List[weak.Pointer[Object]], k, n, batch int) {
	done := 0
	for i := k; i < work.Len(); i += n {
		select {
		case <-m.stop:
			return
		default:
		}
		o := work.At(i).Value()
		if o == nil || m.isConverted(o) {
			continue
		}
		_, _ = e.convertAt(o, m.to, bySweeper) // a failure is counted and the object left as is
		if done++; done%batch == 0 {
			runtime.Gosched()
		}
	}
}

// Close stops every migration's background work (sweepers and completion checks) and releases
// the pinned snapshots of upgrades still migrating. Transactions must not run after Close.
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.migrations {
		select {
		case <-m.stop:
		default:
			close(m.stop)
		}
	}
}
