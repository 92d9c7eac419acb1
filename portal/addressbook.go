package portal

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/dispatchkit/connect"
)

// Addresses: the client's address book, filled from the orders its team adds
// by hand (connect.AddressEntry). The team lists, searches, adds, edits and
// deletes entries, starts an order from one (/orders/new?address=…), and the
// order form suggests them while typing (/addresses/suggest, with
// static/addressbook.js; without JavaScript the form lists recent entries to
// start from).

// addressesData is the Addresses page.
type addressesData struct {
	Entries []*connect.AddressEntry
	Search  string
	Next    connect.AddressID // the last entry shown, when there may be more
	Saving  bool              // the client saves new recipients
	Values  map[string]string // the add form
	Errors  map[string]string
	Error   string
}

// addressesPageSize is how many entries a page lists.
const addressesPageSize = 50

func (s *server) addressesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.showAddresses(w, r, v, http.StatusOK, addressesData{})
}

// showAddresses renders the Addresses page with the add form's state d.
func (s *server) showAddresses(w http.ResponseWriter, r *http.Request, v *viewer, status int, d addressesData) error {
	q := r.URL.Query()
	p := connect.AddressBookParams{Search: q.Get("q"), Limit: addressesPageSize}
	if after := q.Get("after"); after != "" {
		e, err := s.svc.AddressEntry(r.Context(), v.Actor, connect.AddressID(after))
		if err != nil {
			return err
		}
		p.After = e
	}
	entries, err := s.svc.AddressBook(r.Context(), v.Actor, p)
	if err != nil {
		return err
	}
	d.Entries, d.Search, d.Saving = entries, p.Search, !v.Client.AddressBook.Off
	if len(entries) == addressesPageSize {
		d.Next = entries[len(entries)-1].ID
	}
	s.render(w, r, status, "addresses", &page{Title: s.t(r, "Addresses"), Tab: "addresses", Data: d})
	return nil
}

// addressInput reads an entry's form: the order form's recipient and address
// inputs.
func addressInput(r *http.Request) (connect.AddressEntryInput, map[string]string, []connect.FieldError) {
	in, values, problems := parseOrderForm(r)
	return connect.AddressEntryInput{Recipient: in.Recipient, Address: in.Address}, values, problems
}

func (s *server) addAddress(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in, values, problems := addressInput(r)
	var err error
	if len(problems) > 0 {
		err = connect.InvalidFields(problems)
	} else {
		_, err = s.svc.AddAddressEntry(r.Context(), v.Actor, in)
	}
	if httpStatus(err) == http.StatusUnprocessableEntity {
		return s.showAddresses(w, r, v, http.StatusUnprocessableEntity, addressesData{Values: values, Errors: formErrors(err),
			Error: s.t(r, "Please correct the fields marked below.")})
	} else if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Address saved.")})
	s.redirect(w, r, s.path("/addresses"))
	return nil
}

// addressData is one entry's page.
type addressData struct {
	Entry   *connect.AddressEntry
	Version int
	Values  map[string]string
	Errors  map[string]string
	Error   string
}

func (s *server) addressPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	e, err := s.svc.AddressEntry(r.Context(), v.Actor, connect.AddressID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "address", &page{Title: s.t(r, "Address"), Tab: "addresses",
		Data: addressData{Entry: e, Version: e.Version, Values: orderValues(e.OrderInput())}})
	return nil
}

func (s *server) updateAddress(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := connect.AddressID(r.PathValue("id"))
	e, err := s.svc.AddressEntry(r.Context(), v.Actor, id)
	if err != nil {
		return err
	}
	in, values, problems := addressInput(r)
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	if len(problems) > 0 {
		err = connect.InvalidFields(problems)
	} else {
		_, err = s.svc.UpdateAddressEntry(r.Context(), v.Actor, id, version, in)
	}
	if st := httpStatus(err); st == http.StatusUnprocessableEntity || st == http.StatusConflict {
		d := addressData{Entry: e, Version: version, Values: values, Errors: formErrors(err), Error: message(err)}
		if len(d.Errors) > 0 {
			d.Error = s.t(r, "Please correct the fields marked below.")
		}
		s.render(w, r, st, "address", &page{Title: s.t(r, "Address"), Tab: "addresses", Data: d})
		return nil
	} else if err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Address saved.")})
	s.redirect(w, r, s.path("/addresses"))
	return nil
}

