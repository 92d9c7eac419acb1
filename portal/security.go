package portal

import (
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// contentSecurityPolicy allows the portal's own scripts, styles and requests only:
// no inline script, no framing, forms posting back to the portal. Images may come
// from https sites too: proof of delivery photos live where the host keeps them.
// With a Shopify install handler, forms may also lead to Shopify's approval page
// (browsers apply form-action to a form's redirects too).
func (s *server) contentSecurityPolicy() string {
	formAction := "'self'"
	if s.cfg.ShopifyInstall != nil {
		formAction += " https://*.myshopify.com https://admin.shopify.com"
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
		"base-uri 'none'; form-action " + formAction + "; frame-ancestors 'none'"
}

// headers sets the security headers every response carries.
func (s *server) headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// Invite and tracking links carry their token in the path: never send it on.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// noStore marks a response private: pages show one person's data.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// bearer reports whether the request carries an API key.
func bearer(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// hasSession reports whether the request carries a session cookie (valid or not).
func hasSession(r *http.Request) bool {
	_, err := r.Cookie(sessionCookie)
	return err == nil
}

// keyOnly reports whether the request authenticates with an API key alone: an
// API request with a bearer key and no session cookie. Only such a request skips
// the cross-origin check, and the API then takes the key only if it authenticates
// (api refuses a request with both). A page never takes a key, so a bearer header
// beside a session cookie cannot carry a cross-site form past the check.
func (s *server) keyOnly(r *http.Request) bool {
	return bearer(r) && !hasSession(r) && s.isAPI(r)
}

// limitBody bounds what a handler may read of the request body.
func limitBody(w http.ResponseWriter, r *http.Request, n int64) {
	r.Body = http.MaxBytesReader(w, r.Body, n)
}

// formBody bounds a form route's body to n bytes and, for a urlencoded form, reads
// it first, so that a form over the limit is answered 413 "too large". Handlers
// read fields with PostFormValue, which drops the error: a form too large was
// taken for an empty one and answered with "Address is required".
func (s *server) formBody(n int64, h http.Handler) http.Handler {
	return limited(n, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			var mbe *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &mbe) {
				s.fail(w, r, err)
				return
			}
			if err := checkText(r.Form); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}

// checkText refuses a form with a NUL byte or invalid UTF-8 in a name or value:
// no person types them, PostgreSQL refuses NUL in text, and they would be stored
// or shown mangled. The error names the field.
func checkText(form url.Values) error {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	for k, vs := range form {
		if bad(k) {
			return badRequest("the form has a field name that is not text (a NUL byte or invalid UTF-8)")
		}
		for _, v := range vs {
			if bad(v) {
				return badRequest(fmt.Sprintf("the field %q has characters that are not text (a NUL byte or invalid UTF-8)", k))
			}
		}
	}
	return nil
}

// clientIP returns the address rate limits count by.
func (s *server) clientIP(r *http.Request) string {
	if s.cfg.ClientIP != nil {
		return s.cfg.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
