package connecttest

import (
	"fmt"
	"time"

	"github.com/dispatchkit/connect"
)

// Person is someone the World signed up: who they are to the Service, and how
// they sign in to a portal.
type Person struct {
	Actor    connect.Actor
	Email    string
	Password string // "" when signed up without one (WithPassword(""))
}

// Team is a client of the World's account and the people of its team.
type Team struct {
	Client *connect.Client
	Owner  Person
	w      *World
}

// NewClient invites a client with the settings as the World's Dispatcher, and
// signs its owner up from the invite (owner@<name>.example): an active client.
func (w *World) NewClient(name string, settings connect.ClientSettings) *Team {
	w.t.Helper()
	ctx := w.t.Context()
	inv, err := w.Service.InviteClient(ctx, w.Dispatcher, connect.InviteClientParams{Name: name, Settings: settings})
	if err != nil {
		w.t.Fatalf("connecttest: inviting client %q: %v", name, err)
	}
	email := "owner@" + slug(name) + ".example"
	acc, err := w.Service.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: name + " Owner", Email: email, Password: w.password})
	if err != nil {
		w.t.Fatalf("connecttest: signing up the owner of %q: %v", name, err)
	}
	return &Team{Client: acc.Client, Owner: Person{Actor: acc.Actor, Email: email, Password: w.password}, w: w}
}

// Join has inviter (an owner, or an admin) invite email to their team with the
// role, and signs the person up from the invite.
func (w *World) Join(inviter connect.Actor, email string, role connect.Role) Person {
	w.t.Helper()
	ctx := w.t.Context()
	inv, err := w.Service.InviteMember(ctx, inviter, connect.InviteMemberParams{Email: email, Role: role})
	if err != nil {
		w.t.Fatalf("connecttest: inviting %s as %s: %v", email, role, err)
	}
	acc, err := w.Service.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: email, Email: email, Password: w.password})
	if err != nil {
		w.t.Fatalf("connecttest: signing %s up: %v", email, err)
	}
	return Person{Actor: acc.Actor, Email: email, Password: w.password}
}

// Join adds a person with the role to the team, invited by its owner, at an
// address no one else in the World has.
func (tm *Team) Join(role connect.Role) Person {
	tm.w.t.Helper()
	email := fmt.Sprintf("%s%d@%s.example", role, tm.w.seq.Add(1), slug(tm.Client.Name))
	return tm.w.Join(tm.Owner.Actor, email, role)
}

// Order makes one order of by's client in the status, with a ref and an address
// of its own; see OrderFrom.
func (w *World) Order(by connect.Actor, status connect.Status) *connect.Order {
	w.t.Helper()
	return w.orders(by, status, []connect.OrderInput{w.input()})[0]
}

// Orders makes n orders of by's client in the status, moved there together (one
// submission, one batch of route events).
func (w *World) Orders(by connect.Actor, status connect.Status, n int) []*connect.Order {
	w.t.Helper()
	ins := make([]connect.OrderInput, n)
	for i := range ins {
		ins[i] = w.input()
	}
	return w.orders(by, status, ins)
}

// OrderFrom makes an order from in and takes it to the status the way a real one
// gets there, and returns it as the Service then shows it. by, a member of a
// client that may upload, creates the draft and submits it; the account's host
// sends the route events (scheduled: on a route; en route: started, with an ETA
// an hour after the clock's time; delivered: completed, with proof of delivery;
// failed: attempted, with a reason); its dispatcher cancels a submitted order
// (cancelled). Each route event happens at the clock's time of its sending. It
// fails the test when any step is refused.
func (w *World) OrderFrom(by connect.Actor, status connect.Status, in connect.OrderInput) *connect.Order {
	w.t.Helper()
	return w.orders(by, status, []connect.OrderInput{in})[0]
}

