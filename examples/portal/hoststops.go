package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/portal"
)

// The host's own stops with no client: a walk-in parcel, a stop typed in by
// the dispatcher. They are the host's, not connect's, until the dispatcher
// links one to a client from its page, as the help article's first way to
// invite says: the stop's Client field reads "No client"; "Add new client"
// invites a client and links the stop to it (connect.InviteClientParams.Stops),
// or an existing client is picked (connect.Service.CreateStops). From then on
// the stop is that client's order, which it tracks in the portal, and waits in
// the unassigned stops like every other.

// hostStop is one of the host's stops with no client.
type hostStop struct {
	ID        string    `json:"id"`
	Ref       string    `json:"ref"`
	Recipient string    `json:"recipient"`
	Phone     string    `json:"phone,omitempty"`
	Line1     string    `json:"line1"`
	City      string    `json:"city"`
	Postcode  string    `json:"postcode"`
	Depot     string    `json:"depot"`
	CreatedAt time.Time `json:"created_at"`
}

// input is the stop as connect's order input.
func (s hostStop) input() connect.StopInput {
	return connect.StopInput{Depot: connect.DepotID(s.Depot), Input: connect.OrderInput{Ref: s.Ref,
		Recipient: connect.Recipient{Name: s.Recipient, Phone: s.Phone},
		Address:   connect.Address{Line1: s.Line1, City: s.City, Zip: s.Postcode}}}
}

// hostStops keeps the host's stops with no client in a JSON file of the data
// directory (a real host has its own stop table).
type hostStops struct {
	mu    sync.Mutex
	path  string
	stops []hostStop
}

func loadHostStops(dir string) (*hostStops, error) {
	hs := &hostStops{path: filepath.Join(dir, "host-stops.json")}
	b, err := os.ReadFile(hs.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return hs, nil
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &hs.stops); err != nil {
		return nil, fmt.Errorf("%s: %w", hs.path, err)
	}
	return hs, nil
}

// list returns the stops, newest first.
func (hs *hostStops) list() []hostStop {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	out := slices.Clone(hs.stops)
	slices.SortFunc(out, func(a, b hostStop) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

func (hs *hostStops) get(id string) (hostStop, bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	i := slices.IndexFunc(hs.stops, func(s hostStop) bool { return s.ID == id })
	if i < 0 {
		return hostStop{}, false
	}
	return hs.stops[i], true
}

func (hs *hostStops) add(s hostStop) error {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.stops = append(hs.stops, s)
	return hs.saveLocked()
}

// take removes the stop once connect holds it as a client's order: link runs
// with the stop while no other request can take it too.
func (hs *hostStops) take(id string, link func(hostStop) error) error {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	i := slices.IndexFunc(hs.stops, func(s hostStop) bool { return s.ID == id })
	if i < 0 {
		return connect.Errorf(connect.NotFound, "the stop is no longer waiting for a client")
	}
	if err := link(hs.stops[i]); err != nil {
		return err
	}
	hs.stops = slices.Delete(hs.stops, i, i+1)
	return hs.saveLocked()
}

func (hs *hostStops) saveLocked() error {
	b, _ := json.MarshalIndent(hs.stops, "", "  ")
	return os.WriteFile(hs.path, b, 0o600)
}

type stopPageData struct {
	Stop    hostStop
	Clients []connect.ClientSummary
	Error   string
	// The new-client form's values, kept when it is refused.
	Name, Email  string
	Upload, Mail bool
}

type linkedData struct {
	Stop       *connect.Order
	ClientName string
	InviteLink string
	Mailed     bool
}

// addHostStop adds one of the host's stops, with no client.
func (h *host) addHostStop(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	s := hostStop{ID: "hs-" + randomHex(6), Ref: f("ref"), Recipient: f("recipient"), Phone: f("phone"),
		Line1: f("line1"), City: f("city"), Postcode: f("postcode"), Depot: cmp.Or(f("depot"), "north"), CreatedAt: time.Now().UTC()}
	if s.Line1 == "" {
		return connect.Errorf(connect.Invalid, "a stop needs its address")
	}
	if err := h.hostStops.add(s); err != nil {
		return err
	}
	http.Redirect(w, r, "/demo/stops/"+s.ID, http.StatusSeeOther)
	return nil
}

// hostStopPage is a stop's details; its Client field says "No client" and
// offers the account's clients, or to add a new one.
func (h *host) hostStopPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return h.renderHostStop(w, r, a, "stop.html", http.StatusOK, stopPageData{Upload: true})
}

func (h *host) renderHostStop(w http.ResponseWriter, r *http.Request, a connect.Actor, page string, status int, data stopPageData) error {
	s, ok := h.hostStops.get(r.PathValue("id"))
	if !ok {
		return connect.Errorf(connect.NotFound, "no stop %s waits for a client", r.PathValue("id"))
	}
	clients, err := h.svc.Clients(r.Context(), a)
	if err != nil {
		return err
	}
	data.Stop = s
	data.Clients = slices.DeleteFunc(clients, func(c connect.ClientSummary) bool { return c.Client.Status == connect.ClientDisabled })
	h.render(w, status, page, data)
	return nil
}

// newClientPage is "Add new client" from a stop with no client.
func (h *host) newClientPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return h.renderHostStop(w, r, a, "stop-new-client.html", http.StatusOK, stopPageData{Upload: true})
}

// inviteClientForStop invites the new client and links the stop to it, in
// one step: the client tracks the stop from its first sign-in.
func (h *host) inviteClientForStop(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	p := connect.InviteClientParams{Name: strings.TrimSpace(r.PostFormValue("name")), Email: strings.TrimSpace(r.PostFormValue("email")),
		SendEmail: r.PostFormValue("send_email") == "on",
		Settings:  connect.ClientSettings{AllowUpload: r.PostFormValue("allow_upload") == "on"}}
	var issued *connect.IssuedInvite
	err := h.hostStops.take(r.PathValue("id"), func(s hostStop) error {
		p.Settings.DefaultDepot = connect.DepotID(s.Depot)
		p.Stops = []connect.StopInput{s.input()}
		var err error
		issued, err = h.svc.InviteClient(r.Context(), a, p)
		return err
	})
	if connect.ErrorCode(err) == connect.Invalid {
		return h.renderHostStop(w, r, a, "stop-new-client.html", http.StatusUnprocessableEntity, stopPageData{
			Error: err.Error(), Name: p.Name, Email: p.Email, Upload: p.Settings.AllowUpload, Mail: p.SendEmail})
	} else if err != nil {
		return err
	}
	h.render(w, http.StatusOK, "stop-linked.html", linkedData{Stop: issued.Stops[0], ClientName: p.Name,
		InviteLink: portal.Links{BaseURL: h.cfg.BaseURL}.Invite(issued.Token), Mailed: p.SendEmail})
	return nil
}

// linkStopToClient links the stop to a client the account has.
func (h *host) linkStopToClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	client := connect.ClientID(r.PostFormValue("client"))
	if client == "" {
		return connect.Errorf(connect.Invalid, "pick the stop's client, or add a new one")
	}
	var linked *connect.Order
	err := h.hostStops.take(r.PathValue("id"), func(s hostStop) error {
		in := s.input()
		in.Client = client
		out, err := h.svc.CreateStops(r.Context(), a, []connect.StopInput{in})
		if err == nil {
			linked = out[0]
		}
		return err
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Stop %s is linked to its client, and waits in the unassigned stops.", cmp.Or(linked.Ref, string(linked.ID)))
	http.Redirect(w, r, "/demo/routes?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}
