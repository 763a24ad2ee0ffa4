//go:build !linux

package proc

import "os/exec"

// setDeathSignal does nothing off Linux: there, only the harness's own
// clean-up stops the processes it started.
func setDeathSignal(*exec.Cmd) {}

func lockThread() {}
