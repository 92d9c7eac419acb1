package portal_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/notices"
	"github.com/dispatchkit/connect/portal"
)

// env is a portal on connecttest's World, served by a test server.
type env struct {
	t    *testing.T
	ctx  context.Context
	w    *connecttest.World
	svc  *connect.Service
	h    http.Handler
	srv  *httptest.Server
	base string
	acct connect.AccountID
	disp connect.Actor
	// keep hides net/http's writer from Hijack, as HTTP/2's does: the
	// portal's event streams stay on their handlers' loops.
	keep atomic.Bool
}

// keptWriter is a writer that can flush but not be hijacked (env.keep).
type keptWriter struct{ http.ResponseWriter }

func (w keptWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

type envOption func(*portal.Config)

// testDispatchers takes a request's X-Test-Dispatcher header for the account
// of its dispatcher.
var testDispatchers = portal.DispatchersFunc(func(r *http.Request) (connect.Actor, bool) {
	if acct := r.Header.Get("X-Test-Dispatcher"); acct != "" {
		return connect.AsDispatcher(connect.AccountID(acct), "ana@dispatch.test"), true
	}
	return connect.Actor{}, false
})

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, "", opts...)
}

// newEnvOn is newEnv on the database dsn opens ("": a SQLite file of the test's).
func newEnvOn(t *testing.T, dsn string, opts ...envOption) *env {
	t.Helper()
	return newEnvOnWorld(t, dsn, nil, opts...)
}

// newEnvOnWorld is newEnvOn with options of the test's own for its World (a
// Store wrapped by WithConfig, say).
func newEnvOnWorld(t *testing.T, dsn string, world []connecttest.Option, opts ...envOption) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	w := newWorld(t, dsn, srv.URL, world...)
	e := &env{t: t, ctx: context.Background(), w: w, svc: w.Service, srv: srv, base: srv.URL, acct: w.Account, disp: w.Dispatcher}
	cfg := portal.Config{
		Service: e.svc, BaseURL: e.base, SessionKey: []byte(strings.Repeat("k", 32)),
		Dispatchers: testDispatchers,
		Depots: func(context.Context, connect.AccountID) ([]portal.Depot, error) {
			return []portal.Depot{{ID: "north", Name: "North"}, {ID: "south", Name: "South"}}, nil
		},
		Spreadsheets: fakeSheets{},
		Documents:    fakeDocuments{},
		UploadDir:    t.TempDir(),
		Logger:       slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	e.h, err = portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noteRoute(e.h, r)
		if e.keep.Load() {
			w = keptWriter{w}
		}
		e.h.ServeHTTP(w, r)
	})
	return e
}

// newWorld is the core of a test portal at base: connecttest's World on the
// database dsn opens ("": a SQLite file of the test's) and on the real clock, as
// the portal and the browsers' cookies are; it sends no email and pushes no stops.
func newWorld(t *testing.T, dsn, base string, opts ...connecttest.Option) *connecttest.World {
	t.Helper()
	links := portal.Links{BaseURL: base}
	opts = append([]connecttest.Option{connecttest.WithNow(time.Now), connecttest.WithPassword(testPassword),
		connecttest.WithConfig(func(c *connect.Config) {
			c.Mailer, c.RouteSync = nil, nil
			c.InviteURL, c.TrackingURL, c.PasswordResetURL = links.Invite, links.Tracking, links.PasswordReset
			c.Blobs, c.ProofFileURL = c.Store.(connect.Blobs), links.ProofFile
			c.Notices, c.SMS = notices.New(), &connecttest.SMS{} // recipient notices by SMS; no Mailer, no email
		})}, opts...) // the test's own come last, to change these
	if dsn != "" {
		opts = append(opts, connecttest.WithDSN(dsn))
	}
	return connecttest.New(t, opts...)
}

// team is a signed-up client: its owner's credentials and actor.
type team struct {
	of       *connecttest.Team
	client   *connect.Client
	owner    connect.Actor
	email    string
	password string
}

const testPassword = "correct horse battery"

// signUp invites a client and signs its owner up, through the Service.
func (e *env) signUp(name string, settings connect.ClientSettings) team {
	e.t.Helper()
	tm := e.w.NewClient(name, settings)
	return team{of: tm, client: tm.Client, owner: tm.Owner.Actor, email: tm.Owner.Email, password: tm.Owner.Password}
}

// uploads is the settings of a client that may upload orders.
var uploads = connect.ClientSettings{AllowUpload: true, DefaultDepot: "north"}

