package stm

// hookPoint names a place where a test can stop a goroutine, to force an interleaving that
// the scheduler would produce only rarely (see STM.hook). Production code never sets a hook:
// each point costs one load and a branch not taken.
type hookPoint uint8

const (
	hookPublishRetry    hookPoint = iota // publish: snapshot stored, the clock not yet read again
	hookPublishFallback                  // publish's fallback: the clock read, the snapshot not yet stored
	hookBegun                            // begin: between publishing the snapshot and checking the collector's claim
	hookClaimWait                        // waitUnclaimed: the collector holds the slot's claim
	hookClaimStep                        // claimIdle: between setting the claim and reading the slot
	hookClaimed                          // a collector pass holds an idle slot's claim
	hookClockLoaded                      // helpRecord: the clock read, not yet advanced
	hookHeadLoaded                       // installIdempotent: a head older than the record read
	hookRelink                           // installIdempotent: about to relink the body below the head
)

// at calls the test hook, if one is set, at point p.
func (s *STM) at(p hookPoint) {
	if s.hook != nil {
		s.hook(p)
	}
}
