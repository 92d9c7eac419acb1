package portal

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dispatchkit/connect"
	"github.com/shopspring/decimal"
)

// The JSON API for clients' own systems, under /api/v1/. It authenticates with an
// API key (Authorization: Bearer ck_…) or the portal's session cookie (then
// state-changing calls must come from the portal's own origin). Every call goes
// through the Service as that actor. openapi.yaml documents it.

//go:embed openapi.yaml
var openAPIFS embed.FS

var errNotFoundAPI = connect.Errorf(connect.NotFound, "no such API endpoint; see /api/v1/openapi.yaml")

// serveOpenAPI serves openapi.yaml with the portal's mounted URL as its server,
// so that a client generated from it calls the right place.
func (s *server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, _ := openAPIFS.ReadFile("openapi.yaml")
	b = bytes.Replace(b, []byte("servers:\n  - url: /\n"), []byte("servers:\n  - url: "+s.links.abs("")+"\n"), 1)
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(b)
}

// apiOrderInput is what a client sends to create or change a draft.
type apiOrderInput struct {
	Ref          string              `json:"ref"`
	StopType     connect.StopType    `json:"stop_type,omitempty"`
	Address      apiAddress          `json:"address"`
	Recipient    apiRecipient        `json:"recipient"`
	Notes        string              `json:"notes,omitempty"`
	Size         decimal.NullDecimal `json:"size"`
	PackageCount int                 `json:"package_count,omitempty"`
	Products     []apiProduct        `json:"products,omitempty"`
	NotifyOptOut bool                `json:"notify_opt_out,omitempty"`
}

type apiAddress struct {
	Unit      string              `json:"unit,omitempty"`
	Line1     string              `json:"line1"`
	Line2     string              `json:"line2,omitempty"`
	City      string              `json:"city,omitempty"`
	State     string              `json:"state,omitempty"`
	Zip       string              `json:"zip,omitempty"`
	Country   string              `json:"country,omitempty"`
	Latitude  decimal.NullDecimal `json:"latitude"`
	Longitude decimal.NullDecimal `json:"longitude"`
}

type apiRecipient struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

type apiProduct struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	SKU      string `json:"sku,omitempty"`
}

func (in apiOrderInput) input() connect.OrderInput {
	out := connect.OrderInput{
		Ref: in.Ref, StopType: in.StopType,
		Address: connect.Address{Unit: in.Address.Unit, Line1: in.Address.Line1, Line2: in.Address.Line2,
			City: in.Address.City, State: in.Address.State, Zip: in.Address.Zip, Country: in.Address.Country,
			Latitude: in.Address.Latitude, Longitude: in.Address.Longitude},
		Recipient: connect.Recipient(in.Recipient),
		Notes:     in.Notes, Size: in.Size, PackageCount: in.PackageCount, NotifyOptOut: in.NotifyOptOut,
	}
	for _, p := range in.Products {
		out.Products = append(out.Products, connect.Product(p))
	}
	return out
}