// addMember adds a member with the role to the team, returning their actor and email.
func (e *env) addMember(tm team, role connect.Role) (connect.Actor, string) {
	e.t.Helper()
	p := tm.of.Join(role)
	return p.Actor, p.Email
}

// draft creates a draft order for the actor.
func (e *env) draft(a connect.Actor, ref string) *connect.Order {
	e.t.Helper()
	return e.w.OrderFrom(a, connect.StatusDraft, connect.OrderInput{Ref: ref,
		Address: connect.Address{Line1: "1 Main St", City: "Springfield"}, Recipient: connect.Recipient{Name: "Rita"}})
}

// browser is a client with a cookie jar that does not follow redirects, sending
// the headers a browser sends for same-origin requests.
type browser struct {
	e      *env
	c      *http.Client
	header http.Header
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, header: http.Header{}, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// dispatcher is a browser the test's Dispatchers accepts.
func (e *env) dispatcher() *browser {
	b := e.browser()
	b.header.Set("X-Test-Dispatcher", string(e.acct))
	return b
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) has(t *testing.T, parts ...string) response {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Fatalf("response (%d) lacks %q:\n%s", r.status, p, r.body)
		}
	}
	return r
}

func (r response) lacks(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.body, p) {
			t.Fatalf("response (%d) has %q:\n%s", r.status, p, r.body)
		}
	}
}

func (r response) is(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
	return r
}

