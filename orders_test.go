package connect_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/google/go-cmp/cmp"
)

func TestDraftLifecycleByHand(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "R-1")
	if o.Status != connect.StatusDraft || o.Source != connect.SourceManual || o.Depot != "north" || o.StopType != connect.Delivery {
		t.Fatalf("new draft %+v", o)
	}
	in := o.OrderInput
	in.Notes = "leave with neighbour"
	edited, err := w.svc.UpdateDraft(w.ctx, w.owner, o.ID, o.Version, in)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Notes != "leave with neighbour" || edited.Version != o.Version+1 {
		t.Fatalf("edited %+v", edited)
	}
	// A stale version is refused and changes nothing.
	_, err = w.svc.UpdateDraft(w.ctx, w.owner, o.ID, o.Version, o.OrderInput)
	connecttest.WantCode(t, err, connect.Conflict)
	got, err := w.svc.Order(w.ctx, w.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Notes != "leave with neighbour" {
		t.Fatalf("stale edit overwrote notes: %q", got.Notes)
	}
	if err := w.svc.DeleteDraft(w.ctx, w.owner, o.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Order(w.ctx, w.owner, o.ID)
	connecttest.WantCode(t, err, connect.NotFound)
}

func TestSubmittedOrdersCannotBeEditedOrDeleted(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "R-1")
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.UpdateDraft(w.ctx, w.owner, o.ID, 0, o.OrderInput)
	connecttest.WantCode(t, err, connect.Conflict)
	connecttest.WantCode(t, w.svc.DeleteDraft(w.ctx, w.owner, o.ID, 0), connect.Conflict)
}

func TestCreateOrderRefusesMissingRequiredFields(t *testing.T) {
	w := newWorld(t)
	settings := connect.ClientSettings{AllowUpload: true, RequiredFields: connect.RequireFields(connect.FieldZip, connect.FieldRecipientPhone)}
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.CreateOrder(w.ctx, w.owner, connect.OrderInput{Address: connect.Address{Line1: "1 High St"}})
	connecttest.WantCode(t, err, connect.Invalid)
	var e *connect.Error
	errors.As(err, &e)
	want := []connect.FieldError{
		{Field: connect.FieldZip, Reason: "is required"},
		{Field: connect.FieldRecipientPhone, Reason: "is required"},
	}
	if d := cmp.Diff(want, e.Fields); d != "" {
		t.Fatalf("field errors (-want +got):\n%s", d)
	}
}

func TestDuplicateRefIsAConflict(t *testing.T) {
	w := newWorld(t)
	w.draft(w.owner, "R-1")
	_, err := w.svc.CreateOrder(w.ctx, w.owner, connect.OrderInput{Ref: "R-1", Address: connect.Address{Line1: "2 High St"}})
	connecttest.WantCode(t, err, connect.Conflict)
}

func TestSubmitIsAllOrNothingAndRechecksThePolicy(t *testing.T) {
	w := newWorld(t)
	a := w.draft(w.owner, "A")
	b, err := w.svc.CreateOrder(w.ctx, w.owner, connect.OrderInput{Ref: "B", Address: connect.Address{Line1: "2 High St", Zip: "LS1"}})
	if err != nil {
		t.Fatal(err)
	}
	// The dispatcher starts requiring the zip after the drafts were made.
	settings := connect.ClientSettings{AllowUpload: true, DefaultDepot: "south", RequiredFields: connect.RequireFields(connect.FieldZip)}
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{b.ID, a.ID})
	connecttest.WantCode(t, err, connect.Invalid)
	var e *connect.Error
	errors.As(err, &e)
	if len(e.Fields) != 1 || e.Fields[0].Field != connect.FieldZip || e.Fields[0].Row != 2 {
		t.Fatalf("field errors %+v", e.Fields)
	}
	for _, id := range []connect.OrderID{a.ID, b.ID} {
		o, _ := w.svc.Order(w.ctx, w.owner, id)
		if o.Status != connect.StatusDraft {
			t.Fatalf("order %s is %s after a refused submit", o.Ref, o.Status)
		}
	}
	out, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Status != connect.StatusSubmitted || out[0].Depot != "south" || out[0].SubmittedAt.IsZero() {
		t.Fatalf("submitted %+v", out[0])
	}
}

func TestUploadsOffForbidsAddingAndSubmitting(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "A")
	settings := connect.ClientSettings{AllowUpload: false}
	if _, err := w.svc.UpdateClient(w.ctx, w.disp, w.client.ID, connect.ClientChanges{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.CreateOrder(w.ctx, w.owner, connect.OrderInput{Address: connect.Address{Line1: "x"}})
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{o.ID})
	connecttest.WantCode(t, err, connect.Forbidden)
	// Tracking still works.
	if _, err := w.svc.Order(w.ctx, w.owner, o.ID); err != nil {
		t.Fatal(err)
	}
}

