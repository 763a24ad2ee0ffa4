package cluster

import "errors"

var (
	// ErrConfig reports a Config that cannot start a cluster.
	ErrConfig = errors.New("cluster: invalid config")
	// ErrNoSuchProcess reports a process name the cluster does not have.
	ErrNoSuchProcess = errors.New("cluster: no such process")
	// ErrBuild reports a jitgate binary that did not build.
	ErrBuild = errors.New("cluster: building jitgate failed")
)