func (b *browser) do(method, path string, body io.Reader, contentType string, extra http.Header) response {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.base+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", b.e.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil, "", nil) }

// post posts a form as a person would: an irreversible action's confirmation
// page is answered yes (TestIrreversibleActionsAskFirst checks the pages).
func (b *browser) post(path string, form url.Values) response {
	r := b.postOnce(path, form)
	if r.status == http.StatusOK && strings.Contains(r.body, `id="confirm-yes"`) && form.Get("confirm") == "" {
		yes := url.Values{"confirm": {"yes"}}
		for k, v := range form {
			yes[k] = v
		}
		r = b.postOnce(path, yes)
	}
	return r
}

// postOnce posts a form, and returns the answer whatever it is.
func (b *browser) postOnce(path string, form url.Values) response {
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", nil)
}

// follow GETs the page a redirect points to.
func (b *browser) follow(r response) response {
	b.e.t.Helper()
	if r.status != http.StatusSeeOther && r.status != http.StatusFound {
		b.e.t.Fatalf("status %d, want a redirect; body:\n%s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.get(u.RequestURI())
}

// signIn signs the browser in.
func (b *browser) signIn(email, password string) {
	b.e.t.Helper()
	r := b.post("/signin", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/home" {
		b.e.t.Fatalf("sign-in: status %d, location %q; body:\n%s", r.status, r.header.Get("Location"), r.body)
	}
}

func (e *env) signedIn(email string) *browser {
	b := e.browser()
	b.signIn(email, testPassword)
	return b
}

// api calls the JSON API with a bearer token.
func (e *env) api(token, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: not JSON (%d): %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

// secret returns the one-time link or key a flash shows.
var secretRE = regexp.MustCompile(`id="flash-secret" readonly value="([^"]+)"`)

func secret(t *testing.T, r response) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret in the page:\n%s", r.body)
	}
	return strings.ReplaceAll(m[1], "&#43;", "+")
}

// fakeSheets reads CSV only, mapping columns by their labels and reading cells as
// connect's order-field table does: enough to drive the
// portal's import pages without package importer (an adapter the portal must not
// import; the example host wires the real one). With hold set, reading a row
// whose first cell is "HOLD" waits until hold is closed: an import caught midway.
// fakeDocuments writes what the portal hands the Documents port as lines of
// text (package pdf's tests read its real PDFs back).
type fakeDocuments struct{}

func (fakeDocuments) WriteLabels(w io.Writer, sheet connect.LabelSheet, labels []connect.PackageLabel) error {
	fmt.Fprintf(w, "labels on %s\n", sheet)
	for _, l := range labels {
		fmt.Fprintf(w, "label %s %s package %d of %d, client %s, depot %s\n", l.Order, l.Ref, l.Package, l.Packages, l.Client, l.DepotName)
	}
	return nil
}

func (fakeDocuments) WriteProof(w io.Writer, d *connect.ProofDocument) error {
	fmt.Fprintf(w, "proof of %s by %s in %v, tracked %v, %d images, received by %s\n", d.Order.Ref, d.Brand, d.Location,
		d.Tracked, len(d.Images), d.Order.Proof.RecipientName)
	if d.Language != "" && d.Language != "en" {
		fmt.Fprintf(w, "written in %s\n", d.Language)
	}
	return nil
}

func (fakeDocuments) WriteStatement(w io.Writer, st *connect.Statement) error {
	fmt.Fprintf(w, "statement of %s from %s by %s: %d orders, %d delivered, %d of %d on time\n", st.ClientName,
		st.From.Format(time.RFC3339), st.Brand, st.Orders, st.Counts[connect.StatusDelivered], st.OnTime, st.WithETA)
	for _, d := range st.Depots {
		fmt.Fprintf(w, "depot %s: %d orders\n", d.DepotName, d.Orders)
	}
	return nil
}

type fakeSheets struct{ hold chan struct{} }

func (fs fakeSheets) Open(r io.ReaderAt, size int64, name string, opts connect.SheetOptions) (connect.Sheet, error) {
	var s *fakeSheet
	if strings.HasSuffix(name, ".book") {
		var err error
		if s, err = openFakeBook(io.NewSectionReader(r, 0, size), opts); err != nil {
			return nil, err
		}
	} else {
		cr := csv.NewReader(io.NewSectionReader(r, 0, size))
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, connect.Errorf(connect.Invalid, "the file is not a CSV spreadsheet")
		}
		s = &fakeSheet{r: cr, header: header, line: 1, layout: connect.SheetLayout{HeaderRow: 1, Delimiter: ','}}
	}
	header := s.header
	s.fields, s.hold = make([]connect.Field, len(header)), fs.hold
	labels := map[string]connect.Field{}
	for _, f := range connect.OrderFields() {
		labels[strings.ToLower(f.Label())] = f
	}
	if opts.ClientNumbers {
		labels["client id"] = connect.FieldClientNumber
	}
	taken := map[connect.Field]bool{}
	for i, h := range header {
		f, ok := opts.Override[h]
		if !ok {
			f = labels[strings.ToLower(strings.TrimSpace(h))]
		}
		if f != "" && !taken[f] {
			s.fields[i], taken[f] = f, true
		}
	}
	for _, f := range opts.Policy.Required() {
		if !taken[f] {
			s.missing = append(s.missing, f)
		}
	}
	if opts.ClientNumbers && !taken[connect.FieldClientNumber] {
		s.missing = append(s.missing, connect.FieldClientNumber)
	}
	if strings.HasPrefix(name, "panic") {
		s.panicAt = 3
	}
	return s, nil
}

// openFakeBook reads a ".book" file: sheets of CSV, each under a line
// "=== name" (a name ending in " (hidden)" is a hidden sheet), whose rows starting
// with "!" are hidden rows. Sheets chosen together must have the same header.
func openFakeBook(r io.Reader, opts connect.SheetOptions) (*fakeSheet, error) {
	text, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	type sheet struct {
		name   string
		hidden bool
		rows   [][]string
		marks  []bool // hidden rows
	}
	var sheets []*sheet
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		if name, ok := strings.CutPrefix(line, "=== "); ok {
			name, hidden := strings.CutSuffix(name, " (hidden)")
			sheets = append(sheets, &sheet{name: name, hidden: hidden})
			continue
		}
		if len(sheets) == 0 {
			return nil, connect.Errorf(connect.Invalid, "the book has no sheet")
		}
		sh := sheets[len(sheets)-1]
		hiddenRow := strings.HasPrefix(line, "!")
		sh.rows = append(sh.rows, strings.Split(strings.TrimPrefix(line, "!"), ","))
		sh.marks = append(sh.marks, hiddenRow)
	}
	chosen := opts.Sheets
	if len(chosen) == 0 {
		chosen = []string{sheets[0].name}
	}
	s := &fakeSheet{book: []fakeRow{}, line: 1}
	s.layout.HeaderRow = 1
	s.layout.SkipHiddenRows = opts.SkipHiddenRows
	var first *sheet
	for _, name := range chosen {
		var sh *sheet
		for _, c := range sheets {
			if strings.EqualFold(c.name, name) {
				sh = c
			}
		}
		if sh == nil {
			return nil, connect.Errorf(connect.Invalid, "the workbook has no sheet named %q", name)
		}
		if first == nil {
			first, s.header = sh, sh.rows[0]
		} else if strings.Join(sh.rows[0], ",") != strings.Join(first.rows[0], ",") {
			return nil, connect.Errorf(connect.Invalid, "the sheet %q has other columns than %q", sh.name, first.name)
		}
		for i, cells := range sh.rows[1:] {
			if sh.marks[i+1] {
				s.layout.HiddenRows++
				if opts.SkipHiddenRows {
					continue
				}
			}
			r := fakeRow{cells: cells, number: i + 2}
			if len(chosen) > 1 {
				r.sheet = sh.name
			}
			s.book = append(s.book, r)
		}
	}
	for _, sh := range sheets {
		sum := connect.SheetSummary{Name: sh.name, Rows: len(sh.rows) - 1, Maps: true, Hidden: sh.hidden,
			SameHeader: strings.Join(sh.rows[0], ",") == strings.Join(first.rows[0], ",")}
		for _, name := range chosen {
			sum.Chosen = sum.Chosen || strings.EqualFold(name, sh.name)
		}
		s.layout.Sheets = append(s.layout.Sheets, sum)
	}
	return s, nil
}

