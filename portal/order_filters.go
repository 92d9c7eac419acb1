package portal

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// orderFilter is what the order list's search form asks for: a search, a
// source, an import and a range of creation days. Days are UTC until accounts have time
// zones of their own.
type orderFilter struct {
	Search string
	Source connect.Source
	Import connect.ImportID // the orders one import stored
	From   string           // first day, YYYY-MM-DD, as typed
	To     string           // last day, inclusive
}

// filterOf reads the filter from a list's query.
func filterOf(q url.Values) orderFilter {
	return orderFilter{Search: strings.TrimSpace(q.Get("q")), Source: connect.Source(q.Get("source")),
		Import: connect.ImportID(strings.TrimSpace(q.Get("import"))),
		From:   strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
}

// Any reports whether the filter narrows the list.
func (f orderFilter) Any() bool { return f != orderFilter{} }

// Query is the filter as query parameters, for the list's links ("" when none):
// a template.URL, so html/template keeps its "&" and "=" (each value is escaped).
func (f orderFilter) Query() template.URL {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Search, "source": string(f.Source), "import": string(f.Import), "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return template.URL(v.Encode()) // url.Values.Encode escapes every value
}

// apply sets p's search, source, import and creation range. Errors: ErrInvalid, naming
// the field, for a day that is not one.
func (f orderFilter) apply(p *connect.ListOrdersParams) error {
	p.Search, p.Source, p.Import = f.Search, f.Source, f.Import
	var errs []connect.FieldError
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			errs = append(errs, connect.FieldError{Field: connect.Field(field), Reason: "is not a date (YYYY-MM-DD)"})
		}
		return t
	}
	p.CreatedFrom = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		p.CreatedBefore = to.AddDate(0, 0, 1)
	}
	if len(errs) > 0 {
		return connect.InvalidFields(errs)
	}
	return nil
}

// apiTime reads an API query's time: RFC 3339, or a day (its start, UTC).
// Errors: ErrInvalid naming the parameter.
func apiTime(q url.Values, name string) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, connect.InvalidFields([]connect.FieldError{{Field: connect.Field(name), Reason: "is not an RFC 3339 time or a date (YYYY-MM-DD)"}})
}
