package main

import (
	"context"
	"log/slog"

	"github.com/dispatchkit/connect"
)

// logSMS "sends" recipients' text messages to the log: the demo has no SMS
// provider. A host's SMSSender passes m.Key to its provider as the
// idempotency key (most take one), so that a retry sends nothing twice.
type logSMS struct{ log *slog.Logger }

// SendSMS logs the message.
func (s logSMS) SendSMS(ctx context.Context, m connect.SMS) error {
	s.log.InfoContext(ctx, "SMS to a recipient (logged: the demo has no SMS provider)", "key", m.Key, "to", m.To, "order", m.Order, "body", m.Body)
	return nil
}
