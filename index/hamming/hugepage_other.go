//go:build !linux

package hamming

func adviseHuge[T any](s []T) {}
