package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dispatchkit/connect"
)

// Bulk actions on the orders page: "Submit (delete) all N matching" on the
// drafts tab, "Withdraw all N matching" on the active tab. Each posts the
// list's filter and runs one Service call (connect.SubmitMatching and its
// siblings) in the background, with the import's progress page (a job of the
// uploads, followed by any process) and a result page listing the refusals.

// bulkAction is one of the bulk actions.
type bulkAction struct {
	Name string // "submit", "withdraw", "delete"
	Verb string // as the pages say it: "Submitting", ...
	Done string // "submitted", ...
	// The pages' messages of the action, translated where shown.
	Title, Progress, Finished, DoneHead, DoneCount, NoneDone string
	View                                                     connect.View
	run                                                      func(*connect.Service, context.Context, connect.Actor, connect.ListOrdersParams, connect.BulkOptions) (*connect.BulkResult, error)
	check                                                    func(r *http.Request) error // refuses the request before anything runs, if set
}

var bulkActions = map[string]bulkAction{
	"submit": {Name: "submit", Verb: "Submitting", Done: "submitted", View: connect.ViewDrafts, run: (*connect.Service).SubmitMatching,
		Title: msg("Submitting orders"), Progress: msg("Submitting {{.File}}"), Finished: msg("Submitting {{.File}}: finished"),
		DoneHead: msg("Orders submitted"), DoneCount: msg("Orders submitted: {{.Count}}."), NoneDone: msg("No order was submitted.")},
	"withdraw": {Name: "withdraw", Verb: "Withdrawing", Done: "withdrawn", View: connect.ViewActive, run: (*connect.Service).WithdrawMatching,
		Title: msg("Withdrawing orders"), Progress: msg("Withdrawing {{.File}}"), Finished: msg("Withdrawing {{.File}}: finished"),
		DoneHead: msg("Orders withdrawn"), DoneCount: msg("Orders withdrawn: {{.Count}}."), NoneDone: msg("No order was withdrawn.")},
	"delete": {Name: "delete", Verb: "Deleting", Done: "deleted", View: connect.ViewDrafts, run: (*connect.Service).DeleteMatching,
		Title: msg("Deleting orders"), Progress: msg("Deleting {{.File}}"), Finished: msg("Deleting {{.File}}: finished"),
		DoneHead: msg("Orders deleted"), DoneCount: msg("Orders deleted: {{.Count}}."), NoneDone: msg("No order was deleted."),
		// No irreversible action without a confirmation, with or without
		// JavaScript: the form's box must be ticked.
		check: func(r *http.Request) error {
			if r.PostFormValue("confirm") != "delete" {
				return connect.InvalidFields([]connect.FieldError{{Field: "confirm",
					Reason: "tick “Yes, delete them” to delete every matching draft: it cannot be undone"}})
			}
			return nil
		}},
}

// startBulk starts the bulk action on the orders the posted filter (q,
// source, from, to) selects, and sends the member to its progress page.
func (s *server) startBulk(name string) memberFunc {
	act := bulkActions[name]
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if err := r.ParseForm(); err != nil {
			return connect.Errorf(connect.Invalid, "the form could not be read")
		}
		filter := filterOf(r.PostForm)
		var params connect.ListOrdersParams
		err := filter.apply(&params)
		if err == nil && act.check != nil {
			err = act.check(r)
		}
		if err != nil {
			// Said on the list it came from, with its filter.
			r.URL.RawQuery = url.Values{"view": {string(act.View)}}.Encode() + "&" + string(filter.Query())
			return s.showOrders(w, r, v, act.View, http.StatusUnprocessableEntity, err)
		}
		name := fmt.Sprintf("all matching %s orders", act.View)
		if act.View == connect.ViewDrafts {
			name = "all matching drafts"
		}
		u, err := s.uploads.bulkJob(r.Context(), v.Actor, act.Name, name)
		if err != nil {
			return err
		}
		job := newImportJob(0)
		a := v.Actor
		a.AccessMemo = nil // the request's, which ends before the job
		s.runJob(r.Context(), u, job, func(ctx context.Context) {
			res, err := act.run(s.svc, ctx, a, params, connect.BulkOptions{Progress: job.bulkProgressed})
			job.bulkFinished(res, err)
			if err != nil {
				s.log.WarnContext(ctx, "portal: bulk action failed", "action", act.Name, "client", a.Client, "err", err)
			}
		})
		s.redirect(w, r, s.path("/imports/%s/progress", u.ID))
		return nil
	}
}

