package portal

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dispatchkit/connect"
)

// A change of many clients at once, from the console's client list: the rows
// ticked (each row's checkbox belongs to the list's change form), or "all N
// matching" the search. One Service call (connect.ChangeClients) makes it:
// within the request for the rows of a page, in the background for all
// matching, with the import's progress bar (a job of the uploads, followed
// from any process) and a result page. Disabling asks first, with or without
// JavaScript (confirm.go): it has a route of its own, the form's button
// posting there (formaction).

// maxInlineClients bounds the clients changed within the request; a larger
// selection (all matching) runs in the background with a progress page.
const maxInlineClients = 500

// clientChange is the console's words for one change of clients.
type clientChange struct {
	Action connect.ClientsAction
	// Title is the progress page's, Done the flash and result's ("Clients
	// disabled: {{.Count}}.").
	Title, Done string
}

var clientChanges = map[connect.ClientsAction]clientChange{
	connect.ClientsAllowUploads: {Action: connect.ClientsAllowUploads, Title: msg("Allowing uploads"), Done: msg("Clients allowed to upload: {{.Count}}.")},
	connect.ClientsStopUploads:  {Action: connect.ClientsStopUploads, Title: msg("Stopping uploads"), Done: msg("Clients whose uploads were stopped: {{.Count}}.")},
	connect.ClientsSetDepot:     {Action: connect.ClientsSetDepot, Title: msg("Setting the default depot"), Done: msg("Clients given the default depot: {{.Count}}.")},
	connect.ClientsDisable:      {Action: connect.ClientsDisable, Title: msg("Disabling clients"), Done: msg("Clients disabled: {{.Count}}.")},
	connect.ClientsEnable:       {Action: connect.ClientsEnable, Title: msg("Enabling clients"), Done: msg("Clients enabled: {{.Count}}.")},
}

// clientsJobPrefix marks the bulk job of a change of clients (upload.bulk).
const clientsJobPrefix = "clients:"

// changeClients makes the posted change ("action") to the posted clients.
func (s *server) changeClients(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	act := connect.ClientsAction(r.PostFormValue("action"))
	if act == connect.ClientsDisable {
		// Only through its own route, which asks first.
		return connect.Errorf(connect.Invalid, "disabling clients asks first: use its button")
	}
	return s.applyClientChange(w, r, a, act)
}

// disableClients disables the posted clients, once confirmed.
func (s *server) disableClients(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.applyClientChange(w, r, a, connect.ClientsDisable)
}

// applyClientChange reads the selection (ticked "id"s, or "all" the search
// "q" matches) and makes the change: at once for a page's rows, back to the
// list with a flash; in the background for all matching.
func (s *server) applyClientChange(w http.ResponseWriter, r *http.Request, a connect.Actor, act connect.ClientsAction) error {
	cc, ok := clientChanges[act]
	if !ok {
		return connect.InvalidFields([]connect.FieldError{{Field: "action", Reason: "choose what to change"}})
	}
	search := strings.TrimSpace(r.PostFormValue("q"))
	back := s.path("/dispatch/clients")
	if search != "" {
		back += "?" + url.Values{"q": {search}}.Encode()
	}
	ch := connect.ClientsChange{Action: act, Depot: connect.DepotID(strings.TrimSpace(r.PostFormValue("depot")))}
	if act == connect.ClientsSetDepot && ch.Depot != "" {
		depots, err := s.depots(r.Context(), a)
		if err != nil {
			return err
		}
		if len(depots) > 0 && !slices.ContainsFunc(depots, func(d Depot) bool { return d.ID == ch.Depot }) {
			s.setFlash(w, flash{Message: s.t(r, "Choose one of your depots."), Error: true})
			s.redirect(w, r, back)
			return nil
		}
	}
	var sel connect.ClientSelection
	if r.PostFormValue("all") != "" {
		sel.Matching = &connect.ClientsParams{Search: search}
	} else {
		for _, id := range r.PostForm["id"] {
			sel.IDs = append(sel.IDs, connect.ClientID(id))
		}
	}
	if sel.Matching == nil && len(sel.IDs) == 0 {
		s.setFlash(w, flash{Message: s.t(r, "Tick the clients to change, or select all matching."), Error: true})
		s.redirect(w, r, back)
		return nil
	}
	if sel.Matching == nil && len(sel.IDs) <= maxInlineClients {
		res, err := s.svc.ChangeClients(r.Context(), a, sel, ch, connect.BulkOptions{})
		if err != nil && res == nil {
			return err
		}
		f := flash{Message: s.clientChangeSaid(r, cc, res, err)}
		f.Error = err != nil
		s.setFlash(w, f)
		s.redirect(w, r, back)
		return nil
	}
	u, err := s.uploads.bulkJob(r.Context(), a, clientsJobPrefix+string(act), "clients")
	if err != nil {
		return err
	}
	job := newImportJob(0)
	a.AccessMemo = nil // the request's, which ends before the job
	s.runJob(r.Context(), u, job, func(ctx context.Context) {
		res, err := s.svc.ChangeClients(ctx, a, sel, ch, connect.BulkOptions{Progress: job.bulkProgressed})
		job.bulkFinished(res, err)
		if err != nil {
			s.log.WarnContext(ctx, "portal: change of clients failed", "action", act, "account", a.Account, "err", err)
		}
	})
	s.redirect(w, r, s.path("/dispatch/jobs/%s", u.ID))
	return nil
}

