//go:build !race

package importer_test

// raceMemoryFactor widens the hostile-input tests' memory bounds under the race
// detector (see race_hostile_test.go); without it, the bounds stand as written.
const raceMemoryFactor = 1
