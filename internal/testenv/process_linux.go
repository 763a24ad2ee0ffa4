package testenv

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the child when the thread that
// started it dies, so a killed test binary leaves no server behind.
// Pdeathsig survives the exec in scripts/*.sh run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
