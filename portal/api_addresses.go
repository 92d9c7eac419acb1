package portal

import (
	"net/http"
	"strconv"

	"github.com/dispatchkit/connect"
)

// The address book through the JSON API: the client's systems list, read,
// add, change and delete its entries as the Addresses page does.

// apiAddressList is a page of the address book; Next is the after= of the
// next page, "" on the last.
type apiAddressList struct {
	Addresses []*connect.AddressEntry `json:"addresses"`
	Next      string                  `json:"next,omitempty"`
}

// apiListAddresses lists the entries ?q= finds, the most recently used
// first, ?limit= (50, at most 200) at a time after the entry ?after= names.
func (s *server) apiListAddresses(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	q := r.URL.Query()
	p := connect.AddressBookParams{Search: q.Get("q")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return connect.Errorf(connect.Invalid, "limit must be a whole number from 1 to 200")
		}
		p.Limit = n
	}
	if after := q.Get("after"); after != "" {
		e, err := s.svc.AddressEntry(r.Context(), a, connect.AddressID(after))
		if err != nil {
			return err
		}
		p.After = e
	}
	limit := p.Limit
	if limit == 0 {
		limit = 50
	}
	list, err := s.svc.AddressBook(r.Context(), a, p)
	if err != nil {
		return err
	}
	out := apiAddressList{Addresses: list}
	if len(list) == limit {
		out.Next = string(list[len(list)-1].ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) apiGetAddress(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	e, err := s.svc.AddressEntry(r.Context(), a, connect.AddressID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *server) apiCreateAddress(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in connect.AddressEntryInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := s.svc.AddAddressEntry(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

// apiAddressUpdate is an entry's new recipient and address, at the version
// read.
type apiAddressUpdate struct {
	connect.AddressEntryInput
	Version int `json:"version"`
}

func (s *server) apiUpdateAddress(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	var in apiAddressUpdate
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return connect.InvalidFields([]connect.FieldError{{Field: "version", Reason: "is required: the version you read"}})
	}
	e, err := s.svc.UpdateAddressEntry(r.Context(), a, connect.AddressID(r.PathValue("id")), in.Version, in.AddressEntryInput)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *server) apiDeleteAddress(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	if err := s.svc.DeleteAddressEntry(r.Context(), a, connect.AddressID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
