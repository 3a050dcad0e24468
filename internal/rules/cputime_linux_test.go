package rules

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time consumed by the calling OS thread, so a
// benchmark on a shared, loaded machine can report per-core throughput
// (CPU time per update) beside wall-clock time. The caller must hold
// runtime.LockOSThread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