// input is an order input no other of the World's orders has.
func (w *World) input() connect.OrderInput {
	n := w.seq.Add(1)
	return connect.OrderInput{Ref: fmt.Sprintf("ORD-%d", n),
		Address:   connect.Address{Line1: fmt.Sprintf("%d High Street", n), City: "Springfield", Zip: "12345"},
		Recipient: connect.Recipient{Name: "Rita Recipient"}}
}

func (w *World) orders(by connect.Actor, status connect.Status, ins []connect.OrderInput) []*connect.Order {
	w.t.Helper()
	if !status.Valid() {
		w.t.Fatalf("connecttest: no such status %q", status)
	}
	ctx := w.t.Context()
	ids := make([]connect.OrderID, len(ins))
	for i, in := range ins {
		o, err := w.Service.CreateOrder(ctx, by, in)
		if err != nil {
			w.t.Fatalf("connecttest: creating order %q: %v", in.Ref, err)
		}
		ids[i] = o.ID
	}
	if status != connect.StatusDraft {
		if _, err := w.Service.SubmitOrders(ctx, by, ids); err != nil {
			w.t.Fatalf("connecttest: submitting %d orders: %v", len(ids), err)
		}
	}
	switch status {
	case connect.StatusCancelled:
		for _, id := range ids {
			if _, err := w.Service.CancelOrder(ctx, w.DispatcherOf(by.Account), id, "cancelled by the test"); err != nil {
				w.t.Fatalf("connecttest: cancelling order %s: %v", id, err)
			}
		}
	case connect.StatusScheduled, connect.StatusEnRoute, connect.StatusDelivered, connect.StatusFailed:
		w.drive(by.Account, ids, status)
	}
	out := make([]*connect.Order, len(ids))
	for i, id := range ids {
		o, err := w.Service.Order(ctx, by, id)
		if err != nil {
			w.t.Fatalf("connecttest: reading order %s back: %v", id, err)
		}
		out[i] = o
	}
	return out
}

// drive sends the host's route events that take submitted orders to the status:
// all on one new route, in one batch.
func (w *World) drive(account connect.AccountID, ids []connect.OrderID, status connect.Status) {
	w.t.Helper()
	route := fmt.Sprintf("route-%d", w.seq.Add(1))
	var events []connect.RouteEvent
	event := func(id connect.OrderID, ev connect.Event) connect.RouteEvent {
		return connect.RouteEvent{ID: fmt.Sprintf("connecttest-%d", w.seq.Add(1)), Order: id, Event: ev, At: w.now()}
	}
	for i, id := range ids {
		scheduled := event(id, connect.EventSchedule)
		scheduled.Route = connect.RouteStop{RouteID: route, Position: i + 1}
		events = append(events, scheduled)
		if status == connect.StatusScheduled {
			continue
		}
		started := event(id, connect.EventStart)
		started.ETA = started.At.Add(time.Hour)
		events = append(events, started)
		switch status {
		case connect.StatusDelivered:
			done := event(id, connect.EventComplete)
			done.Proof = &connect.ProofOfDelivery{RecipientName: "Rita Recipient", Notes: "Handed to the recipient", At: done.At}
			events = append(events, done)
		case connect.StatusFailed:
			failed := event(id, connect.EventFail)
			failed.Reason = "nobody home"
			failed.Proof = &connect.ProofOfDelivery{Notes: "Card left", At: failed.At}
			events = append(events, failed)
		}
	}
	res, err := w.Service.ApplyRouteEvents(w.t.Context(), connect.AsRouteSync(account), events)
	if err != nil {
		w.t.Fatalf("connecttest: route events: %v", err)
	}
	if res.Applied != len(events) || len(res.Errors) > 0 {
		w.t.Fatalf("connecttest: %d of %d route events applied: %+v", res.Applied, len(events), res)
	}
}

// PNG is a 1×1 PNG image: a proof-of-delivery photo or signature for tests
// (Service.StoreProofFile takes images only).
var PNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
