//go:build !unix

package video

import "os/exec"

// ownProcessGroup relies on exec.CommandContext's default kill where
// process groups do not exist.
func ownProcessGroup(cmd *exec.Cmd) {}

// childCPU returns the user and system CPU the finished process used.
func childCPU(cmd *exec.Cmd) Usage {
	if cmd.ProcessState == nil {
		return Usage{}
	}
	return Usage{FFmpegUser: cmd.ProcessState.UserTime(), FFmpegSys: cmd.ProcessState.SystemTime()}
}
