//go:build race

package sim

// raceEnabled shortens the long runs under the race detector.
const raceEnabled = true
