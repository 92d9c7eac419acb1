package portal

import (
	"net/http"
	"slices"

	"github.com/dispatchkit/connect"
)

// The console's stop import takes the client's import steps: upload the file
// ("Check the file"); check and correct how its columns map to fields, the
// Client ID column (whose stop each row is) among them, on the mapping page
// the client's import uses; check what it would import, with the sheets to
// read; import. "Import stops" imports a file at once, its columns matched
// by their headers. The upload is shared through Config.Blobs, so each step
// may reach any process.

type stopsImportData struct {
	Res    *connect.ImportResult
	Errors []connect.FieldError
	More   int
	Error  string
	// Checked is the upload whose check (PreviewStops) Res is: the page offers
	// to import it. Clients names the previewed stops' clients by id.
	Checked *upload
	Clients map[connect.ClientID]*connect.Client
	// Choose offers to choose the sheets and hidden rows to read (Choice).
	Choose bool
	Choice sheetChoice
}

// Valid is how many rows the check would import.
func (d stopsImportData) Valid() int {
	if d.Res == nil {
		return 0
	}
	return d.Res.Read - d.Res.Refused
}

func (s *server) stopsImportPage(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
	s.render(w, r, http.StatusOK, "stops-import", &page{Title: s.t(r, "Import stops"), Tab: "stops-import", Data: stopsImportData{}})
	return nil
}

// showStopsImport renders the stop import page; an error for people (a
// refused file, a missing column) is said on it, any other is returned.
func (s *server) showStopsImport(w http.ResponseWriter, r *http.Request, d stopsImportData, err error) error {
	status := http.StatusOK
	if err != nil {
		if status = httpStatus(err); status != http.StatusUnprocessableEntity && status != http.StatusRequestEntityTooLarge {
			return err
		}
		d.Error = message(err)
	}
	s.render(w, r, status, "stops-import", &page{Title: s.t(r, "Import stops"), Tab: "stops-import", Data: d})
	return nil
}

// errNoClientColumn refuses a stops file without its Client ID column.
var errNoClientColumn = connect.Errorf(connect.Invalid, "The file has no Client ID column: add the client number of each stop's client.")

// openStops opens an upload as a stops sheet. Errors: those of the file, and
// errNoClientColumn.
func (s *server) openStops(r *http.Request, u *upload) (connect.Sheet, func(), error) {
	sheet, done, err := s.openSheet(r.Context(), u, connect.RequiredFieldPolicy{})
	if err != nil {
		return nil, nil, err
	}
	if slices.Contains(sheet.Missing(), connect.FieldClientNumber) {
		done()
		return nil, nil, errNoClientColumn
	}
	return sheet, done, nil
}

// importStops takes a stops spreadsheet whose Client ID column names each
// stop's client: "Check the file" (step=check) keeps the file (for an hour,
// for any process) and leads to its columns, then to what an import would
// do; "Import stops" imports it at once.
func (s *server) importStops(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, fields, err := s.uploads.save(r, a)
	if err != nil {
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	u.Stops = true
	if fields["step"] != "check" {
		defer s.removeUpload(r.Context(), u)
		return s.runStopsImport(w, r, a, u)
	}
	sheet, done, err := s.openSheet(r.Context(), u, connect.RequiredFieldPolicy{})
	if err != nil {
		s.removeUpload(r.Context(), u) // a file that cannot be read is of no use kept
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	u.header = sheet.Header()
	done()
	// The next steps may reach any process serving the portal.
	if err := s.uploads.share(r.Context(), u); err != nil {
		s.removeUpload(r.Context(), u)
		return err
	}
	s.redirect(w, r, s.path("/dispatch/stop-imports/%s", u.ID))
	return nil
}

// stopUpload returns the dispatcher's stops file the request names.
// Errors: ErrNotFound (also for another's, or a client's order import).
func (s *server) stopUpload(r *http.Request, a connect.Actor) (*upload, error) {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), a)
	if err != nil {
		return nil, err
	}
	if !u.Stops {
		return nil, errNoUpload()
	}
	return u, nil
}

// stopMapping is the mapping step's data of a stops file: every order field
// and, first and required, the Client ID.
func (s *server) stopMapping(u *upload) mappingData {
	return mappingData{Stops: true, Required: []connect.Field{connect.FieldClientNumber},
		Fields: append([]connect.Field{connect.FieldClientNumber}, connect.OrderFields()...),
		Action: s.path("/dispatch/stop-imports/%s/mapping", u.ID), Back: s.path("/dispatch/stops/import")}
}

