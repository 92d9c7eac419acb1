package portal

import (
	"bytes"
	"net/http"
	"time"

	"github.com/dispatchkit/connect"
)

// Monthly statements: a client's team sees its own at /statements, a
// dispatcher a client's at /dispatch/clients/{id}/statement; each as a page
// and as a PDF (Config.Documents), the month in the account's time zone
// (Config.Brand).

// statementData is the statement page.
type statementData struct {
	S *connect.Statement
	// Month is the month shown ("2026-10"); Prev and Next its neighbours.
	Month, Prev, Next string
	// PDF is the link of the statement as a PDF, Proofs that of the month's
	// proofs of delivery as a ZIP ("" without Documents).
	PDF, Proofs string
	// Zone names the time zone of the month's bounds.
	Zone string
}

// monthOf reads ?month=2026-10 in loc; "" is the current month.
func (s *server) monthOf(r *http.Request, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	m := r.URL.Query().Get("month")
	if m == "" {
		now := s.now().In(loc)
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc), nil
	}
	t, err := time.ParseInLocation("2006-01", m, loc)
	if err != nil {
		return time.Time{}, connect.Errorf(connect.Invalid, "the month is written like 2026-10, not %q", m)
	}
	return t, nil
}

// statement reads the statement the request asks for, with the account's
// brand and depots' names.
func (s *server) statement(r *http.Request, a connect.Actor, client connect.ClientID) (*connect.Statement, error) {
	b, err := s.brand(r.Context(), a.Account)
	if err != nil {
		return nil, err
	}
	month, err := s.monthOf(r, b.Location)
	if err != nil {
		return nil, err
	}
	st, err := s.svc.Statement(r.Context(), a, connect.StatementParams{Client: client, Month: month, Location: b.Location})
	if err != nil {
		return nil, err
	}
	st.Brand, st.Location, st.BrandColor, st.Language = b.Name, b.Location, b.Accent, s.language(r).String()
	depots, err := s.depots(r.Context(), a)
	if err != nil {
		return nil, err
	}
	for i := range st.Depots {
		for _, d := range depots {
			if d.ID == st.Depots[i].Depot {
				st.Depots[i].DepotName = d.Name
			}
		}
	}
	return st, nil
}

// showStatement renders the statement page; pdf is the PDF's path.
func (s *server) showStatement(w http.ResponseWriter, r *http.Request, st *connect.Statement, tab, pdf, proofs string) {
	loc := st.Location
	zone := "UTC (the account has no time zone set)"
	if loc == nil {
		loc = time.UTC
	} else {
		zone = loc.String()
	}
	from := st.From.In(loc)
	d := statementData{S: st, Month: from.Format("2006-01"), Prev: from.AddDate(0, -1, 0).Format("2006-01"),
		Next: from.AddDate(0, 1, 0).Format("2006-01"), Zone: zone}
	if s.cfg.Documents != nil {
		d.PDF = pdf + "?month=" + d.Month
		d.Proofs = proofs + "?from=" + from.Format("2006-01-02") + "&to=" + st.To.In(loc).AddDate(0, 0, -1).Format("2006-01-02")
	}
	s.render(w, r, http.StatusOK, "statement", &page{Title: s.t(r, "Statement {{.Month}}", "Month", localeOf(s.language(r), time.UTC).Month(from)), Tab: tab, Data: d})
}

// writeStatement answers the statement as a PDF.
func (s *server) writeStatement(w http.ResponseWriter, st *connect.Statement) error {
	if s.cfg.Documents == nil {
		return errNoDocuments
	}
	var b bytes.Buffer
	if err := s.cfg.Documents.WriteStatement(&b, st); err != nil {
		return err
	}
	loc := st.Location
	if loc == nil {
		loc = time.UTC
	}
	return writePDF(w, b.Bytes(), "statement-"+fileSafe(st.ClientName)+"-"+st.From.In(loc).Format("2006-01")+".pdf", "attachment")
}

func (s *server) statementPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	st, err := s.statement(r, v.Actor, "")
	if err != nil {
		return err
	}
	s.showStatement(w, r, st, "statements", s.path("/statements.pdf"), s.path("/orders/proofs.zip"))
	return nil
}

func (s *server) statementPDF(w http.ResponseWriter, r *http.Request, v *viewer) error {
	st, err := s.statement(r, v.Actor, "")
	if err != nil {
		return err
	}
	return s.writeStatement(w, st)
}

func (s *server) clientStatementPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	id := connect.ClientID(r.PathValue("id"))
	st, err := s.statement(r, a, id)
	if err != nil {
		return err
	}
	s.showStatement(w, r, st, "clients", s.path("/dispatch/clients/%s/statement.pdf", id), s.path("/dispatch/clients/%s/proofs.zip", id))
	return nil
}

func (s *server) clientStatementPDF(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	st, err := s.statement(r, a, connect.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.writeStatement(w, st)
}

// apiStatement is a statement as the JSON API answers it: the Service's,
// with its rate and the time zone of its bounds.
type apiStatement struct {
	*connect.Statement
	OnTimeRate float64 `json:"on_time_rate"`
	TimeZone   string  `json:"time_zone"`
}

// apiGetStatement answers the client's statement of ?month= (the current
// month by default) as JSON.
func (s *server) apiGetStatement(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	st, err := s.statement(r, a, "")
	if err != nil {
		return err
	}
	zone := "UTC"
	if st.Location != nil {
		zone = st.Location.String()
	}
	writeJSON(w, http.StatusOK, apiStatement{Statement: st, OnTimeRate: st.OnTimeRate(), TimeZone: zone})
	return nil
}