// apiOrder is an order as the API returns it.
type apiOrder struct {
	ID      connect.OrderID  `json:"id"`
	Version int              `json:"version"`
	Status  connect.Status   `json:"status"`
	Source  connect.Source   `json:"source"`
	Import  connect.ImportID `json:"import,omitempty"`
	Depot   connect.DepotID  `json:"depot,omitempty"`
	apiOrderInput
	ETA           *time.Time      `json:"eta,omitempty"`
	FailureReason string          `json:"failure_reason,omitempty"`
	Proof         *apiProof       `json:"proof,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	SubmittedAt   *time.Time      `json:"submitted_at,omitempty"`
	History       []apiEventEntry `json:"history,omitempty"`
	Shopify       *apiShopify     `json:"shopify,omitempty"`
}

// apiShopify is Shopify's side of an order from Shopify (one order's GET only).
type apiShopify struct {
	Shop           string                    `json:"shop"`
	OrderID        string                    `json:"order_id"`
	Fulfillment    string                    `json:"fulfilment"`
	FulfilledAt    *time.Time                `json:"fulfilled_at,omitempty"`
	NotifyCustomer *bool                     `json:"notify_customer,omitempty"`
	Progress       connect.FulfillmentStatus `json:"progress,omitempty"`
	ProgressAt     *time.Time                `json:"progress_at,omitempty"`
	Error          string                    `json:"error,omitempty"`
	Retrying       bool                      `json:"retrying,omitempty"`
}

type apiProof struct {
	PhotoURLs     []string            `json:"photo_urls,omitempty"`
	SignatureURL  string              `json:"signature_url,omitempty"`
	RecipientName string              `json:"recipient_name,omitempty"`
	Notes         string              `json:"notes,omitempty"`
	Latitude      decimal.NullDecimal `json:"latitude"`
	Longitude     decimal.NullDecimal `json:"longitude"`
	At            *time.Time          `json:"at,omitempty"`
}

type apiEventEntry struct {
	apiEvent
	By string `json:"by,omitempty"`
}

// toAPIOrderInput writes an order's fields as the API does.
func toAPIOrderInput(o connect.OrderInput) apiOrderInput {
	in := apiOrderInput{
		Ref: o.Ref, StopType: o.StopType,
		Address: apiAddress{Unit: o.Address.Unit, Line1: o.Address.Line1, Line2: o.Address.Line2, City: o.Address.City,
			State: o.Address.State, Zip: o.Address.Zip, Country: o.Address.Country,
			Latitude: o.Address.Latitude, Longitude: o.Address.Longitude},
		Recipient: apiRecipient(o.Recipient), Notes: o.Notes, Size: o.Size, PackageCount: o.PackageCount,
		NotifyOptOut: o.NotifyOptOut,
	}
	for _, p := range o.Products {
		in.Products = append(in.Products, apiProduct(p))
	}
	return in
}

func toAPIOrder(o *connect.Order) apiOrder {
	out := apiOrder{ID: o.ID, Version: o.Version, Status: o.Status, Source: o.Source, Import: o.Import, Depot: o.Depot,
		apiOrderInput: toAPIOrderInput(o.OrderInput), ETA: timePtr(o.ETA), FailureReason: o.FailureReason,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), SubmittedAt: timePtr(o.SubmittedAt)}
	if p := o.Proof; p != nil {
		out.Proof = &apiProof{PhotoURLs: p.PhotoURLs, SignatureURL: p.SignatureURL, RecipientName: p.RecipientName,
			Notes: p.Notes, Latitude: p.Latitude, Longitude: p.Longitude, At: timePtr(p.At)}
	}
	for _, ev := range o.History {
		out.History = append(out.History, apiEventEntry{apiEvent: toAPIEvent(ev), By: ev.By})
	}
	if f := o.ShopifyFulfillment; f != nil {
		sh := &apiShopify{Shop: o.Shopify.Shop, OrderID: o.Shopify.OrderID, Fulfillment: fulfillmentState(f.State),
			FulfilledAt: timePtr(f.FulfilledAt), Progress: f.Progress, ProgressAt: timePtr(f.ProgressAt),
			Error: f.Error, Retrying: f.Retrying}
		if f.State != connect.ShopifyNotFulfilled {
			sh.NotifyCustomer = &f.NotifyCustomer
		}
		out.Shopify = sh
	}
	return out
}

// fulfillmentState names a fulfillment state in the API: "not_fulfilled" for
// none asked yet.
func fulfillmentState(s connect.ShopifyFulfillmentState) string {
	if s == connect.ShopifyNotFulfilled {
		return "not_fulfilled"
	}
	return string(s)
}

// readJSON decodes the request body, refusing unknown fields, and a body that
// says it is something else than JSON: a form or text/plain post is what another
// site can make a browser send without asking (no CORS preflight), and what is
// not JSON should not be read as JSON. A body without a Content-Type is read.
func readJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return connect.Errorf(connect.Invalid, "send the request body as JSON, with Content-Type: application/json (not %q)", ct)
		}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return connect.Errorf(connect.Invalid, "the request body could not be read")
	}
	if !utf8.Valid(raw) || hasNULEscape(raw) {
		return badRequest("the request body has characters that are not text (a NUL or invalid UTF-8)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return connect.Errorf(connect.Invalid, "the request body is not valid JSON for this call: %v", err)
	}
	if dec.More() {
		return connect.Errorf(connect.Invalid, "the request body has more than one JSON value")
	}
	return nil
}

// hasNULEscape reports whether JSON text has the escape \u0000 (a backslash
// escaped before a "u" is not one).
func hasNULEscape(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+5 < len(raw) && raw[i+1] == 'u' && string(raw[i+2:i+6]) == "0000" {
			return true
		}
		i++ // the escaped character
	}
	return false
}

type apiClientBody struct {
	ID             connect.ClientID     `json:"id"`
	Name           string               `json:"name"`
	Number         connect.ClientNumber `json:"number"`
	Status         connect.ClientStatus `json:"status"`
	AllowUpload    bool                 `json:"allow_upload"`
	RequiredFields []connect.Field      `json:"required_fields"`
	ShopifyShop    string               `json:"shopify_shop,omitempty"`
}

func (s *server) apiClient(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	c, err := s.svc.Client(r.Context(), a, a.Client)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiClientBody{ID: c.ID, Name: c.Name, Number: c.Number, Status: c.Status,
		AllowUpload: c.Settings.AllowUpload, RequiredFields: c.Settings.RequiredFields.Required(), ShopifyShop: c.Shopify.Shop})
	return nil
}

type apiOrderList struct {
	Orders []apiOrder `json:"orders"`
	Next   string     `json:"next,omitempty"`
}

func (s *server) apiListOrders(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	q := r.URL.Query()
	p := connect.ListOrdersParams{View: connect.View(q.Get("view")), Cursor: q.Get("cursor"),
		Search: q.Get("q"), Source: connect.Source(q.Get("source")), Import: connect.ImportID(q.Get("import")),
		Sort: connect.OrderSort(q.Get("sort"))}
	var err error
	if p.CreatedFrom, err = apiTime(q, "created_from"); err != nil {
		return err
	}
	if p.CreatedBefore, err = apiTime(q, "created_before"); err != nil {
		return err
	}
	for _, st := range q["status"] {
		for _, one := range strings.Split(st, ",") {
			if one != "" {
				p.Statuses = append(p.Statuses, connect.Status(one))
			}
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return connect.Errorf(connect.Invalid, "limit must be a whole number from 1 to 500")
		}
		p.Limit = n
	}
	page, err := s.svc.Orders(r.Context(), a, p)
	if err != nil {
		return err
	}
	out := apiOrderList{Orders: make([]apiOrder, len(page.Orders)), Next: page.Next}
	for i, o := range page.Orders {
		out.Orders[i] = toAPIOrder(o)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiImportRecord is an import as the API lists it.
type apiImportRecord struct {
	ID        connect.ImportID `json:"id"`
	Name      string           `json:"name,omitempty"`
	Source    connect.Source   `json:"source"`
	Orders    int              `json:"orders"`
	Refused   int              `json:"refused"`
	CreatedAt time.Time        `json:"created_at"`
}

// apiListImports lists the client's recent imports, newest first.
func (s *server) apiListImports(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	p := connect.ImportsParams{}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return connect.Errorf(connect.Invalid, "limit must be a whole number from 1 to 100")
		}
		p.Limit = n
	}
	list, err := s.svc.Imports(r.Context(), a, p)
	if err != nil {
		return err
	}
	out := struct {
		Imports []apiImportRecord `json:"imports"`
	}{Imports: make([]apiImportRecord, len(list))}
	for i, im := range list {
		out.Imports[i] = apiImportRecord{ID: im.ID, Name: im.Name, Source: im.Source, Orders: im.Orders, Refused: im.Refused,
			CreatedAt: im.CreatedAt.UTC()}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) apiGetOrder(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	o, err := s.svc.Order(r.Context(), a, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIOrder(o))
	return nil
}

func (s *server) apiCreateOrder(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiOrderInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	o, err := s.svc.CreateOrder(r.Context(), a, in.input())
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.links.abs("/api/v1/orders/"+string(o.ID)))
	writeJSON(w, http.StatusCreated, toAPIOrder(o))
	return nil
}

// apiOrderUpdate is a draft's new fields and the version the caller saw.
type apiOrderUpdate struct {
	Version int `json:"version"`
	apiOrderInput
}

func (s *server) apiUpdateOrder(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiOrderUpdate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	o, err := s.svc.UpdateDraft(r.Context(), a, connect.OrderID(r.PathValue("id")), in.Version, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIOrder(o))
	return nil
}

func (s *server) apiDeleteOrder(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		var err error
		if version, err = strconv.Atoi(v); err != nil {
			return connect.Errorf(connect.Invalid, "version must be a whole number")
		}
	}
	if err := s.svc.DeleteDraft(r.Context(), a, connect.OrderID(r.PathValue("id")), version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type apiSubmitBody struct {
	IDs []connect.OrderID `json:"ids"`
}

func (s *server) apiSubmit(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiSubmitBody
	if err := readJSON(r, &in); err != nil {
		return err
	}
	orders, err := s.svc.SubmitOrders(r.Context(), a, in.IDs)
	if err != nil {
		return err
	}
	out := apiOrderList{Orders: make([]apiOrder, len(orders))}
	for i, o := range orders {
		out.Orders[i] = toAPIOrder(o)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) apiWithdraw(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	o, err := s.svc.Withdraw(r.Context(), a, connect.OrderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIOrder(o))
	return nil
}

// apiImportResult is an import's (or preview's) outcome.
type apiImportResult struct {
	Read       int              `json:"read"`
	Imported   int              `json:"imported"`
	Import     connect.ImportID `json:"import,omitempty"` // when it stored orders
	Refused    int              `json:"refused"`
	Duplicates int              `json:"duplicates"`
	Errors     []apiFieldError  `json:"errors"`
	MoreErrors int              `json:"more_errors,omitempty"` // problems past the first 1000, not listed
	Warnings   []apiFieldError  `json:"warnings"`
	// MoreWarnings counts the rows' warnings past the first 1000, not listed.
	MoreWarnings int         `json:"more_warnings,omitempty"`
	Preview      []apiOrder  `json:"preview,omitempty"`
	Columns      []apiColumn `json:"columns"`
	// Where the orders were found.
	Sheets         []apiSheet      `json:"sheets,omitempty"`
	HeaderRow      int             `json:"header_row"`
	SkippedRows    []apiSkippedRow `json:"skipped_rows,omitempty"`
	HiddenRows     int             `json:"hidden_rows"`
	SkipHiddenRows bool            `json:"skip_hidden_rows"`
}

type apiColumn struct {
	Header  string        `json:"header"`
	Field   connect.Field `json:"field,omitempty"`
	Ignored string        `json:"ignored,omitempty"`
	Could   connect.Field `json:"could,omitempty"`
	Hidden  bool          `json:"hidden,omitempty"`
}

type apiSheet struct {
	Name       string `json:"name"`
	Rows       int    `json:"rows"`
	Maps       bool   `json:"maps"`
	SameHeader bool   `json:"same_header"`
	Chosen     bool   `json:"chosen"`
	Hidden     bool   `json:"hidden,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

type apiSkippedRow struct {
	Row  int    `json:"row"`
	Text string `json:"text"`
}

// importChoice reads what the caller chose to read of the file: the sheets (a
// "sheet" query parameter, repeated, or a "sheets" form part holding a JSON
// array of names) and whether to skip hidden rows.
func importChoice(q url.Values, fields map[string]string) (sheets []string, skipHidden bool, err error) {
	sheets = q["sheet"]
	if v := fields["sheets"]; v != "" {
		var more []string
		if err := json.Unmarshal([]byte(v), &more); err != nil {
			return nil, false, connect.Errorf(connect.Invalid, "sheets must be a JSON array of sheet names")
		}
		sheets = append(sheets, more...)
	}
	if len(sheets) > 200 {
		return nil, false, connect.Errorf(connect.Invalid, "choose at most 200 sheets")
	}
	return sheets, q.Get("skip_hidden_rows") == "true" || fields["skip_hidden_rows"] == "true", nil
}

// apiImport imports a spreadsheet (multipart "file", or the raw body with
// ?filename=), or previews it with ?preview=true.
func (s *server) apiImport(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if s.cfg.Spreadsheets == nil {
		return errNoSpreadsheets
	}
	cl, err := s.svc.Client(r.Context(), a, a.Client)
	if err != nil {
		return err
	}
	u, fields, err := s.uploads.save(r, a)
	if err != nil {
		return err
	}
	defer s.removeUpload(r.Context(), u)
	u.Override = cl.ImportMapping
	if m := fields["mapping"]; m != "" {
		var override map[string]connect.Field
		if err := json.Unmarshal([]byte(m), &override); err != nil {
			return connect.Errorf(connect.Invalid, "mapping must be a JSON object of column header to field")
		}
		u.Override = override
	}
	q := r.URL.Query()
	if u.Sheets, u.SkipHidden, err = importChoice(q, fields); err != nil {
		return err
	}
	sheet, done, err := s.openSheet(r.Context(), u, cl.Settings.RequiredFields)
	if err != nil {
		return err
	}
	defer done()
	// The sheet reads the sheets chosen (connect.SheetOptions, from the upload). The
	// refused rows are counted, their problems listed (bounded), not kept.
	opts := connect.ImportOptions{AllOrNothing: q.Get("all_or_nothing") == "true", PreviewRows: 10, Name: u.Name,
		Refused: discardRefused, MaxErrors: maxImportErrors}
	var res *connect.ImportResult
	if q.Get("preview") == "true" {
		res, err = s.svc.PreviewImport(r.Context(), a, sheet, opts)
	} else {
		res, err = s.svc.Import(r.Context(), a, sheet, opts)
	}
	if err != nil && res == nil {
		return err
	}
	out := apiImportResult{Read: res.Read, Imported: res.Imported, Import: res.Import, Refused: res.Refused, Duplicates: res.Duplicates,
		Errors: apiFields(res.Errors), MoreErrors: res.MoreErrors, Warnings: apiFields(res.Warnings), MoreWarnings: res.MoreWarnings}
	for _, o := range res.Preview {
		out.Preview = append(out.Preview, toAPIOrder(o))
	}
	for _, c := range sheet.Columns() {
		out.Columns = append(out.Columns, apiColumn(c))
	}
	layout := sheet.Layout()
	out.HeaderRow, out.HiddenRows, out.SkipHiddenRows = layout.HeaderRow, layout.HiddenRows, layout.SkipHiddenRows
	for _, sh := range layout.Sheets {
		out.Sheets = append(out.Sheets, apiSheet(sh))
	}
	for _, r := range layout.Skipped {
		out.SkippedRows = append(out.SkippedRows, apiSkippedRow(r))
	}
	status := http.StatusOK
	if err != nil {
		status = httpStatus(err) // all or nothing, and a row was refused: nothing imported
	}
	writeJSON(w, status, out)
	return nil
}

func (s *server) apiEvents(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	return s.streamEvents(w, r, a)
}
