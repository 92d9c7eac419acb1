package connect

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Documents clients print and forward: package labels, proofs of delivery and
// monthly statements (statement.go).
// The Service gathers what a document shows, scoped like every other read; a
// Documents port (package pdf implements it) lays it out, and the portal serves
// the file.

// Documents renders the documents clients ask for. Package pdf implements it
// (pdf.Documents); a host wires that into portal.Config.
type Documents interface {
	// WriteLabels writes the labels, one per package in the order given, as a
	// PDF laid out for sheet: each label carries its order's id as a code a
	// scanner reads (PackageLabel.Code). Errors: ErrInvalid for an unknown sheet
	// or no labels.
	WriteLabels(w io.Writer, sheet LabelSheet, labels []PackageLabel) error
	// WriteProof writes an order's proof of delivery as a PDF.
	WriteProof(w io.Writer, p *ProofDocument) error
	// WriteStatement writes a client's monthly statement as a PDF.
	WriteStatement(w io.Writer, s *Statement) error
}

// LabelSheet is what labels are printed on.
type LabelSheet string

// The label sheets.
const (
	// LabelSheet4x6 is a 4×6 inch label, one per page: thermal label printers.
	LabelSheet4x6 LabelSheet = "4x6"
	// LabelSheetA4 is an A4 page of six labels (two columns of three), for office
	// printers and A4 label sheets.
	LabelSheetA4 LabelSheet = "a4"
)

// Valid reports whether the sheet is one of the label sheets.
func (s LabelSheet) Valid() bool { return s == LabelSheet4x6 || s == LabelSheetA4 }

// MaxLabelOrders bounds the orders one request for labels may name.
const MaxLabelOrders = 500

// MaxLabels bounds the labels of one request: an order counts a label per
// package.
const MaxLabels = 5000

// PackageLabel is the label of one package of an order: package Package of
// Packages.
type PackageLabel struct {
	Order        OrderID      `json:"order"`
	Ref          string       `json:"ref,omitempty"`
	Client       string       `json:"client"` // the client's name
	ClientNumber ClientNumber `json:"client_number,omitempty"`
	StopType     StopType     `json:"stop_type,omitempty"`
	Recipient    Recipient    `json:"recipient"`
	Address      Address      `json:"address"`
	Depot        DepotID      `json:"depot,omitempty"`
	// DepotName is the depot's name, when the host lists its depots (the portal
	// fills it in); "" shows Depot.
	DepotName string `json:"depot_name,omitempty"`
	Package   int    `json:"package"`  // 1-based
	Packages  int    `json:"packages"` // the order's package count (1 when not given)
	// Language is the BCP 47 tag of the language the label's words are in
	// ("Package 1 of 2"). "": English.
	Language string `json:"-"`
}

// Code is what the label's barcode carries: the order's id, which
// Service.Order finds again.
func (l PackageLabel) Code() string { return string(l.Order) }

// PackageLabels returns the labels of the orders, one per package (an order
// without a package count has one), in the order of ids. A member labels its
// client's orders; a dispatcher any of its account's. Errors: ErrForbidden;
// ErrInvalid for no ids, more than MaxLabelOrders or more than MaxLabels
// labels; ErrNotFound when an id is not an order the actor sees (another
// tenant's included).
func (s *Service) PackageLabels(ctx context.Context, a Actor, ids []OrderID) ([]PackageLabel, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	seen := make(map[OrderID]bool, len(ids))
	ids = slices.DeleteFunc(slices.Clone(ids), func(id OrderID) bool {
		dup := seen[id]
		seen[id] = true
		return dup
	})
	switch {
	case len(ids) == 0:
		return nil, Errorf(Invalid, "choose the orders to label")
	case len(ids) > MaxLabelOrders:
		return nil, Errorf(Invalid, "labels are printed for at most %d orders at once, not %d", MaxLabelOrders, len(ids))
	}
	orders, err := s.store.OrdersByID(ctx, c.scope(), ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[OrderID]*Order, len(orders))
	for _, o := range orders {
		byID[o.ID] = o
	}
	clients := map[ClientID]*Client{}
	var out []PackageLabel
	for _, id := range ids {
		o := byID[id]
		if o == nil {
			return nil, Errorf(NotFound, "no such order: %s", id)
		}
		cl := clients[o.Client]
		if cl == nil {
			if cl, err = s.store.Client(ctx, Scope{Account: o.Account, Client: o.Client}, o.Client); err != nil {
				return nil, err
			}
			clients[o.Client] = cl
		}
		n := max(o.PackageCount, 1)
		if len(out)+n > MaxLabels {
			return nil, Errorf(Invalid, "labels are printed %d at most at once: choose fewer orders", MaxLabels)
		}
		for i := 1; i <= n; i++ {
			out = append(out, PackageLabel{Order: o.ID, Ref: o.Ref, Client: cl.Name, ClientNumber: cl.Number,
				StopType: o.StopType, Recipient: o.Recipient, Address: o.Address, Depot: o.Depot, Package: i, Packages: n})
		}
	}
	return out, nil
}

