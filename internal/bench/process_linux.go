package bench

import (
	"runtime"
	"syscall"
)

// deathSignal makes the kernel SIGKILL a child when the thread that
// started it dies.
func deathSignal() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lockThread keeps the starting goroutine on its thread for the child's
// life (the thread never unlocks, so it exits with the goroutine).
func lockThread() { runtime.LockOSThread() }
