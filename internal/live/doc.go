// Package live is the plumbing of live updates: it wakes the readers of what a
// commit touched, lets readers of one scope share their reads, keeps results
// until a commit may have changed them, and forwards a Store's wake-ups from
// other processes.
//
// Its contract: a wake-up may be spurious, a commit is never missed; readers
// re-read. A reader is woken at least once after every commit it is told of that
// touched its scope, and reads the Store again then; a read it shares (Shared), or
// a result it is given (Memo), started after the last such commit was told.
// Nothing here carries data: the Store is the truth, and a wake-up, a generation
// or a version only says "read again". Commits nobody tells of (another process's
// that its Store did not hear of) are the readers' to catch: the connect Service's
// subscribers read again every few seconds, and a Memo's results have a lifetime.
//
// The connect package builds on it and calls it; live knows nothing of actors,
// orders or the Service. It sees tenants as opaque keys (Scope), and commits as
// the scopes they touched:
//
//   - Broadcaster wakes readers and counts wake-ups: a generation of all of them,
//     and a version per scope.
//   - Shared lets readers of one scope asking the same thing at one generation
//     share one read.
//   - Memo keeps a read until its scope's version moves, or its lifetime ends.
//   - Relay forwards a Store's cross-process wake-ups to broadcasters, restarting
//     with backoff when they fail.
//
// Time comes from a Clock, so that tests advance a FakeClock instead of sleeping.
package live
