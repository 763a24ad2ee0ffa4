package bus

import (
	"sync/atomic"

	"github.com/jitgate/jitgate/schemas"
)

// Hook is any of the Hook* interfaces below; a loop calls the ones a hook
// implements. Hooks are called synchronously from the loop: keep them
// cheap.
type Hook any

// HookFailure is told about every failed attempt at an event (or a batch)
// that will be tried again. attempt counts from 1.
type HookFailure interface {
	OnFailure(group string, attempt int, err error)
}

// HookPanic is told about every recovered handler panic (also passed to
// HookFailure or HookDeadLetter as the failure it is).
type HookPanic interface {
	OnPanic(group string, p *PanicError)
}

// HookDeadLetter is told about every record dead-lettered, once its dead
// letter is written.
type HookDeadLetter interface {
	OnDeadLetter(group string, dl *schemas.DeadLetter)
}

// HookStall is told about every stage session its watchdog ended for a
// stall (watchdog.go), before the client is rebuilt.
type HookStall interface {
	OnStall(group string, err *StallError)
}

// Counters counts what the failure policy did. It implements every hook;
// the zero value is ready.
type Counters struct {
	Failures    atomic.Int64
	Panics      atomic.Int64
	DeadLetters atomic.Int64
	Stalls      atomic.Int64
}

// OnFailure implements HookFailure.
func (c *Counters) OnFailure(string, int, error) { c.Failures.Add(1) }

// OnPanic implements HookPanic.
func (c *Counters) OnPanic(string, *PanicError) { c.Panics.Add(1) }

// OnDeadLetter implements HookDeadLetter.
func (c *Counters) OnDeadLetter(string, *schemas.DeadLetter) { c.DeadLetters.Add(1) }

// OnStall implements HookStall.
func (c *Counters) OnStall(string, *StallError) { c.Stalls.Add(1) }

// hooks calls a list of Hooks.
type hooks []Hook

func (hs hooks) failure(group string, attempt int, err error) {
	for _, h := range hs {
		if h, ok := h.(HookFailure); ok {
			h.OnFailure(group, attempt, err)
		}
	}
}

func (hs hooks) panicked(group string, p *PanicError) {
	for _, h := range hs {
		if h, ok := h.(HookPanic); ok {
			h.OnPanic(group, p)
		}
	}
}

func (hs hooks) deadLettered(group string, dl *schemas.DeadLetter) {
	for _, h := range hs {
		if h, ok := h.(HookDeadLetter); ok {
			h.OnDeadLetter(group, dl)
		}
	}
}

func (hs hooks) stalled(group string, err *StallError) {
	for _, h := range hs {
		if h, ok := h.(HookStall); ok {
			h.OnStall(group, err)
		}
	}
}
