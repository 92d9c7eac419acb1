package connect

import (
	"context"
	"time"
)

// Waker is an optional capability of a Store whose writes may come from other
// processes (PostgreSQL): Wake returns a channel that receives a value, soon
// after, whenever any process commits order events. A wake-up carries nothing:
// subscribers read the events from the Store, so a lost wake-up loses nothing
// (the Service also reads on a timer).
type Waker interface {
	Wake(ctx context.Context) (<-chan struct{}, error)
}

// OutboxKind says what an outbox entry asks for.
type OutboxKind string

// The outbox kinds.
const (
	OutboxRouteSync        OutboxKind = "route_sync"                // RouteSync.SyncStop
	OutboxFulfill          OutboxKind = "shopify_fulfil"            // Shopify.Fulfill
	OutboxFulfillmentEvent OutboxKind = "shopify_fulfilment_event"  // Shopify.FulfillmentEvent
	OutboxEraseProofFiles  OutboxKind = "privacy_erase_proof_files" // Privacy.EraseProofFiles
	OutboxCustomerData     OutboxKind = "privacy_customer_data"     // Privacy.SendCustomerData
	// OutboxInviteMail and OutboxPasswordResetMail are Mailer.SendInvite and
	// Mailer.SendPasswordReset, when Config.MailKey is set (mail.go).
	OutboxInviteMail        OutboxKind = "invite_mail"
	OutboxPasswordResetMail OutboxKind = "password_reset_mail"
	// OutboxWebhook is WebhookSender.SendWebhook to one of a client's
	// endpoints (webhook_events.go).
	OutboxWebhook OutboxKind = "webhook"
	// OutboxWebhookPausedMail is WebhookMailer.SendWebhookPaused, to the
	// owner of a client whose endpoint was paused for failing.
	OutboxWebhookPausedMail OutboxKind = "webhook_paused_mail"
	// OutboxRecipientNotice is a notice to an order's recipient, by
	// RecipientMailer.SendRecipientNotice or SMSSender.SendSMS
	// (notify_events.go).
	OutboxRecipientNotice OutboxKind = "recipient_notice"
)

// OutboxState is where an outbox entry is.
type OutboxState string

// The outbox states.
const (
	OutboxPending OutboxState = "pending" // to deliver (again) at NextAt
	OutboxDone    OutboxState = "done"    // delivered
	OutboxDead    OutboxState = "dead"    // retries ran out; LastError says why
	// OutboxDiscarded is an entry a dispatcher gave up on (Service.DiscardOutbox):
	// never delivered again.
	OutboxDiscarded OutboxState = "discarded"
)

// OutboxEntry is a side effect that leaves the database, written in the same
// transaction as the change that causes it and delivered by RunOutbox.
type OutboxEntry struct {
	ID      string
	Key     string // idempotency key, passed to the port; unique
	Account AccountID
	Client  ClientID
	Order   OrderID
	Kind    OutboxKind
	Event   Event // what happened to the order
	// NotifyCustomer is the client's choice when the entry was written (fulfill).
	NotifyCustomer bool
	// Payload is what the entry carries beside the order, as its kind reads
	// it: the URLs of OutboxEraseProofFiles (the order no longer has them),
	// the request of OutboxCustomerData, the sealed mail of OutboxInviteMail and
	// OutboxPasswordResetMail. nil for the other kinds.
	Payload []byte
	// Stream orders entries: of the pending entries of one stream, only the
	// one with the lowest Position is claimed, and the next waits until it is
	// delivered, dead or discarded (a webhook's events of one order and
	// endpoint). "": no order.
	Stream    string
	Position  int64
	State     OutboxState
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClaimOutboxParams says what to claim.
type ClaimOutboxParams struct {
	Now   time.Time
	Lease time.Duration
	Limit int
}

// FinishOutboxParams is the outcome of one delivery.
type FinishOutboxParams struct {
	ID        string
	State     OutboxState // OutboxDone, OutboxDead, or OutboxPending to retry
	NextAt    time.Time   // when to retry
	LastError string
	Now       time.Time
	// Attempts is the claim's OutboxEntry.Attempts. When set, an entry claimed
	// again since (its lease ran out) or already finished is left as it is, and
	// FinishOutbox returns ErrConflict: the outcome is the newer claim's to record.
	Attempts int
	// DropPayload deletes the entry's payload with an OutboxDone outcome: a
	// sealed mail, which is not kept once sent.
	DropPayload bool
}

// OutboxQuery selects outbox entries of a scope (OutboxStore.OutboxEntries),
// newest first.
type OutboxQuery struct {
	States []OutboxState // empty: every state
	// Failed keeps only entries whose last delivery failed (LastError set): with
	// OutboxPending, the ones being retried.
	Failed bool
	// Before continues a list after the last entry of the previous page.
	Before *OutboxCursor
	Limit  int // at most this many (all when ≤ 0)
}

// OutboxCursor is a position in a list of outbox entries, newest first.
type OutboxCursor struct {
	CreatedAt time.Time
	ID        string
}

// RequeueOutboxParams puts an entry that failed back to be delivered at Now
// (OutboxStore.RequeueOutbox).
type RequeueOutboxParams struct {
	ID  string
	Now time.Time
}

// OutboxBacklog is the outbox of every account at a glance (Store.OutboxBacklogAnyAccount).
type OutboxBacklog struct {
	Pending       int       // entries still to deliver, retries included
	OldestPending time.Time // when the oldest of them was added; zero when none
	Dead          int       // entries whose retries ran out, waiting for a retry or a discard
}