func (fakeSheets) WriteRefused(w io.Writer, header []string, rows iter.Seq[connect.RefusedRow], delimiter rune) error {
	cw := csv.NewWriter(w)
	if delimiter != 0 {
		cw.Comma = delimiter
	}
	// Ranged twice, as importer.Spreadsheets does (first for the widest row):
	// the portal's rows must be readable again.
	widest := 0
	for r := range rows {
		widest = max(widest, len(r.Cells))
	}
	cols := max(widest, len(header))
	_ = cw.Write(append(append(header[:len(header):len(header)], make([]string, cols-len(header))...), "Error"))
	for r := range rows {
		_ = cw.Write(append(append(r.Cells[:len(r.Cells):len(r.Cells)], make([]string, cols-len(r.Cells))...), r.Reason()))
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the table as CSV under a line naming the format.
func (fakeSheets) WriteTable(w io.Writer, format string, header []string, rows iter.Seq[[]string]) error {
	if _, err := fmt.Fprintf(w, "%s table\n", format); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for row := range rows {
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func (fakeSheets) WriteTemplate(w io.Writer, format string, _ connect.RequiredFieldPolicy) error {
	var labels []string
	for _, f := range connect.OrderFields() {
		labels = append(labels, f.Label())
	}
	_, err := fmt.Fprintf(w, "%s template: %s\n", format, strings.Join(labels, ","))
	return err
}

type fakeSheet struct {
	r       *csv.Reader
	book    []fakeRow // a book's rows, instead of r
	header  []string
	fields  []connect.Field
	missing []connect.Field
	line    int
	hold    chan struct{}
	layout  connect.SheetLayout
	// panicAt makes Next panic at that line, as a parser with a bug would
	// (a file whose name starts with "panic").
	panicAt int
}

// fakeRow is a row of a fake book.
type fakeRow struct {
	cells  []string
	number int
	sheet  string
}

func (s *fakeSheet) Header() []string { return s.header }
func (s *fakeSheet) Column(f connect.Field) string {
	for i, g := range s.fields {
		if g == f {
			return s.header[i]
		}
	}
	return ""
}
func (s *fakeSheet) Columns() []connect.SheetColumn {
	out := make([]connect.SheetColumn, len(s.header))
	for i, h := range s.header {
		out[i] = connect.SheetColumn{Header: h, Field: s.fields[i]}
		if s.fields[i] == "" {
			out[i].Ignored = "unknown"
		}
	}
	return out
}
func (s *fakeSheet) Missing() []connect.Field    { return s.missing }
func (s *fakeSheet) Layout() connect.SheetLayout { return s.layout }
func (s *fakeSheet) Close() error                { return nil }

func (s *fakeSheet) Next(ctx context.Context) (connect.ImportRow, error) {
	var row connect.ImportRow
	if s.book != nil {
		if s.line-1 == len(s.book) {
			return connect.ImportRow{}, io.EOF
		}
		r := s.book[s.line-1]
		s.line++
		row = connect.ImportRow{Number: r.number, Sheet: r.sheet, Cells: r.cells}
	} else {
		cells, err := s.r.Read()
		if err != nil {
			return connect.ImportRow{}, err
		}
		s.line++
		if s.line == s.panicAt {
			panic("a parser's bug")
		}
		row = connect.ImportRow{Number: s.line, Cells: cells}
	}
	cells := row.Cells
	if s.hold != nil && cells[0] == "HOLD" {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return connect.ImportRow{}, ctx.Err()
		}
	}
	for i, f := range s.fields {
		switch {
		case i >= len(cells) || cells[i] == "" || f == "":
		case f == connect.FieldClientNumber:
			row.ClientNumber = cells[i]
		default:
			var e *connect.Error
			if err := f.Parse(&row.Input, cells[i]); errors.As(err, &e) {
				for _, fe := range e.Fields {
					fe.Column = s.header[i]
					row.Problems = append(row.Problems, fe)
				}
			}
		}
	}
	return row, nil
}

// testLog writes the portal's log into the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
