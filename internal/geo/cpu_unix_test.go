//go:build unix

package geo

import "syscall"

// processCPU returns the CPU time (user + system) this process has used, in
// nanoseconds: benchmarks report it beside wall time because the build
// machine is shared and wall time per operation grows with its load.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
