package deadletters

import "errors"

// ErrNotFound reports a dead letter id that is not on the topic.
var ErrNotFound = errors.New("deadletters: no dead letter with that id (list them with `jitgate deadletters list`)")
