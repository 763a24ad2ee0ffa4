//go:build !linux

package testenv

import "os/exec"

// setDeathSignal does nothing off Linux: there, only the test's cleanup
// stops the servers it started.
func setDeathSignal(*exec.Cmd) {}