// stopMappingPage shows how the file's columns map to the stop's fields.
func (s *server) stopMappingPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, err := s.stopUpload(r, a)
	if err != nil {
		return err
	}
	return s.showMapping(w, r, u, http.StatusOK, s.stopMapping(u), connect.RequiredFieldPolicy{}, "stops-import")
}

// saveStopMapping keeps the columns' fields as the dispatcher corrected them,
// then checks the file; a mapping without the Client ID column is refused on
// the mapping page.
func (s *server) saveStopMapping(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, err := s.stopUpload(r, a)
	if err != nil {
		return err
	}
	if _, err := s.keepMapping(r, u, true); err != nil {
		return err
	}
	_, done, err := s.openStops(r, u)
	if err == errNoClientColumn { // itself: errors.Is would match any Invalid

		d := s.stopMapping(u)
		d.Error = s.t(r, "Choose the column that holds the Client ID: it says whose stop each row is, and no stop can be imported without it.")
		return s.showMapping(w, r, u, http.StatusUnprocessableEntity, d, connect.RequiredFieldPolicy{}, "stops-import")
	}
	if err != nil {
		return err
	}
	done()
	s.redirect(w, r, s.path("/dispatch/stop-imports/%s/check", u.ID))
	return nil
}

// stopCheckPage shows what importing the file would do: counts, the refused
// rows and why, the first stops with their clients; nothing is stored.
func (s *server) stopCheckPage(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, err := s.stopUpload(r, a)
	if err != nil {
		return err
	}
	sheet, done, err := s.openStops(r, u)
	if err != nil {
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	res, err := s.svc.PreviewStops(r.Context(), a, sheet, connect.ImportOptions{Refused: discardRefused, MaxErrors: maxImportErrors})
	layout := sheet.Layout()
	done()
	if err != nil {
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	d := stopsImportData{Res: res, Checked: u, Clients: map[connect.ClientID]*connect.Client{},
		Choose: len(layout.Sheets) > 1 || layout.HiddenRows > 0,
		Choice: sheetChoice{Action: s.path("/dispatch/stop-imports/%s/sheets", u.ID), Layout: layout}}
	d.Errors, d.More = shownErrors(res)
	for _, o := range res.Preview {
		if d.Clients[o.Client] == nil {
			if d.Clients[o.Client], err = s.svc.Client(r.Context(), a, o.Client); err != nil {
				return err
			}
		}
	}
	return s.showStopsImport(w, r, d, nil)
}

// saveStopSheets keeps what to read of the file, then checks it again, or
// shows its columns when the sheets changed.
func (s *server) saveStopSheets(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, err := s.stopUpload(r, a)
	if err != nil {
		return err
	}
	changed, err := s.chooseSheets(r, u, connect.RequiredFieldPolicy{})
	if err != nil {
		return err
	}
	if changed {
		s.redirect(w, r, s.path("/dispatch/stop-imports/%s", u.ID))
	} else {
		s.redirect(w, r, s.path("/dispatch/stop-imports/%s/check", u.ID))
	}
	return nil
}

// importCheckedStops imports a stops file checked earlier (stopCheckPage),
// then forgets it.
func (s *server) importCheckedStops(w http.ResponseWriter, r *http.Request, a connect.Actor) error {
	u, err := s.stopUpload(r, a)
	if err != nil {
		return err
	}
	defer s.removeUpload(r.Context(), u)
	return s.runStopsImport(w, r, a, u)
}

// runStopsImport imports the upload's stops and shows the result.
func (s *server) runStopsImport(w http.ResponseWriter, r *http.Request, a connect.Actor, u *upload) error {
	sheet, done, err := s.openStops(r, u)
	if err != nil {
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	defer done()
	res, err := s.svc.ImportStops(r.Context(), a, sheet, connect.ImportOptions{Name: u.Name, Refused: discardRefused, MaxErrors: maxImportErrors})
	if err != nil && res == nil {
		return s.showStopsImport(w, r, stopsImportData{}, err)
	}
	d := stopsImportData{Res: res}
	d.Errors, d.More = shownErrors(res)
	return s.showStopsImport(w, r, d, nil)
}

// stopsTemplate writes the stops spreadsheet's template: a Client ID column,
// the Id, then every other order field's, as the stop import reads them.
func (s *server) stopsTemplate(format string) dispatcherFunc {
	return func(w http.ResponseWriter, r *http.Request, _ connect.Actor) error {
		if s.cfg.Spreadsheets == nil {
			return errNoSpreadsheets
		}
		header := []string{connect.FieldClientNumber.Label(), connect.FieldRef.Label()}
		for _, f := range connect.OrderFields() {
			if f != connect.FieldRef {
				header = append(header, f.Label())
			}
		}
		return s.writeTable(w, format, "stops-template."+format, header, func(func([]string) bool) {})
	}
}
