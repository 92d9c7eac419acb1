//go:build race

package importer_test

// raceMemoryFactor widens the hostile-input tests' memory bounds under the race
// detector, whose shadow memory and allocator take several times what the
// program does.
const raceMemoryFactor = 4