// clientChangeSaid words a change's outcome for a flash.
func (s *server) clientChangeSaid(r *http.Request, cc clientChange, res *connect.BulkResult, err error) string {
	said := s.t(r, cc.Done, "Count", res.Done)
	if res.Refused > 0 {
		said += " " + s.t(r, "Left as they were (not clients of yours): {{.Count}}.", "Count", res.Refused)
	}
	if res.More {
		said += " " + s.t(r, "More clients matched than one change takes: make it again for the rest.")
	}
	if err != nil {
		said += " " + s.t(r, "It stopped before the end: {{.Error}}", "Error", message(err))
	}
	return said
}

// clientsJobData is the progress and result page of a change of clients.
type clientsJobData struct {
	U      *upload
	Change clientChange
	St     jobState
	Res    *connect.BulkResult
	Said   string
	Error  bool
}

// dispatcherJob answers the dispatcher's background change of clients: its
// progress page until it finishes, then its result.
func (s *server) dispatcherJob(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, job, err := s.dispatcherJobOf(r, a)
	if err != nil {
		return err
	}
	cc := clientChanges[connect.ClientsAction(strings.TrimPrefix(u.bulk, clientsJobPrefix))]
	st, _ := job.state()
	d := clientsJobData{U: u, Change: cc, St: st}
	if st.Finished {
		job.mu.Lock()
		res, jerr := job.bulk, job.err
		job.mu.Unlock()
		if res == nil {
			return jerr
		}
		d.Res, d.Said, d.Error = res, s.clientChangeSaid(r, cc, res, jerr), jerr != nil
	}
	s.render(w, r, http.StatusOK, "clients-job", &page{Title: s.t(r, cc.Title), Tab: "clients", Data: d})
	return nil
}

// dispatcherJobOf returns the dispatcher's change of clients the request
// names. Errors: ErrNotFound (also for another's, or a member's job).
func (s *server) dispatcherJobOf(r *http.Request, a connect.Actor) (*upload, *importJob, error) {
	u, job, err := s.actorJob(r, a)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(u.bulk, clientsJobPrefix) {
		return nil, nil, errNoUpload()
	}
	return u, job, nil
}

// dispatcherJobStatus answers the job's progress as JSON (polling).
func (s *server) dispatcherJobStatus(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if _, _, err := s.dispatcherJobOf(r, a); err != nil {
		return err
	}
	return s.jobStatus(w, r, a, s.path("/dispatch/jobs/%s", r.PathValue("id")))
}

// dispatcherJobEvents streams the job's progress (Server-Sent Events).
func (s *server) dispatcherJobEvents(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if _, _, err := s.dispatcherJobOf(r, a); err != nil {
		return err
	}
	return s.jobEvents(w, r, a, s.path("/dispatch/jobs/%s", r.PathValue("id")), func(context.Context) error { return nil })
}
