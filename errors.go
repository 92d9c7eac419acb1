package connect

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for machines: callers branch on it, the portal maps it to
// an HTTP status. The message is for people.
type Code string

// The error codes. Every port documents which of them each method returns.
const (
	NotFound    Code = "not_found"   // no such object, or not one the caller may see
	Invalid     Code = "invalid"     // the input is wrong; Fields says where
	Conflict    Code = "conflict"    // the object changed or is in a state that forbids this
	Forbidden   Code = "forbidden"   // the caller is known but may not do this
	Unavailable Code = "unavailable" // a dependency is down or throttling; retry later
	Internal    Code = "internal"    // a bug or an unexpected failure
)

// Sentinels for errors.Is: errors.Is(err, connect.ErrNotFound) is true for every
// *Error whose Code is NotFound, whatever its message.
var (
	ErrNotFound    = &Error{Code: NotFound}
	ErrInvalid     = &Error{Code: Invalid}
	ErrConflict    = &Error{Code: Conflict}
	ErrForbidden   = &Error{Code: Forbidden}
	ErrUnavailable = &Error{Code: Unavailable}
	ErrInternal    = &Error{Code: Internal}
)

// Error is the one error type of the library: a code for machines, a message for
// people, field-level details for forms and imports, and the cause it wraps.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Fields lists what was wrong with the input, one entry per field (and row, for
	// imports). Empty unless Code is Invalid.
	Fields []FieldError `json:"fields,omitempty"`
	// Err is the underlying cause, if any; it is not shown to people.
	Err error `json:"-"`
}

// FieldError says what is wrong with one value of the input, and where it is.
type FieldError struct {
	Sheet  string `json:"sheet,omitempty"`  // the workbook's sheet, when rows of several sheets are read together; "" else
	Row    int    `json:"row,omitempty"`    // 1-based spreadsheet row; 0 when the input is not a spreadsheet
	Column string `json:"column,omitempty"` // the spreadsheet column as the user named it; "" when not a spreadsheet
	Field  Field  `json:"field,omitempty"`  // the order or client field; "" when the error is about the whole row
	Reason string `json:"reason"`           // what is wrong, for people: "is required", "must be a number"
}

// String reads like "row 4, column \"Zip\": Zip is required" (or "sheet \"Week
// 2\", row 4, …").
func (f FieldError) String() string {
	var b strings.Builder
	if f.Sheet != "" {
		fmt.Fprintf(&b, "sheet %q", f.Sheet)
	}
	if f.Row > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "row %d", f.Row)
	}
	if f.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %q", f.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if f.Field != "" {
		b.WriteString(f.Field.Label())
		b.WriteByte(' ')
	}
	b.WriteString(f.Reason)
	return b.String()
}

// Errorf returns an *Error with the code and a formatted message. A %w verb wraps
// its operand as the cause, as with fmt.Errorf.
func Errorf(code Code, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: wrapped.Error()}
	if u := errors.Unwrap(wrapped); u != nil {
		e.Err = u
	}
	return e
}

// InvalidFields returns an Invalid error listing every field error, with a message
// that names the first few.
func InvalidFields(fields []FieldError) *Error {
	msgs := make([]string, 0, 3)
	for i, f := range fields {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(fields)-3))
			break
		}
		msgs = append(msgs, f.String())
	}
	return &Error{Code: Invalid, Message: strings.Join(msgs, "; "), Fields: fields}
}

// Error returns the message for people, prefixed with the code.
func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and no message of its
// own (the sentinels), so errors.Is(err, ErrNotFound) matches any not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// ErrorCode returns the Code of the first *Error in err's chain, Internal for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
