package portal

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
)

// badRequest is a request the portal cannot read at all (not a connect error:
// the Service never saw it), answered 400 with its message.
type badRequest string

func (e badRequest) Error() string { return string(e) }

// httpStatus maps a connect error code to the HTTP status it answers with.
func httpStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	var br badRequest
	if errors.As(err, &br) {
		return http.StatusBadRequest
	}
	var tl tooLarge
	if errors.As(err, &tl) {
		return http.StatusRequestEntityTooLarge
	}
	switch connect.ErrorCode(err) {
	case connect.NotFound:
		return http.StatusNotFound
	case connect.Forbidden:
		return http.StatusForbidden
	case connect.Invalid:
		return http.StatusUnprocessableEntity
	case connect.Conflict:
		return http.StatusConflict
	case connect.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// unauthorized is the error of a request that needs a sign-in it does not have.
var errUnauthorized = errors.New("sign in first")

// unauthorizedError is an errUnauthorized (401) that says what was wrong with
// the credential given: an API client cannot "sign in first".
type unauthorizedError string

func (e unauthorizedError) Error() string        { return string(e) }
func (e unauthorizedError) Is(target error) bool { return target == errUnauthorized }

var (
	errNotBearer    = unauthorizedError("send the API key as Authorization: Bearer <key>")
	errNoCredential = unauthorizedError("send an API key as Authorization: Bearer <key>, or sign in to the portal")
	errBadAPIKey    = unauthorizedError("this API key is not valid: it is unknown, was revoked, or its client is disabled; make a new one in the portal's settings")
)

// errKeyAndSession refuses an API request with both an API key and a session cookie.
var errKeyAndSession = connect.Errorf(connect.Invalid, "send an API key or a session cookie, not both")

// message returns what people may read of err: an *Error's message, never an
// internal failure's details.
func message(err error) string {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return "the request is too large"
	}
	var ue unauthorizedError
	if errors.As(err, &ue) {
		return capitalize(string(ue))
	}
	if errors.Is(err, errUnauthorized) {
		return "sign in first"
	}
	var br badRequest
	if errors.As(err, &br) {
		return capitalize(string(br))
	}
	var tl tooLarge
	if errors.As(err, &tl) {
		return capitalize(string(tl))
	}
	var e *connect.Error
	if errors.As(err, &e) && e.Code != connect.Internal {
		if e.Message != "" {
			return capitalize(e.Message)
		}
		return string(e.Code)
	}
	return "something went wrong on our side; try again, and tell us if it keeps happening"
}

// capitalize starts a message with a capital letter, as a sentence.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// fieldErrors returns the field-level details of an Invalid error.
func fieldErrors(err error) []connect.FieldError {
	var e *connect.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// isAPI reports whether the request is for the JSON API.
func (s *server) isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, s.prefix+"/api/")
}

// fail answers a request with err: JSON under /api/, an error page elsewhere.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(err)
	if errors.Is(err, errUnauthorized) {
		status = http.StatusUnauthorized
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "portal: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if s.isAPI(r) {
		writeJSONError(w, status, err)
		return
	}
	noStore(w)
	s.render(w, r, status, "error", &page{Title: s.t(r, http.StatusText(status)), // statusTexts
		Data: errorPage{Status: status, Message: message(err), Fields: fieldErrors(err)}})
}

// statusTexts are the error pages' titles (http.StatusText), for the
// translations test.
var statusTexts = []string{msg("Bad Request"), msg("Unauthorized"), msg("Forbidden"), msg("Not Found"),
	msg("Method Not Allowed"), msg("Conflict"), msg("Gone"), msg("Request Entity Too Large"), msg("Unsupported Media Type"),
	msg("Unprocessable Entity"), msg("Too Many Requests"), msg("Internal Server Error"), msg("Service Unavailable")}

type errorPage struct {
	Status  int
	Message string
	Fields  []connect.FieldError
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Fields  []apiFieldError `json:"fields,omitempty"`
}

type apiFieldError struct {
	Sheet  string `json:"sheet,omitempty"`
	Row    int    `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func apiFields(fields []connect.FieldError) []apiFieldError {
	out := make([]apiFieldError, len(fields))
	for i, f := range fields {
		out[i] = apiFieldError{Sheet: f.Sheet, Row: f.Row, Column: f.Column, Field: string(f.Field), Reason: f.Reason}
	}
	return out
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	code := string(connect.ErrorCode(err))
	switch {
	case errors.Is(err, errUnauthorized):
		code = "unauthorized"
	case status == http.StatusRequestEntityTooLarge:
		code = "too_large"
	case status == http.StatusBadRequest:
		code = "bad_request"
	}
	if status == http.StatusUnauthorized {
		challenge := `Bearer realm="connect"`
		if errors.Is(err, errBadAPIKey) {
			challenge += `, error="invalid_token"` // RFC 6750 §3.1
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: message(err), Fields: apiFields(fieldErrors(err))}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	noStore(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
