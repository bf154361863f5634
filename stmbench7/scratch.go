package stmbench7

// scratch is a worker's reusable working memory for operations, so that the hot operations
// allocate nothing: visited sets as epoch-stamped arrays indexed by id (a set is emptied by
// bumping the epoch), and callbacks for the Tx enumerations bound once.
//
// A backend's Tx provides its worker's scratch through the unexported scratcher interface;
// operations run on any other Tx get a fresh scratch (correct, just not allocation-free).
// A scratch belongs to one worker: operations are never nested, so one suffices.
type scratch struct {
	epoch   uint32
	atomic  []uint32 // visited atomic parts, by id
	base    []uint32 // visited base assemblies, by id
	complex []uint32 // visited complex assemblies, by id

	// State of the enumeration callbacks below, set by the operation that passes them.
	tx    Tx
	count int

	countPart     func(*AtomicPart) bool   // counts
	swapPart      func(*AtomicPart) bool   // swaps x/y and counts
	checkBaseDate func(*BaseAssembly) bool // ST5's test; counts matches
}

// scratcher is implemented by the Tx of backends that keep a scratch per worker.
type scratcher interface{ scratch() *scratch }

func scratchOf(tx Tx) *scratch {
	if s, ok := tx.(scratcher); ok {
		return s.scratch()
	}
	return new(scratch)
}

// bind prepares the enumeration callbacks for an operation on tx and resets the count.
func (s *scratch) bind(tx Tx) {
	if s.countPart == nil {
		s.countPart = func(*AtomicPart) bool { s.count++; return true }
		s.swapPart = func(p *AtomicPart) bool { s.tx.SwapXY(p); s.count++; return true }
		s.checkBaseDate = func(b *BaseAssembly) bool { s.count += baseHasYoungerComponent(s.tx, b); return true }
	}
	s.tx = tx
	s.count = 0
}

// release drops the reference to the Tx after an operation.
func (s *scratch) release() { s.tx = nil }

// newVisit empties every visited set (by advancing the epoch) and sizes them for p.
func (s *scratch) newVisit(p Params) {
	s.epoch++
	if s.epoch == 0 { // wrapped around: old stamps could collide with new epochs
		clear(s.atomic)
		clear(s.base)
		clear(s.complex)
		s.epoch = 1
	}
	s.atomic = sized(s.atomic, p.MaxAtomicParts()+1)
	s.base = sized(s.base, p.MaxBaseAssemblies()+1)
	s.complex = sized(s.complex, p.MaxComplexAssemblies()+1)
}

func sized(a []uint32, n int) []uint32 {
	if len(a) >= n {
		return a
	}
	return append(a, make([]uint32, n-len(a))...)
}

// visit marks a slot and reports whether it was unmarked in this epoch. Ids beyond the array
// (impossible with ids from the pools) grow it.
func (s *scratch) visit(set *[]uint32, id int) bool {
	if id >= len(*set) {
		*set = sized(*set, id+1)
	}
	if (*set)[id] == s.epoch {
		return false
	}
	(*set)[id] = s.epoch
	return true
}
