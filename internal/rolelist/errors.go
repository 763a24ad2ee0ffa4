package rolelist

import "errors"

// ErrEntry reports an allow-list entry that is not an IAM role ARN glob.
var ErrEntry = errors.New("rolelist: invalid entry")
