//go:build !race

package main

// raceDetector makes the long tests smaller under the race detector, which
// runs them several times slower.
const raceDetector = false
