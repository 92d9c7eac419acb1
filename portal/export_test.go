package portal

import "net/http"

// Routes returns every pattern the handler registered.
func Routes(h http.Handler) []string { return h.(*Portal).s.routes }

// Pattern returns the pattern the handler's mux serves the request with.
func Pattern(h http.Handler, r *http.Request) string {
	_, p := h.(*Portal).s.mux.Handler(r)
	return p
}
