//go:build race

package connect_test

// raceDetector is set when the tests run under the race detector, which makes
// the large tests ten times slower: they run smaller there (the README's test
// command and CI's PostgreSQL run keep the full size).
const raceDetector = true
