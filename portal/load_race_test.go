//go:build race

package portal_test

// loadRace makes the load test smaller under the race detector, which slows
// everything several times.
const loadRace = true
