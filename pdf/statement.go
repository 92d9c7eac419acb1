package pdf

import (
	"io"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/dispatchkit/connect"
)

// WriteStatement writes a client's monthly statement as an A4 PDF: the
// dispatcher's brand, the client, the month, the orders by status, the
// on-time rate, the failures by reason, and the same for each depot.
func (d Documents) WriteStatement(w io.Writer, st *connect.Statement) error {
	if st == nil {
		return connect.Errorf(connect.Invalid, "there is no statement to write")
	}
	loc := st.Location
	if loc == nil {
		loc = time.UTC
	}
	l := langOf(st.Language)
	month := l.month(st.From.In(loc))
	p := d.newPage(fpdf.SizeType{Wd: 210, Ht: 297}, st)
	p.SetTitle(l.f("Statement %s", month)+" "+st.ClientName, true)
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(true, 15)
	p.AddPage()
	const width = 180.0
	p.masthead(st.Brand, st.BrandColor, l.f("Statement for %s", month), width)
	p.font("", 10)
	client := st.ClientName
	if st.ClientNumber != "" {
		client += " - " + l.f("Client ID %s", st.ClientNumber)
	}
	p.CellFormat(width, 6, p.text(client), "", 1, "L", false, 0, "")
	zone := l.t("UTC (the account has no time zone set)")
	if st.Location != nil {
		zone = st.Location.String()
	}
	p.font("", 8)
	p.CellFormat(width, 5, p.text(l.f("Orders created from %s to %s, %s. Drafts never submitted are not counted.",
		l.day(st.From.In(loc)), l.day(st.To.In(loc).AddDate(0, 0, -1)), zone)), "", 1, "L", false, 0, "")
	if st.Partial {
		p.CellFormat(width, 5, p.text(l.f("The month holds more orders than a statement counts: these are the newest %d.", st.Orders)), "", 1, "L", false, 0, "")
	}
	p.Ln(3)
	p.summary(l, l.t("All depots"), st.Orders, st.Counts, st.OnTime, st.WithETA, st.Failures, width)
	for _, dp := range st.Depots {
		name := dp.DepotName
		if name == "" {
			name = string(dp.Depot)
		}
		if name == "" {
			name = l.t("(no depot)")
		}
		p.summary(l, l.f("Depot %s", name), dp.Orders, dp.Counts, dp.OnTime, dp.WithETA, dp.Failures, width)
	}
	return p.write(w)
}

// summary writes one block of a statement: counts by status, the on-time
// rate, the failures by reason.
func (p *page) summary(l lang, title string, orders int, counts connect.StatusCounts, onTime, withETA int, failures []connect.FailureCount, width float64) {
	p.font("B", 11)
	p.CellFormat(width, 7, p.fit(p.text(title), width), "B", 1, "L", false, 0, "")
	p.Ln(1)
	line := func(label, value string) {
		p.font("", 9)
		p.CellFormat(70, 5, p.fit(p.text(label), 68), "", 0, "L", false, 0, "")
		p.CellFormat(30, 5, p.text(value), "", 1, "R", false, 0, "")
	}
	line(l.t("Orders"), strconv.Itoa(orders))
	for _, s := range connect.Statuses() {
		if n := counts[s]; n > 0 {
			line(l.status(s.Label()), strconv.Itoa(n))
		}
	}
	if withETA > 0 {
		line(l.t("On time"), l.f("%d of %d (%.0f%%)", onTime, withETA, 100*float64(onTime)/float64(withETA)))
	} else {
		line(l.t("On time"), l.t("no deliveries with an ETA"))
	}
	if len(failures) > 0 {
		p.font("B", 9)
		p.CellFormat(width, 6, p.text(l.t("Failures by reason")), "", 1, "L", false, 0, "")
		for _, f := range failures {
			line(f.Reason, strconv.Itoa(f.Count))
		}
	}
	p.Ln(3)
}
