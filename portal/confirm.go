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
	s.render(w, r, http.StatusOK, "confirm", &page{Title: c.Question, Data: c})
	return false
}

// askMember wraps a member's irreversible action with its confirmation.
func (s *server) askMember(c confirmation, h memberFunc) memberFunc {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		if !s.confirmed(w, r, c) {
			return nil
		}
		return h(w, r, v)
	}
}

// askDispatcher wraps a dispatcher's irreversible action with its confirmation.
func (s *server) askDispatcher(c confirmation, h dispatcherFunc) dispatcherFunc {
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
