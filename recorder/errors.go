package recorder

import (
	"errors"
	"fmt"
)

// ErrConfig is wrapped by every configuration error from Config.Validate.
var ErrConfig = errors.New("recorder: invalid configuration")

// ErrUnavailable is wrapped when ClickHouse cannot be reached or refuses a
// batch; the batch is retried and nothing is lost.
var ErrUnavailable = errors.New("recorder: ClickHouse unavailable")

// MigrationError reports a schema migration that failed.
type MigrationError struct {
	Version int
	Name    string
	Err     error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("recorder: schema migration %d (%s): %v", e.Version, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *MigrationError) Unwrap() error { return e.Err }
