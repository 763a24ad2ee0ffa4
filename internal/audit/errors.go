package audit

import "errors"

// ErrNotReadOnly rejects an ad-hoc statement that is not a single SELECT,
// SHOW, DESCRIBE, DESC or EXISTS.
var ErrNotReadOnly = errors.New("audit: only a single SELECT, SHOW, DESCRIBE or EXISTS statement is allowed")

// ErrRowLimit reports that Query stopped at MaxRows; the rows before it are
// returned. Add a LIMIT or narrow the WHERE clause.
var ErrRowLimit = errors.New("audit: result truncated at the row limit; add a LIMIT or narrow the query")

// ErrBadDatabase reports a database name that is not a plain identifier.
var ErrBadDatabase = errors.New("audit: database name must be letters, digits and underscores")

// ErrBadOutcome rejects a filter's outcome that no request can have; the
// error lists the valid ones (Outcomes).
var ErrBadOutcome = errors.New("audit: unknown outcome")
