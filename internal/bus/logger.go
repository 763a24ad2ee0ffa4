package bus

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLogger hands franz-go's own log lines (group joins and rebalances,
// fencing, transaction aborts, broker connection errors) to slog, so that a
// stalled stage says why. franz-go logs every transaction it begins at info,
// so it logs at warn unless the slog handler takes debug, in which case it
// logs everything: run a role with --log-level debug to see group and
// transaction traffic.
type kgoLogger struct{ l *slog.Logger }

// withKgoLogger is the client option wiring l into franz-go.
func withKgoLogger(l *slog.Logger) kgo.Opt {
	return kgo.WithLogger(kgoLogger{l.With("component", "kafka")})
}

// Level implements kgo.Logger.
func (k kgoLogger) Level() kgo.LogLevel {
	if k.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelDebug
	}
	return kgo.LogLevelWarn
}

// Log implements kgo.Logger.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	k.l.Log(context.Background(), slogLevel(level), msg, keyvals...)
}

func slogLevel(l kgo.LogLevel) slog.Level {
	switch l {
	case kgo.LogLevelError:
		return slog.LevelError
	case kgo.LogLevelWarn:
		return slog.LevelWarn
	case kgo.LogLevelInfo:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}