func TestWithdrawOnlyWhileOffARoute(t *testing.T) {
	w := newWorld(t)
	a, b := w.draft(w.owner, "A"), w.draft(w.owner, "B")
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	back, err := w.svc.Withdraw(w.ctx, w.owner, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Status != connect.StatusDraft || !back.SubmittedAt.IsZero() {
		t.Fatalf("withdrawn %+v", back)
	}
	w.route(ev("sched-b", b.ID, connect.EventSchedule, 0)) // the host puts it on a route
	_, err = w.svc.Withdraw(w.ctx, w.owner, b.ID)
	connecttest.WantCode(t, err, connect.Conflict)
	got, _ := w.svc.Order(w.ctx, w.owner, a.ID)
	var events []connect.Event
	for _, e := range got.History {
		events = append(events, e.Event)
	}
	if d := cmp.Diff([]connect.Event{connect.EventCreate, connect.EventSubmit, connect.EventWithdraw}, events); d != "" {
		t.Fatalf("history (-want +got):\n%s", d)
	}
}

func TestOrdersPagesThroughViews(t *testing.T) {
	w := newWorld(t)
	var submit []connect.OrderID
	for i := range 12 {
		o := w.draft(w.owner, fmt.Sprintf("R-%02d", i))
		if i%3 == 0 {
			submit = append(submit, o.ID)
		}
	}
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, submit); err != nil {
		t.Fatal(err)
	}
	var refs []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewDrafts, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			refs = append(refs, o.Ref)
		}
		if cursor = page.Next; cursor == "" {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	want := []string{"R-11", "R-10", "R-08", "R-07", "R-05", "R-04", "R-02", "R-01"}
	if d := cmp.Diff(want, refs); d != "" {
		t.Fatalf("drafts newest first (-want +got):\n%s", d)
	}
	active, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewActive})
	if err != nil || len(active.Orders) != 4 || active.Next != "" {
		t.Fatalf("active: %+v, %v", active, err)
	}
	_, err = w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{Cursor: "garbage!"})
	connecttest.WantCode(t, err, connect.Invalid)
	_, err = w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: "archive"})
	connecttest.WantCode(t, err, connect.Invalid)
}

func TestClientsListCountsOrders(t *testing.T) {
	w := newWorld(t)
	a := w.draft(w.owner, "A")
	w.draft(w.owner, "B")
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{a.ID}); err != nil {
		t.Fatal(err)
	}
	pending, err := w.svc.InviteClient(w.ctx, w.disp, connect.InviteClientParams{Name: "Another"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := w.svc.Clients(w.ctx, w.disp)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d clients", len(list))
	}
	byName := map[string]connect.ClientSummary{}
	for _, s := range list {
		byName[s.Client.Name] = s
	}
	gg := byName["Green Grocer"]
	if d := cmp.Diff(connect.StatusCounts{connect.StatusDraft: 1, connect.StatusSubmitted: 1}, gg.Orders); d != "" {
		t.Fatalf("counts (-want +got):\n%s", d)
	}
	if gg.PendingInvite != nil || byName["Another"].PendingInvite == nil || byName["Another"].PendingInvite.ID != pending.Invite.ID {
		t.Fatal("pending invites not reported")
	}
}

func TestCancelByDispatcher(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "A")
	if _, err := w.svc.SubmitOrders(w.ctx, w.owner, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.CancelOrder(w.ctx, w.disp, o.ID, "address outside our area")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != connect.StatusCancelled {
		t.Fatalf("status %s", got.Status)
	}
	full, _ := w.svc.Order(w.ctx, w.owner, o.ID)
	last := full.History[len(full.History)-1]
	if last.Reason != "address outside our area" || last.By != "dispatcher ana@dispatch.example" {
		t.Fatalf("history %+v", last)
	}
}

