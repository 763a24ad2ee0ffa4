package detect

import "errors"

// ErrUnknownKind reports a detector name that [Parse] does not know.
var ErrUnknownKind = errors.New("detect: unknown detector")

// ErrBadPattern reports a custom regex or allow-list regex that does not
// compile, or one that matches the empty string.
var ErrBadPattern = errors.New("detect: bad pattern")
