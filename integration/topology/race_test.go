//go:build race

package topology_test

// raceEnabled: the test binary has the race detector, and so will the
// services it builds.
const raceEnabled = true
