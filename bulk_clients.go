package connect

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// A bulk change of clients ("stop uploads for these 40 clients", "disable all
// 2,000 matching 'closed'") is one ChangeClients call. Like the orders' bulk
// actions (bulk.go) it first takes the ids the selection names, then changes
// them in batches of bulkBatch clients, each in a transaction of its own, so
// that no run holds the locks of thousands of rows; a run cut short leaves its
// committed batches done, and running it again finishes the rest (a client
// already as asked is counted done and not written). Each client is read and
// written within its batch's transaction with a compare-and-set on its
// version: a concurrent change makes the batch read again, never overwrites.

// MaxBulkClients bounds the clients one ChangeClients takes: BulkResult.More
// says when more matched.
const MaxBulkClients = 100_000

// ClientSelection names the clients of a bulk change: those listed by id, or
// every client of the account a search matches.
type ClientSelection struct {
	// IDs are clients chosen one by one (duplicates count once). An id that is
	// not a client of the caller's account is refused (not_found), and nothing
	// of it is read or written.
	IDs []ClientID
	// Matching, when set, takes every client of the account that its Search
	// selects, as ClientsPage lists them (its Cursor and Limit are not read);
	// IDs are then not read.
	Matching *ClientsParams
}

// ClientsAction is what a bulk change does to each client.
type ClientsAction string

// The bulk changes of clients.
const (
	// ClientsAllowUploads lets the clients' teams add and submit orders.
	ClientsAllowUploads ClientsAction = "allow_uploads"
	// ClientsStopUploads stops the clients' uploads: their teams track the
	// dispatcher's stops only.
	ClientsStopUploads ClientsAction = "stop_uploads"
	// ClientsSetDepot sets the clients' default depot (ClientsChange.Depot).
	ClientsSetDepot ClientsAction = "set_depot"
	// ClientsDisable turns the clients' portals off, as DisableClient does.
	ClientsDisable ClientsAction = "disable"
	// ClientsEnable turns disabled clients' portals back on, as EnableClient.
	ClientsEnable ClientsAction = "enable"
)

// ClientsActions lists the bulk changes of clients, in the order a console
// offers them.
func ClientsActions() []ClientsAction {
	return []ClientsAction{ClientsAllowUploads, ClientsStopUploads, ClientsSetDepot, ClientsDisable, ClientsEnable}
}

// ClientsChange is the change ChangeClients makes to each selected client.
type ClientsChange struct {
	Action ClientsAction
	// Depot is the default depot ClientsSetDepot sets; "" clears it.
	Depot DepotID
}

// apply makes the change to cl and reports whether it changed anything.
func (ch ClientsChange) apply(cl *Client) bool {
	before := *cl
	switch ch.Action {
	case ClientsAllowUploads:
		cl.Settings.AllowUpload = true
	case ClientsStopUploads:
		cl.Settings.AllowUpload = false
	case ClientsSetDepot:
		cl.Settings.DefaultDepot = ch.Depot
	case ClientsDisable:
		cl.Status = ClientDisabled
	case ClientsEnable:
		if cl.Status == ClientDisabled {
			cl.Status = enabledStatus(cl)
		}
	}
	return cl.Settings.AllowUpload != before.Settings.AllowUpload ||
		cl.Settings.DefaultDepot != before.Settings.DefaultDepot || cl.Status != before.Status
}

// enabledStatus is the status EnableClient gives a client back.
func enabledStatus(cl *Client) ClientStatus {
	if cl.Number == "" {
		return ClientInvited // never signed up
	}
	return ClientActive
}