func (s *server) deleteAddress(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.svc.DeleteAddressEntry(r.Context(), v.Actor, connect.AddressID(r.PathValue("id"))); err != nil {
		return err
	}
	s.setFlash(w, flash{Message: s.t(r, "Address deleted. Orders made from it keep their addresses.")})
	s.redirect(w, r, s.path("/addresses"))
	return nil
}

func (s *server) setAddressSaving(w http.ResponseWriter, r *http.Request, v *viewer) error {
	on := r.PostFormValue("saving") == "on"
	if _, err := s.svc.SetAddressBookSaving(r.Context(), v.Actor, on); err != nil {
		return err
	}
	msg := "New recipients are saved to the address book."
	if !on {
		msg = "New recipients are no longer saved to the address book; the saved ones stay."
	}
	s.setFlash(w, flash{Message: msg})
	s.redirect(w, r, s.path("/addresses"))
	return nil
}

// addressSuggestion is one entry as the order form's suggestions read it:
// a label to show, and the form's values by input name.
type addressSuggestion struct {
	ID     connect.AddressID `json:"id"`
	Label  string            `json:"label"`
	Values map[string]string `json:"values"`
}

// suggestLimit is how many entries the order form suggests.
const suggestLimit = 8

// suggestAddresses answers the order form's suggestions: the entries of the
// caller's address book that match q, as JSON.
func (s *server) suggestAddresses(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	out := struct {
		Addresses []addressSuggestion `json:"addresses"`
	}{Addresses: []addressSuggestion{}}
	if len([]rune(q)) >= 2 {
		entries, err := s.svc.AddressBook(r.Context(), v.Actor, connect.AddressBookParams{Search: q, Limit: suggestLimit})
		if err != nil {
			return err
		}
		for _, e := range entries {
			out.Addresses = append(out.Addresses, addressSuggestion{ID: e.ID, Label: addressLabel(e), Values: orderValues(e.OrderInput())})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addressLabel names an entry in one line: "Ada Lovelace, 12 High St, London".
func addressLabel(e *connect.AddressEntry) string {
	var parts []string
	for _, p := range []string{e.Recipient.Name, e.Address.Unit, e.Address.Line1, e.Address.City, e.Address.Zip} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// recentAddressesShown is how many entries the new-order form offers to start
// from.
const recentAddressesShown = 10

// startFrom fills a new order's form from the address book entry the request
// names (?address=…), and lists the recent entries to start from otherwise.
func (s *server) startFrom(r *http.Request, v *viewer, d *orderFormData) error {
	if id := r.URL.Query().Get("address"); id != "" {
		e, err := s.svc.AddressEntry(r.Context(), v.Actor, connect.AddressID(id))
		if err != nil {
			return err
		}
		d.Values, d.From = orderValues(e.OrderInput()), e
		return nil
	}
	recent, err := s.svc.AddressBook(r.Context(), v.Actor, connect.AddressBookParams{Limit: recentAddressesShown})
	d.Recent = recent
	return err
}

// addressFields are the order fields an address book entry holds, in the
// order its form shows them.
func addressFields() []connect.Field {
	return []connect.Field{connect.FieldRecipientName, connect.FieldRecipientEmail, connect.FieldRecipientPhone,
		connect.FieldUnit, connect.FieldAddressLine1, connect.FieldAddressLine2, connect.FieldCity, connect.FieldState,
		connect.FieldZip, connect.FieldCountry, connect.FieldLatitude, connect.FieldLongitude}
}
