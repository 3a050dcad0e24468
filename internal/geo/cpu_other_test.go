//go:build !unix

package geo

func processCPU() int64 { return 0 }