// TestOrdersSearchAndFilter lists a client's orders by a search and by source,
// and refuses what no list can mean; the dispatcher's search spans its clients,
// a member's never leaves its own.
func TestOrdersSearchAndFilter(t *testing.T) {
	w := newWorld(t)
	w.draft(w.owner, "INV-7001")
	w.draft(w.owner, "INV-7002")
	_, other := w.signUpClient(w.disp, "Blue Bakery", connect.ClientSettings{AllowUpload: true})
	w.draft(other, "INV-7003")

	refs := func(a connect.Actor, p connect.ListOrdersParams) []string {
		t.Helper()
		page, err := w.svc.Orders(w.ctx, a, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range page.Orders {
			out = append(out, o.Ref)
		}
		return out
	}
	if got := refs(w.owner, connect.ListOrdersParams{Search: "  inv-700 "}); !slices.Equal(got, []string{"INV-7002", "INV-7001"}) {
		t.Errorf("member's search: %v", got)
	}
	if got := refs(w.disp, connect.ListOrdersParams{Search: "INV-700"}); len(got) != 3 {
		t.Errorf("dispatcher's search: %v", got)
	}
	if got := refs(w.owner, connect.ListOrdersParams{Search: "7003"}); len(got) != 0 {
		t.Errorf("a member found another client's order: %v", got)
	}
	if got := refs(w.owner, connect.ListOrdersParams{Source: connect.SourceShopify}); len(got) != 0 {
		t.Errorf("no Shopify order, yet %v", got)
	}
	for name, p := range map[string]connect.ListOrdersParams{
		"a search too long":    {Search: strings.Repeat("x", 201)},
		"an unknown source":    {Source: "fax"},
		"a range ending first": {CreatedFrom: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), CreatedBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		"an empty range":       {CreatedFrom: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), CreatedBefore: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		_, err := w.svc.Orders(w.ctx, w.owner, p)
		if !errors.Is(err, connect.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// The completed view lists the most recently completed first, whatever the
// orders' creation, page after page; a list sorts by completion only when
// every status in it is a completed one, and a cursor serves only its sort.
func TestTheCompletedViewSortsByCompletion(t *testing.T) {
	w := newWorld(t)
	w.Clock.Set(t0)
	early := w.OrderFrom(w.owner, connect.StatusScheduled, connect.OrderInput{Ref: "EARLY", Address: connect.Address{Line1: "1 High St"}})
	w.advance(time.Hour)
	delivered := w.OrderFrom(w.owner, connect.StatusDelivered, connect.OrderInput{Ref: "DELIVERED", Address: connect.Address{Line1: "2 High St"}})
	w.advance(time.Hour)
	cancelled := w.OrderFrom(w.owner, connect.StatusCancelled, connect.OrderInput{Ref: "CANCELLED", Address: connect.Address{Line1: "3 High St"}})
	w.advance(time.Hour)
	at := w.Clock.Now()
	if _, err := w.svc.ApplyRouteEvents(w.ctx, connect.AsRouteSync(w.owner.Account), []connect.RouteEvent{
		{ID: "done-early", Order: early.ID, Event: connect.EventComplete, At: at, Proof: &connect.ProofOfDelivery{RecipientName: "Rita", At: at}}}); err != nil {
		t.Fatal(err)
	}
	refs := func(p connect.ListOrdersParams) []string {
		t.Helper()
		var out []string
		p.Limit = 1
		for range 10 {
			page, err := w.svc.Orders(w.ctx, w.owner, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Orders {
				out = append(out, o.Ref)
			}
			if p.Cursor = page.Next; p.Cursor == "" {
				return out
			}
		}
		t.Fatal("pagination does not end")
		return nil
	}
	if got := refs(connect.ListOrdersParams{View: connect.ViewCompleted}); !cmp.Equal(got, []string{"EARLY", "CANCELLED", "DELIVERED"}) {
		t.Fatalf("completed, by completion: %q", got)
	}
	if got := refs(connect.ListOrdersParams{View: connect.ViewCompleted, Sort: connect.OrderSortCreated}); !cmp.Equal(got, []string{"CANCELLED", "DELIVERED", "EARLY"}) {
		t.Fatalf("completed, by creation: %q", got)
	}
	if got := refs(connect.ListOrdersParams{Statuses: []connect.Status{connect.StatusDelivered}, Sort: connect.OrderSortCompleted}); !cmp.Equal(got, []string{"EARLY", "DELIVERED"}) {
		t.Fatalf("delivered, by completion: %q", got)
	}
	o, err := w.svc.Order(w.ctx, w.owner, early.ID)
	if err != nil || !o.CompletedAt().Equal(at) {
		t.Fatalf("completed at %v (%v), want %v", o.CompletedAt(), err, at)
	}
	near := func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Second } // the World's clock ticks as it works
	if c, _ := w.svc.Order(w.ctx, w.owner, cancelled.ID); !near(c.CompletedAt(), t0.Add(2*time.Hour)) {
		t.Fatalf("cancelled at %v", c.CompletedAt())
	}
	if d, _ := w.svc.Order(w.ctx, w.owner, delivered.ID); !near(d.CompletedAt(), t0.Add(time.Hour)) {
		t.Fatalf("delivered at %v", d.CompletedAt())
	}

	for name, p := range map[string]connect.ListOrdersParams{
		"active by completion":      {View: connect.ViewActive, Sort: connect.OrderSortCompleted},
		"every order by completion": {Sort: connect.OrderSortCompleted},
		"an unknown sort":           {View: connect.ViewCompleted, Sort: "ref"},
	} {
		if _, err := w.svc.Orders(w.ctx, w.owner, p); !errors.Is(err, connect.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	byCompletion, err := w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewCompleted, Limit: 1})
	if err != nil || byCompletion.Next == "" {
		t.Fatalf("first page: %+v, %v", byCompletion, err)
	}
	_, err = w.svc.Orders(w.ctx, w.owner, connect.ListOrdersParams{View: connect.ViewCompleted, Sort: connect.OrderSortCreated, Cursor: byCompletion.Next})
	connecttest.WantCode(t, err, connect.Invalid)
}
