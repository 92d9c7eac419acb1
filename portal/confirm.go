package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dispatchkit/connect"
)

// An irreversible action asks first. Its form posts as usual; without
// confirm=yes the answer is a page that asks the question, with a form posting
// the same fields again plus confirm=yes (so it works without JavaScript). With
// JavaScript, the form's data-confirm question is asked in a dialog and
// confirm=yes added at once (portal.js).

// asks are the questions of the irreversible actions, by route: the server's
// confirmation page asks them, and so does the browser (a form's data-confirm).
var asks = map[string]confirmation{
	"POST /orders/{id}/delete":                              {Question: msg("Delete this draft?"), Detail: msg("The draft and what it holds are deleted for good."), Yes: msg("Delete the draft")},
	"POST /orders/{id}/tracking-links/{link}/revoke":        {Question: msg("Revoke this tracking link?"), Detail: msg("Whoever has the link can no longer open it; a new link can be made."), Yes: msg("Revoke the link")},
	"POST /settings/team/invites/{id}/revoke":               {Question: msg("Revoke this invitation?"), Detail: msg("Its link stops working; you can invite the person again."), Yes: msg("Revoke the invitation")},
	"POST /settings/team/members/{id}/remove":               {Question: msg("Remove this member from the team?"), Detail: msg("They are signed out everywhere and can no longer sign in to this team."), Yes: msg("Remove the member")},
	"POST /settings/team/members/{member}/two-factor/reset": {Question: msg("Reset this member's two-factor sign-in?"), Detail: msg("Their authenticator and recovery codes stop working; they set two-factor sign-in up again."), Yes: msg("Reset two-factor sign-in")},
	"POST /settings/team/transfer":                          {Question: msg("Hand the team's ownership over?"), Detail: msg("You become an admin; only the new owner can hand it back."), Yes: msg("Transfer ownership")},
	"POST /settings/integrations/shopify/disconnect":        {Question: msg("Disconnect the Shopify store?"), Detail: msg("Orders no longer come from the store, and delivered ones are no longer marked fulfilled in it."), Yes: msg("Disconnect Shopify")},
	"POST /settings/integrations/api-keys/{id}/revoke":      {Question: msg("Revoke this API key?"), Detail: msg("Every program using it is refused from now on."), Yes: msg("Revoke the key")},
	"POST /settings/integrations/webhooks/{id}/delete":      {Question: msg("Delete this webhook?"), Detail: msg("Its endpoint is told nothing more, and its delivery log is deleted."), Yes: msg("Delete the webhook")},
	"POST /addresses/{id}/delete":                           {Question: msg("Delete this address?"), Detail: msg("It is no longer suggested; orders made from it keep their addresses."), Yes: msg("Delete the address")},
	"POST /schedules/{id}/delete":                           {Question: msg("Delete this schedule?"), Detail: msg("It adds no more orders, and its record of runs is deleted; the orders it added stay."), Yes: msg("Delete the schedule")},
	"POST /dispatch/clients/{id}/disable":                   {Question: msg("Disable this client?"), Detail: msg("Its team is signed out and cannot sign in, and its API keys are refused, until you enable it again."), Yes: msg("Disable the client")},
	"POST /dispatch/clients/disable":                        {Question: msg("Disable the clients you chose?"), Detail: msg("Their teams are signed out and cannot sign in, and their API keys are refused, until you enable them again."), Yes: msg("Disable the clients")},
	"POST /dispatch/invites/{id}/revoke":                    {Question: msg("Revoke this invitation?"), Detail: msg("Its link stops working; you can send a new one."), Yes: msg("Revoke the invitation")},
	"POST /dispatch/stops/{id}/cancel":                      {Question: msg("Cancel this stop?"), Detail: msg("The order is cancelled for good and its client sees why."), Yes: msg("Cancel the stop")},
	"POST /dispatch/deliveries/{id}/discard":                {Question: msg("Discard this delivery?"), Detail: msg("It is never sent; retry it instead to send it again."), Yes: msg("Discard the delivery")},
}

// confirmation is what the confirmation page asks.
type confirmation struct {
	Question string // "Delete this draft?"
	Detail   string // what cannot be undone
	Yes      string // the button: "Delete the draft"
	Action   string // the form's path, as posted
	Fields   []confirmField
	Back     string // where "Go back" leads
}

type confirmField struct{ Name, Value string }

// confirmed reports whether the request confirms its action; when it does not,
// it answers with the confirmation page.
func (s *server) confirmed(w http.ResponseWriter, r *http.Request, c confirmation) bool {
	if r.PostFormValue("confirm") == "yes" {
		return true
	}
	c.Action = r.URL.EscapedPath()
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.PostForm {
			if !yield(k) {
				return
			}
		}
	}) {
		if name == "confirm" {
			continue
		}
		for _, v := range r.PostForm[name] {
			c.Fields = append(c.Fields, confirmField{Name: name, Value: v})
		}
	}
	if c.Back == "" {
		c.Back = s.sameSiteReferer(r)
	}
	s.render(w, r, http.StatusOK, "confirm", &page{Title: s.t(r, c.Question), Data: c})
	return false
}

// askMember wraps a member's irreversible action (its route's pattern, a key
// of asks) with its confirmation.
func (s *server) askMember(route string, h memberFunc) memberFunc {
	c := question(route)
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if !s.confirmed(w, r, c) {
			return nil
		}
		return h(w, r, v)
	}
}

// askDispatcher wraps a dispatcher's irreversible action (its route's pattern,
// a key of asks) with its confirmation.
func (s *server) askDispatcher(route string, h dispatcherFunc) dispatcherFunc {
	c := question(route)
	return func(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
		if !s.confirmed(w, r, c) {
			return nil
		}
		return h(w, r, a)
	}
}

// sameSiteReferer returns the path (and query) of the page the request came
// from when it is this site's, else the portal's root.
func (s *server) sameSiteReferer(r *http.Request) string {
	if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host && strings.HasPrefix(u.Path, s.prefix+"/") {
		return u.RequestURI()
	}
	return s.path("/")
}

// question returns the confirmation of a route; a route without one is a
// mistake of this package, found when the routes are registered.
func question(route string) confirmation {
	c, ok := asks[route]
	if !ok {
		panic("portal: no question for " + route)
	}
	return c
}

// askText is a route's question as the browser asks it (data-confirm).
func askText(l *locale, route string) string {
	c := question(route)
	return l.T(c.Question) + " " + l.T(c.Detail)
}
