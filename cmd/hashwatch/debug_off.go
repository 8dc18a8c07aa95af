//go:build !hashwatch_debug

package main

import "github.com/spf13/cobra"

// debugCommands is empty in the operator's binary: the test tools
// (debug.go) are only built with -tags hashwatch_debug.
func (a *app) debugCommands() []*cobra.Command { return nil }
