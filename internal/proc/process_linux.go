package proc

import (
	"os/exec"
	"runtime"
	"syscall"
)

// setDeathSignal makes the kernel SIGKILL the child when the thread that
// started it dies, so a killed harness leaves no process behind. Pdeathsig
// survives the exec in scripts/*.sh run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lockThread keeps the starting goroutine on its thread for the child's
// life (the thread never unlocks, so it exits with the goroutine).
func lockThread() { runtime.LockOSThread() }
