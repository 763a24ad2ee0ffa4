//go:build !linux

package bench

import "syscall"

func deathSignal() *syscall.SysProcAttr { return nil }

func lockThread() {}
