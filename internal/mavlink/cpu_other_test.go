//go:build !unix

package mavlink

import "time"

func cpuTime() time.Duration { return 0 }
