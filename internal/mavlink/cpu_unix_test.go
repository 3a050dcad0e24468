//go:build unix

package mavlink

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far (user + system), so benchmarks
// can report the cost of an operation on a machine shared with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