// ChangeClients makes one change (allow or stop uploads, set the default
// depot, disable, enable) to the selected clients of the dispatcher's account,
// in batches each committed on its own (see the top of this file), calling
// opts.Progress as it goes. The result counts the clients matched (ids of the
// account, or the search's), changed (Done; one already as asked counts too)
// and refused, each refusal with its client and why. Only dispatchers may.
// Errors: ErrForbidden; ErrInvalid for an unknown action, a search too long
// or a selection of nothing; a Store's error, with the result of the batches
// committed before it.
func (s *Service) ChangeClients(ctx context.Context, a Actor, sel ClientSelection, ch ClientsChange, opts BulkOptions) (res *BulkResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.change_clients")
	defer func() { end(span, err) }()
	c, err := s.authorize(ctx, a, actManageClients)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	if !slices.Contains(ClientsActions(), ch.Action) {
		return nil, InvalidFields([]FieldError{{Field: "action", Reason: fmt.Sprintf("%q is not a change of clients", ch.Action)}})
	}
	if ch.Action != ClientsSetDepot {
		ch.Depot = ""
	}
	ids, more, err := s.selectClients(ctx, c, sel)
	if err != nil {
		return nil, err
	}
	res = &BulkResult{More: more}
	err = inBatches(ctx, ids, "clients", opts, func(batch []ClientID) error { return s.changeClientsBatch(ctx, c, batch, ch, res) })
	if err != nil {
		return res, err
	}
	s.log.InfoContext(ctx, "clients changed", "account", c.Account, "action", ch.Action, "matched", res.Matched,
		"done", res.Done, "refused", res.Refused)
	return res, nil
}

// selectClients returns the ids sel names (at most MaxBulkClients, and
// whether more matched): the search's clients by name, or the listed ids.
func (s *Service) selectClients(ctx context.Context, c caller, sel ClientSelection) ([]ClientID, bool, error) {
	scope := Scope{Account: c.Account}
	if sel.Matching == nil {
		if len(sel.IDs) == 0 {
			return nil, false, Errorf(Invalid, "choose the clients to change")
		}
		var ids []ClientID
		seen := map[ClientID]bool{}
		for _, id := range sel.IDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) > MaxBulkClients {
			return ids[:MaxBulkClients], true, nil
		}
		return ids, false, nil
	}
	search, err := checkSearch(sel.Matching.Search)
	if err != nil {
		return nil, false, err
	}
	q := ClientQuery{Search: search, Limit: maxPageSize}
	var ids []ClientID
	for {
		page, err := s.store.ClientsPage(ctx, scope, q)
		if err != nil {
			return nil, false, err
		}
		for _, cl := range page {
			if len(ids) == MaxBulkClients {
				return ids, true, nil
			}
			ids = append(ids, cl.ID)
		}
		if len(page) < q.Limit {
			return ids, false, nil
		}
		last := page[len(page)-1]
		q.After = &ClientCursor{Name: last.Name, ID: last.ID}
	}
}

// changeClientsBatch changes one batch of clients in a transaction and adds
// what it committed to res. An id that is no client of the account is
// refused; a batch losing a compare-and-set race is read again.
func (s *Service) changeClientsBatch(ctx context.Context, c caller, batch []ClientID, ch ClientsChange, res *BulkResult) error {
	scope := Scope{Account: c.Account}
	for attempt := 0; ; attempt++ {
		var matched int
		refused := &BulkResult{}
		err := s.store.Tx(ctx, func(tx Store) error {
			matched, refused = 0, &BulkResult{}
			for _, id := range batch {
				cl, err := tx.Client(ctx, scope, id)
				if errors.Is(err, ErrNotFound) {
					refused.refuseClient(id, Errorf(NotFound, "no client of yours has the id %s", id))
					continue
				} else if err != nil {
					return err
				}
				matched++
				if !ch.apply(cl) {
					continue // already as asked
				}
				cl.UpdatedAt = s.clock()
				if err := tx.UpdateClient(ctx, scope, cl); err != nil {
					return err
				}
			}
			return nil
		})
		if isConflict(err) && attempt < bulkRetries {
			continue // changed meanwhile: read again
		}
		if err != nil {
			return err
		}
		res.Matched += matched
		res.add(matched, refused) // every client found is as asked now
		return nil
	}
}

// refuseClient records a client a bulk change left as it was.
func (r *BulkResult) refuseClient(id ClientID, err error) {
	r.Refused++
	if len(r.Refusals) >= maxBulkRefusals {
		r.MoreRefusals++
		return
	}
	msg := err.Error()
	var e *Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	r.Refusals = append(r.Refusals, BulkRefusal{Client: id, Code: ErrorCode(err), Reason: msg})
}