// bulkData is a bulk action's progress and result pages.
type bulkData struct {
	U      *upload
	Act    bulkAction
	St     jobState
	Res    *connect.BulkResult
	Error  string
	Shown  []connect.BulkRefusal
	Hidden int // refusals not listed
}

// bulkProgressPage is the progress page of a bulk action.
func (s *server) bulkProgressPage(w http.ResponseWriter, r *http.Request, u *upload, st jobState) {
	act := bulkActions[u.bulk]
	s.render(w, r, http.StatusOK, "bulk-progress", &page{Title: s.t(r, act.Title), Tab: "orders",
		Data: bulkData{U: u, Act: act, St: st}})
}

// bulkResultPage is the result page of a finished bulk action: what it did,
// and each order it refused with the reason.
func (s *server) bulkResultPage(w http.ResponseWriter, r *http.Request, u *upload, job *importJob) error {
	job.mu.Lock()
	res, jerr := job.bulk, job.err
	job.mu.Unlock()
	if res == nil {
		return jerr
	}
	d := bulkData{U: u, Act: bulkActions[u.bulk], Res: res, Shown: res.Refusals, Hidden: res.MoreRefusals}
	if jerr != nil {
		d.Error = message(jerr)
	}
	if len(d.Shown) > maxShownErrors {
		d.Shown, d.Hidden = d.Shown[:maxShownErrors], d.Hidden+len(d.Shown)-maxShownErrors
	}
	s.render(w, r, http.StatusOK, "bulk-result", &page{Title: s.t(r, d.Act.DoneHead), Tab: "orders", Data: d})
	return nil
}

// matching is what the orders page offers to act on beyond its rows: how many
// orders of the tab match (0 when counting them would cost: a filtered list
// says "all matching" without a number), and whether there are more than the
// page shows.
type matching struct {
	Count int
	More  bool
}

// countMatching counts the orders a bulk action on the view would take, when
// that is cheap: with no filter, from the client's counts per status (kept by
// the Store, read once per change). Only submitted orders can be withdrawn.
func (s *server) countMatching(ctx context.Context, v *viewer, view connect.View, filter orderFilter) int {
	if filter.Any() {
		return 0
	}
	h, err := s.stats(ctx, v.Actor)
	if err != nil {
		return 0
	}
	if view == connect.ViewActive {
		return h.Counts[connect.StatusSubmitted]
	}
	return h.Views[string(view)]
}

// apiBulkBody is the filter a bulk action of the API takes, as the list's
// query parameters name it.
type apiBulkBody struct {
	Search        string           `json:"q"`
	Source        connect.Source   `json:"source"`
	Import        connect.ImportID `json:"import"`
	CreatedFrom   string           `json:"created_from"`
	CreatedBefore string           `json:"created_before"`
}

// apiBulk runs a bulk action on the orders the body's filter selects, within
// the request, and answers with its result.
func (s *server) apiBulk(name string) apiFunc {
	act := bulkActions[name]
	return func(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
		var in apiBulkBody
		if err := readJSON(r, &in); err != nil {
			return err
		}
		p := connect.ListOrdersParams{Search: in.Search, Source: in.Source, Import: in.Import}
		q := url.Values{"created_from": {in.CreatedFrom}, "created_before": {in.CreatedBefore}}
		var err error
		if p.CreatedFrom, err = apiTime(q, "created_from"); err != nil {
			return err
		}
		if p.CreatedBefore, err = apiTime(q, "created_before"); err != nil {
			return err
		}
		res, err := act.run(s.svc, r.Context(), a, p, connect.BulkOptions{})
		if err != nil && res == nil {
			return err
		}
		status := http.StatusOK
		if err != nil {
			// Cut short: what the batches before did is done, and said.
			status = httpStatus(err)
			s.log.WarnContext(r.Context(), "portal: bulk action cut short", "action", act.Name, "client", a.Client, "err", err)
		}
		writeJSON(w, status, res)
		return nil
	}
}
