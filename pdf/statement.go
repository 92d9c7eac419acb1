package pdf

import (
	"fmt"
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
	month := st.From.In(loc).Format("January 2006")
	p := d.newPage(fpdf.SizeType{Wd: 210, Ht: 297}, st)
	p.SetTitle("Statement "+month+" "+st.ClientName, true)
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(true, 15)
	p.AddPage()
	const width = 180.0
	p.masthead(st.Brand, "Statement for "+month, width)
	p.font("", 10)
	client := st.ClientName
	if st.ClientNumber != "" {
		client += " - Client ID " + string(st.ClientNumber)
	}
	p.CellFormat(width, 6, p.text(client), "", 1, "L", false, 0, "")
	zone := "UTC (the account has no time zone set)"
	if st.Location != nil {
		zone = st.Location.String()
	}
	p.font("", 8)
	p.CellFormat(width, 5, p.text(fmt.Sprintf("Orders created from %s to %s, %s. Drafts never submitted are not counted.",
		st.From.In(loc).Format("2 Jan 2006"), st.To.In(loc).AddDate(0, 0, -1).Format("2 Jan 2006"), zone)), "", 1, "L", false, 0, "")
	if st.Partial {
		p.CellFormat(width, 5, p.text(fmt.Sprintf("The month holds more orders than a statement counts: these are the newest %d.", st.Orders)), "", 1, "L", false, 0, "")
	}
	p.Ln(3)
	p.summary("All depots", st.Orders, st.Counts, st.OnTime, st.WithETA, st.Failures, width)
	for _, dp := range st.Depots {
		name := dp.DepotName
		if name == "" {
			name = string(dp.Depot)
		}
		if name == "" {
			name = "(no depot)"
		}
		p.summary("Depot "+name, dp.Orders, dp.Counts, dp.OnTime, dp.WithETA, dp.Failures, width)
	}
	return p.write(w)
}

// summary writes one block of a statement: counts by status, the on-time
// rate, the failures by reason.
func (p *page) summary(title string, orders int, counts connect.StatusCounts, onTime, withETA int, failures []connect.FailureCount, width float64) {
	p.font("B", 11)
	p.CellFormat(width, 7, p.fit(p.text(title), width), "B", 1, "L", false, 0, "")
	p.Ln(1)
	line := func(label, value string) {
		p.font("", 9)
		p.CellFormat(70, 5, p.fit(p.text(label), 68), "", 0, "L", false, 0, "")
		p.CellFormat(30, 5, p.text(value), "", 1, "R", false, 0, "")
	}
	line("Orders", strconv.Itoa(orders))
	for _, s := range connect.Statuses() {
		if n := counts[s]; n > 0 {
			line(capital(s.Label()), strconv.Itoa(n))
		}
	}
	if withETA > 0 {
		line("On time", fmt.Sprintf("%d of %d (%.0f%%)", onTime, withETA, 100*float64(onTime)/float64(withETA)))
	} else {
		line("On time", "no deliveries with an ETA")
	}
	if len(failures) > 0 {
		p.font("B", 9)
		p.CellFormat(width, 6, "Failures by reason", "", 1, "L", false, 0, "")
		for _, f := range failures {
			line(f.Reason, strconv.Itoa(f.Count))
		}
	}
	p.Ln(3)
}
