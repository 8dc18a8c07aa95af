//go:build unix

package video

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own and makes
// cancelling its context kill the whole group, so nothing ffmpeg might
// start outlives it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// childCPU returns the user and system CPU the finished process used.
func childCPU(cmd *exec.Cmd) Usage {
	if cmd.ProcessState == nil {
		return Usage{}
	}
	return Usage{FFmpegUser: cmd.ProcessState.UserTime(), FFmpegSys: cmd.ProcessState.SystemTime()}
}