// ProofDocument is what an order's proof-of-delivery document shows.
type ProofDocument struct {
	// Brand is the dispatcher's name at the top (the portal sets it from the
	// host's account).
	Brand string
	// BrandColor is the dispatcher's colour (#rrggbb) under the masthead; "":
	// none.
	BrandColor string
	// Location is the time zone the document's times are written in; nil: UTC,
	// and the document says so.
	Location *time.Location
	// Client is the client's name: who sent the goods.
	Client string
	// Order is the order, its History filled (without who made each change
	// when the document is a tracking link holder's).
	Order *Order
	// Images are the photos and the signature connect keeps (Config.Blobs),
	// read; Elsewhere lists the proof's other links (files the host keeps),
	// and those past the size bound.
	Images    []ProofImage
	Elsewhere []string
	// Tracked is set for a tracking link holder's document: the client's notes,
	// products and the order's number are left out.
	Tracked bool
	// Made is when the document was made.
	Made time.Time
	// Language is the BCP 47 tag of the language the document is written in
	// (its words and dates; what people typed stays as typed). "": English.
	Language string
}

// ProofImage is a photo or the signature of a proof of delivery.
type ProofImage struct {
	Signature   bool
	ContentType string // image/jpeg, image/png, image/gif or image/webp
	Data        []byte
}

// maxProofImages bounds the bytes of the images one proof document reads.
const maxProofImages = 24 << 20

// ProofDocument returns what the proof-of-delivery document of an order the
// actor may see shows: an order delivered, or failed with a proof. Errors:
// ErrForbidden; ErrNotFound (another tenant's order included); ErrConflict for
// an order without a proof of delivery yet.
func (s *Service) ProofDocument(ctx context.Context, a Actor, id OrderID) (*ProofDocument, error) {
	o, err := s.Order(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusDelivered && (o.Status != StatusFailed || o.Proof == nil) {
		return nil, Errorf(Conflict, "this order has no proof of delivery yet: it is %s", o.Status.Label())
	}
	cl, err := s.store.Client(ctx, Scope{Account: o.Account, Client: o.Client}, o.Client)
	if err != nil {
		return nil, err
	}
	return s.proofDocument(ctx, o, cl.Name)
}

// TrackedProofDocument is ProofDocument for a tracking link's holder, once the
// order is delivered: who changed the order, the client's notes and products
// are left out. The token is the credential, as for Track. Errors: as Track;
// ErrConflict before the order is delivered.
func (s *Service) TrackedProofDocument(ctx context.Context, token string) (*ProofDocument, error) {
	o, cl, err := s.trackedOrder(ctx, token)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusDelivered {
		return nil, Errorf(Conflict, "the proof of delivery is ready once the order is delivered: it is %s", o.Status.Label())
	}
	scope := Scope{Account: o.Account, Client: o.Client}
	if o.History, err = s.store.History(ctx, scope, o.ID); err != nil {
		return nil, err
	}
	for i := range o.History {
		o.History[i].By = ""
	}
	o.Notes, o.Products, o.Size = "", nil, decimal.NullDecimal{}
	d, err := s.proofDocument(ctx, o, cl.Name)
	if err != nil {
		return nil, err
	}
	d.Tracked = true
	return d, nil
}

// proofDocument reads the proof's files connect keeps, up to maxProofImages
// bytes in all; the rest of the proof's links are listed.
func (s *Service) proofDocument(ctx context.Context, o *Order, client string) (*ProofDocument, error) {
	d := &ProofDocument{Client: client, Order: o, Made: s.clock()}
	if o.Proof == nil {
		return d, nil
	}
	left := int64(maxProofImages)
	add := func(u string, signature bool) error {
		if u == "" {
			return nil
		}
		file := u[strings.LastIndexByte(u, '/')+1:]
		file, _, _ = strings.Cut(file, "?")
		if s.blobs == nil || s.proofURL == nil || !isConnectProofURL(s.proofURL, o.ID, u) {
			d.Elsewhere = append(d.Elsewhere, u)
			return nil
		}
		f, err := s.openProofFile(ctx, o, file)
		if ErrorCode(err) == NotFound {
			d.Elsewhere = append(d.Elsewhere, u)
			return nil
		} else if err != nil {
			return err
		}
		defer f.Body.Close()
		if f.Size > left {
			d.Elsewhere = append(d.Elsewhere, u)
			return nil
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, io.LimitReader(f.Body, left)); err != nil {
			return Errorf(Unavailable, "a proof file could not be read: %v", err)
		}
		left -= int64(b.Len())
		d.Images = append(d.Images, ProofImage{Signature: signature, ContentType: f.ContentType, Data: b.Bytes()})
		return nil
	}
	for _, u := range o.Proof.PhotoURLs {
		if err := add(u, false); err != nil {
			return nil, err
		}
	}
	if err := add(o.Proof.SignatureURL, true); err != nil {
		return nil, err
	}
	return d, nil
}
