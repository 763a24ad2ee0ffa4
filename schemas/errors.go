package schemas

import (
	"errors"
	"fmt"
)

// ErrMalformed reports an envelope or payload that is not valid JSON for its
// declared type.
var ErrMalformed = errors.New("schemas: malformed event")

// ErrWrongType reports a payload decoded as a type other than its own.
var ErrWrongType = errors.New("schemas: wrong event type")

// UnknownTypeError reports an event type this build does not know. It usually
// means a newer jitgate wrote the event: upgrade this role.
type UnknownTypeError struct{ Type Type }

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("schemas: unknown event type %q (written by a newer jitgate? upgrade this role)", e.Type)
}

// UnsupportedVersionError reports a schema version this build cannot decode.
type UnsupportedVersionError struct {
	Type    Type
	Version int
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("schemas: %s version %d is not supported (this build reads version %d)", e.Type, e.Version, Version)
}
