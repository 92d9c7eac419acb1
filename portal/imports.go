package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/dispatchkit/connect"
)

// A spreadsheet import takes four steps, each a page: upload the file; check and
// correct how its columns map to order fields; preview what will be imported, with
// every refused row and why; import, with a progress bar, then the result and the
// refused rows to fix and upload again.

// maxShownErrors bounds the row errors a page lists (the refused rows file has all).
const maxShownErrors = 1000

// importTimeout bounds an import running in the background.
const importTimeout = 30 * time.Minute

func (s *server) importPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.CanUpload() {
		return connect.Errorf(connect.Forbidden, "your dispatcher has not enabled order uploads for %s", v.Client.Name)
	}
	s.render(w, r, http.StatusOK, "import", &page{Title: s.t(r, "Import orders from a spreadsheet"), Tab: "orders",
		Data: struct{ Error string }{}})
	return nil
}

// openSheet opens an upload as a sheet, mapped with its overrides, with its
// cost reserved from the import memory budget until done is called.
func (s *server) openSheet(ctx context.Context, u *upload, policy connect.RequiredFieldPolicy) (sheet connect.Sheet, done func(), err error) {
	if s.cfg.Spreadsheets == nil {
		return nil, nil, errNoSpreadsheets
	}
	release, err := s.reserveImport(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	f, err := s.uploads.open(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	u.mu.Lock()
	override, sheets, skipHidden := u.Override, u.Sheets, u.SkipHidden
	u.mu.Unlock()
	sheet, err = s.cfg.Spreadsheets.Open(f, u.Size, u.Name, connect.SheetOptions{Override: override, Policy: policy,
		ClientNumbers: u.Stops, Sheets: sheets, SkipHiddenRows: skipHidden})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return sheet, func() { sheet.Close(); f.Close(); release() }, nil
}

func (s *server) uploadImport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.CanUpload() {
		return connect.Errorf(connect.Forbidden, "your dispatcher has not enabled order uploads for %s", v.Client.Name)
	}
	if s.cfg.Spreadsheets == nil {
		return errNoSpreadsheets
	}
	fail := func(err error) error {
		if st := httpStatus(err); st == http.StatusUnprocessableEntity || st == http.StatusRequestEntityTooLarge {
			s.render(w, r, st, "import", &page{Title: s.t(r, "Import orders from a spreadsheet"), Tab: "orders",
				Data: struct{ Error string }{message(err)}})
			return nil
		}
		return err
	}
	u, _, err := s.uploads.save(r, v.Actor)
	if err != nil {
		return fail(err)
	}
	u.Override = v.Client.ImportMapping
	sheet, done, err := s.openSheet(r.Context(), u, v.Client.Settings.RequiredFields)
	if err != nil {
		s.uploads.remove(r.Context(), u) // a file that cannot be read is of no use kept
		return fail(err)
	}
	u.header = sheet.Header()
	done()
	// The next steps may reach any process serving the portal.
	if err := s.uploads.share(r.Context(), u); err != nil {
		s.uploads.remove(r.Context(), u)
		return err
	}
	s.redirect(w, r, s.path("/imports/%s", u.ID))
	return nil
}

// mappingColumn is one column of the mapping step.
type mappingColumn struct {
	Index   int
	Header  string
	Field   connect.Field
	Ignored string
	Could   connect.Field
	Hidden  bool
	Samples []string
}

type mappingData struct {
	U         *upload
	Columns   []mappingColumn
	Missing   []connect.Field
	Required  []connect.Field
	Sheets    []string // the sheets read, when a workbook has several
	HeaderRow int
	// Fields are the fields a column can feed; Stops marks the dispatcher's
	// stop import (whose Client ID column says whose stop a row is).
	Fields []connect.Field
	Stops  bool
	// Action is where the form posts; Back the page to upload another file.
	Action, Back string
	Error        string
}

func (s *server) mappingPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	return s.showMapping(w, r, u, http.StatusOK, mappingData{Required: v.Client.Settings.RequiredFields.Required(),
		Fields: connect.OrderFields(), Action: s.path("/imports/%s/mapping", u.ID), Back: s.path("/imports/new")},
		v.Client.Settings.RequiredFields, "orders")
}

// showMapping renders the mapping step of the upload u, read with policy: the
// columns as the file's header and the mapping so far match them, a few
// values of each, and what no column holds. The client's order import and the
// dispatcher's stop import share it (d says which fields and where to post).
func (s *server) showMapping(w http.ResponseWriter, r *http.Request, u *upload, status int, d mappingData, policy connect.RequiredFieldPolicy, tab string) error {
	sheet, done, err := s.openSheet(r.Context(), u, policy)
	if err != nil {
		return err
	}
	defer done()
	// The form's columns are the header read now (other sheets may have
	// been chosen since the upload): the mapping posted is read by it.
	u.mu.Lock()
	stale := !slices.Equal(u.header, sheet.Header())
	u.header = sheet.Header()
	u.mu.Unlock()
	if stale {
		if err := s.uploads.saveSettings(r.Context(), u); err != nil {
			return err
		}
	}
	d.U, d.Missing = u, sheet.Missing()
	for i, c := range sheet.Columns() {
		d.Columns = append(d.Columns, mappingColumn{Index: i, Header: c.Header, Field: c.Field, Ignored: c.Ignored,
			Could: c.Could, Hidden: c.Hidden})
	}
	layout := sheet.Layout()
	d.HeaderRow = layout.HeaderRow
	if len(layout.Sheets) > 1 {
		for _, sh := range layout.Sheets {
			if sh.Chosen {
				d.Sheets = append(d.Sheets, sh.Name)
			}
		}
	}
	// A few values of each column help to tell what it holds.
	for n := 0; n < 3; n++ {
		row, err := sheet.Next(r.Context())
		if err != nil {
			break
		}
		for i := range d.Columns {
			if i < len(row.Cells) && row.Cells[i] != "" {
				d.Columns[i].Samples = append(d.Columns[i].Samples, row.Cells[i])
			}
		}
	}
	s.render(w, r, status, "mapping", &page{Title: s.t(r, "Check the columns"), Tab: tab, Data: d})
	return nil
}

// saveMapping keeps the columns' fields as the user corrected them.
func (s *server) saveMapping(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	if _, err := s.keepMapping(r, u, false); err != nil {
		return err
	}
	s.redirect(w, r, s.path("/imports/%s/preview", u.ID))
	return nil
}

// keepMapping reads the posted mapping (col_N: the field of the header's
// column N, "" to ignore it) and keeps it as u's override, for every process.
// clientNumbers lets a column feed FieldClientNumber (the stop import).
func (s *server) keepMapping(r *http.Request, u *upload, clientNumbers bool) (map[string]connect.Field, error) {
	u.mu.Lock()
	header := u.header
	u.mu.Unlock()
	override := map[string]connect.Field{}
	for i, h := range header {
		f := connect.Field(r.PostFormValue("col_" + strconv.Itoa(i)))
		if f != "" && !f.Valid() && (!clientNumbers || f != connect.FieldClientNumber) {
			return nil, connect.InvalidFields([]connect.FieldError{{Column: h, Reason: fmt.Sprintf("%q is not an order field", f)}})
		}
		if _, dup := override[h]; !dup {
			override[h] = f
		}
	}
	u.mu.Lock()
	u.Override = override
	u.mu.Unlock()
	return override, s.uploads.saveSettings(r.Context(), u)
}

type previewData struct {
	U        *upload
	Res      *connect.ImportResult
	Errors   []connect.FieldError
	More     int
	Valid    int
	Layout   connect.SheetLayout
	Choose   bool // the user can choose what to read: sheets, hidden rows
	Warnings []connect.FieldError
	MoreWarn int
	Choice   sheetChoice
}

// sheetChoice is the "What to read" form of a file read: the sheets and hidden
// rows as read, and where the choice posts.
type sheetChoice struct {
	Action string
	Layout connect.SheetLayout
}

// maxShownWarnings bounds the warnings a page lists.
const maxShownWarnings = 200

func shownErrors(res *connect.ImportResult) ([]connect.FieldError, int) {
	if len(res.Errors) > maxShownErrors {
		return res.Errors[:maxShownErrors], len(res.Errors) - maxShownErrors + res.MoreErrors
	}
	return res.Errors, res.MoreErrors
}

func (s *server) previewPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	sheet, done, err := s.openSheet(r.Context(), u, v.Client.Settings.RequiredFields)
	if err != nil {
		return err
	}
	defer done()
	refused, err := s.uploads.newSpill(u, u.Path+"."+newID()[:12]+".refused")
	if err != nil {
		return err
	}
	// The sheet reads what the user chose (connect.SheetOptions): the Service has
	// nothing more to choose. The refused rows go to a file, not to memory.
	res, err := s.svc.PreviewImport(r.Context(), v.Actor, sheet, connect.ImportOptions{PreviewRows: 10,
		Refused: refused.add, MaxErrors: maxImportErrors})
	if cerr := refused.close(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := s.uploads.shareRefused(r.Context(), u, refused, blobPreviewRefused); err != nil {
		return err
	}
	layout := sheet.Layout()
	u.mu.Lock()
	u.previewRead, u.header, u.delimiter = res.Read, sheet.Header(), layout.Delimiter
	u.mu.Unlock()
	if err := s.uploads.saveSettings(r.Context(), u); err != nil {
		return err
	}
	d := previewData{U: u, Res: res, Valid: res.Read - res.Refused, Layout: layout,
		Choose: len(layout.Sheets) > 1 || layout.HiddenRows > 0, Choice: sheetChoice{Action: s.path("/imports/%s/sheets", u.ID), Layout: layout}}
	d.Errors, d.More = shownErrors(res)
	d.Warnings, d.MoreWarn = res.Warnings, res.MoreWarnings
	if len(d.Warnings) > maxShownWarnings {
		d.Warnings, d.MoreWarn = d.Warnings[:maxShownWarnings], len(d.Warnings)-maxShownWarnings+res.MoreWarnings
	}
	s.render(w, r, http.StatusOK, "preview", &page{Title: s.t(r, "Preview the import"), Tab: "orders", Data: d})
	return nil
}

// saveSheets keeps what to read of the file (chooseSheets), then shows the
// preview again, or the columns when the sheets changed.
func (s *server) saveSheets(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	changed, err := s.chooseSheets(r, u, v.Client.Settings.RequiredFields)
	if err != nil {
		return err
	}
	if changed {
		s.redirect(w, r, s.path("/imports/%s", u.ID))
	} else {
		s.redirect(w, r, s.path("/imports/%s/preview", u.ID))
	}
	return nil
}

// chooseSheets keeps what to read of u's file: the sheets ("sheet", in the
// order the workbook has them) and whether to skip hidden rows. A choice the
// file cannot be read by (sheets with other columns) is refused as it is
// made. It reports whether the sheets changed (so the columns are to be
// checked again).
func (s *server) chooseSheets(r *http.Request, u *upload, policy connect.RequiredFieldPolicy) (bool, error) {
	if err := r.ParseForm(); err != nil {
		return false, connect.Errorf(connect.Invalid, "the form cannot be read")
	}
	sheets := r.PostForm["sheet"]
	if len(sheets) > 200 {
		return false, connect.Errorf(connect.Invalid, "choose at most 200 sheets")
	}
	skipHidden := r.PostFormValue("skip_hidden") != ""
	u.mu.Lock()
	before, running := u.Sheets, u.started
	u.mu.Unlock()
	if running {
		return false, connect.Errorf(connect.Conflict, "this file is being imported already")
	}
	if len(sheets) == 0 {
		sheets = before // only the hidden rows changed
	}
	// Open it as chosen, to refuse now what cannot be read.
	release, err := s.reserveImport(r.Context(), u)
	if err != nil {
		return false, err
	}
	defer release()
	f, err := s.uploads.open(r.Context(), u)
	if err != nil {
		return false, err
	}
	u.mu.Lock()
	override := u.Override
	u.mu.Unlock()
	sheet, err := s.cfg.Spreadsheets.Open(f, u.Size, u.Name, connect.SheetOptions{Override: override,
		Policy: policy, ClientNumbers: u.Stops, Sheets: sheets, SkipHiddenRows: skipHidden})
	f.Close()
	if err != nil {
		return false, err
	}
	sheet.Close()
	u.mu.Lock()
	u.Sheets, u.SkipHidden, u.previewRead = sheets, skipHidden, 0
	u.mu.Unlock()
	if err := s.uploads.saveSettings(r.Context(), u); err != nil {
		return false, err
	}
	return !slices.Equal(before, sheets), nil
}

// runImport starts the import in the background and shows its progress.
func (s *server) runImport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	u.mu.Lock()
	running, total, override := u.started, u.previewRead, u.Override
	u.AllOrNothing = r.PostFormValue("all_or_nothing") != ""
	u.mu.Unlock()
	if !running {
		if r.PostFormValue("remember") != "" && len(override) > 0 {
			if _, err := s.svc.SaveImportMapping(r.Context(), v.Actor, override); err != nil {
				return err
			}
		}
		if err := s.startImport(r.Context(), u, v.Actor, v.Client.Settings.RequiredFields, total); err != nil {
			return err
		}
	}
	s.redirect(w, r, s.path("/imports/%s/progress", u.ID))
	return nil
}

// startImport runs the upload's import on a goroutine of its own, so that the
// request can return and the page follow its progress (in any process: the
// progress is shared). An import already started, here or in another process,
// is not started again.
func (s *server) startImport(ctx context.Context, u *upload, a connect.Actor, policy connect.RequiredFieldPolicy, total int) error {
	if err := s.uploads.once.UseOnce(ctx, "portal/import/"+u.ID, u.Created.Add(uploadTTL+time.Minute)); err != nil {
		if errors.Is(err, connect.ErrConflict) {
			return nil // started by another request
		}
		return err
	}
	u.mu.Lock()
	u.started = true
	u.mu.Unlock()
	if err := s.uploads.saveSettings(ctx, u); err != nil {
		return err
	}
	u.mu.Lock()
	allOrNothing := u.AllOrNothing
	u.mu.Unlock()
	job := newImportJob(total)
	run := func(ctx context.Context) (*connect.ImportResult, *spill, error) {
		sheet, done, err := s.openSheet(ctx, u, policy)
		if err != nil {
			return nil, nil, err
		}
		defer done()
		refused, err := s.uploads.newSpill(u, u.Path+"."+newID()[:12]+".refused")
		if err != nil {
			return nil, nil, err
		}
		res, err := s.importInBackground(ctx, a, sheet, connect.ImportOptions{AllOrNothing: allOrNothing, Name: u.Name,
			Refused: refused.add, MaxErrors: maxImportErrors, Progress: job.progressed})
		u.mu.Lock()
		u.header, u.delimiter = sheet.Header(), sheet.Layout().Delimiter
		u.mu.Unlock()
		return res, refused, err
	}
	s.runJob(ctx, u, job, func(ctx context.Context) {
		res, refused, err := run(ctx)
		res, err = s.finishImport(ctx, u, refused, res, err)
		job.finish(res, err)
		if err != nil && res == nil {
			s.log.WarnContext(ctx, "portal: import failed", "client", a.Client, "err", err)
		}
	})
	return nil
}

// runJob makes job u's and runs work on a goroutine of its own, which
// outlives the request (up to importTimeout) while every process can follow
// its progress; work records its outcome on job (finish, bulkFinished, …)
// before it returns, and that is shared last.
func (s *server) runJob(ctx context.Context, u *upload, job *importJob, work func(ctx context.Context)) {
	u.mu.Lock()
	u.job = job
	u.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), importTimeout)
	share := s.uploads.shareProgress(ctx, u, job)
	go func() {
		defer cancel()
		defer share.finished(ctx)
		defer func() {
			// A bug in the work must not take the host's process down.
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "portal: a background job panicked", "upload", u.ID, "panic", p, "stack", string(debug.Stack()))
				job.update(func() {
					if !job.finished {
						job.err, job.finished = connect.Errorf(connect.Internal, "this failed unexpectedly"), true
					}
				})
			}
		}()
		work(ctx)
	}()
}

// finishImport keeps what an import left for its result page: its refused
// rows (when it has a result) and the file's header, in blobs every process
// reads. It returns the result, or the error keeping them.
func (s *server) finishImport(ctx context.Context, u *upload, refused *spill, res *connect.ImportResult, err error) (*connect.ImportResult, error) {
	if refused == nil {
		return res, err
	}
	if cerr := refused.close(res != nil); cerr != nil && err == nil {
		return nil, cerr
	}
	if res == nil {
		return nil, err
	}
	if serr := s.uploads.shareRefused(ctx, u, refused, blobImportRefused); serr != nil {
		return nil, serr
	}
	if serr := s.uploads.saveSettings(ctx, u); serr != nil {
		return nil, serr
	}
	return res, err
}

// jobOf returns the request's upload and its import: the one running in this
// process, or a snapshot of the one running in another.
func (s *server) jobOf(r *http.Request, v *viewer) (*upload, *importJob, error) {
	return s.actorJob(r, v.Actor)
}

// actorJob is jobOf for any actor (a member, a dispatcher).
func (s *server) actorJob(r *http.Request, a connect.Actor) (*upload, *importJob, error) {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), a)
	if err != nil {
		return nil, nil, err
	}
	job, err := s.currentJob(r.Context(), u)
	return u, job, err
}

// currentJob returns u's import as this process knows it best.
func (s *server) currentJob(ctx context.Context, u *upload) (*importJob, error) {
	u.mu.Lock()
	job := u.job
	u.mu.Unlock()
	if job != nil {
		return job, nil
	}
	return s.uploads.followJob(ctx, u)
}

func (s *server) progressPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, job, err := s.jobOf(r, v)
	if err != nil {
		return err
	}
	st, _ := job.state()
	if st.Finished {
		s.redirect(w, r, s.path("/imports/%s/result", u.ID))
		return nil
	}
	switch {
	case u.bulk != "":
		s.bulkProgressPage(w, r, u, st)
		return nil
	case u.export != "":
		s.exportProgressPage(w, r, u, st)
		return nil
	}
	s.render(w, r, http.StatusOK, "progress", &page{Title: s.t(r, "Importing"), Tab: "orders", Data: struct {
		U  *upload
		St jobState
	}{u, st}})
	return nil
}

// progressStatus answers the progress as JSON (polling, for clients without SSE).
func (s *server) progressStatus(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.jobStatus(w, r, v.Actor, s.path("/imports/%s/result", r.PathValue("id")))
}

// jobStatus answers the progress of the actor's job as JSON, with its result
// page once finished.
func (s *server) jobStatus(w http.ResponseWriter, r *http.Request, a connect.Actor, result string) error {
	_, job, err := s.actorJob(r, a)
	if err != nil {
		return err
	}
	st, _ := job.state()
	if st.Finished {
		st.Result = result
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// progressEvents streams the progress as Server-Sent Events (jobEvents). The
// member is checked again at each change, as the order stream does before
// each burst: one removed meanwhile, or whose client was disabled, is told
// nothing more; the request's access memo would still let it in, so the check
// goes without it.
func (s *server) progressEvents(w http.ResponseWriter, r *http.Request, v *viewer) error {
	fresh := v.Actor
	fresh.AccessMemo = nil
	return s.jobEvents(w, r, v.Actor, s.path("/imports/%s/result", r.PathValue("id")), func(ctx context.Context) error {
		_, _, err := s.svc.Membership(ctx, fresh)
		return err
	})
}

// jobEvents streams the progress of the actor's job as Server-Sent Events:
// "progress" events, then one "done" event with the result page. still is
// asked at each change whether the actor may still follow it.
func (s *server) jobEvents(w http.ResponseWriter, r *http.Request, a connect.Actor, result string, still func(context.Context) error) error {
	u, _, err := s.actorJob(r, a) // started: not found otherwise
	if err != nil {
		return err
	}
	ctx, cancel := s.streamContext(r)
	defer cancel()
	sse, err := startSSE(w)
	if err != nil {
		return err
	}
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		job, err := s.currentJob(ctx, u)
		if err != nil {
			return nil
		}
		st, changed := job.state()
		name := "progress"
		if st.Finished {
			name, st.Result = "done", result
		}
		data, _ := json.Marshal(st)
		if err := sse.event("", name, data); err != nil || st.Finished {
			return nil
		}
		select {
		case <-changed:
			// Coalesce bursts of progress into a few events a second.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return nil
			}
			if still(ctx) != nil {
				return nil
			}
		case <-heartbeat.C:
			if sse.comment("ping") != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

type resultData struct {
	U      *upload
	Res    *connect.ImportResult
	Error  string
	Errors []connect.FieldError
	More   int
}

func (s *server) resultPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, job, err := s.jobOf(r, v)
	if err != nil {
		return err
	}
	st, _ := job.state()
	if !st.Finished {
		s.redirect(w, r, s.path("/imports/%s/progress", u.ID))
		return nil
	}
	switch {
	case u.bulk != "":
		return s.bulkResultPage(w, r, u, job)
	case u.export != "":
		return s.exportResultPage(w, r, u, job)
	}
	job.mu.Lock()
	res, jerr := job.result, job.err
	job.mu.Unlock()
	if res == nil {
		return jerr
	}
	d := resultData{U: u, Res: res}
	if jerr != nil {
		d.Error = message(jerr)
	}
	d.Errors, d.More = shownErrors(res)
	s.render(w, r, http.StatusOK, "result", &page{Title: s.t(r, "Import finished"), Tab: "orders", Data: d})
	return nil
}

// refusedFile serves the rows the import (or, before it, the preview) refused.
func (s *server) refusedFile(w http.ResponseWriter, r *http.Request, v *viewer) error {
	u, err := s.uploads.get(r.Context(), r.PathValue("id"), v.Actor)
	if err != nil {
		return err
	}
	return s.writeRefused(w, r, u)
}

func (s *server) writeRefused(w http.ResponseWriter, r *http.Request, u *upload) error {
	if s.cfg.Spreadsheets == nil {
		return errNoSpreadsheets
	}
	name := blobPreviewRefused
	u.mu.Lock()
	started, header, delimiter := u.started, u.header, u.delimiter
	u.mu.Unlock()
	if started {
		// The import's refused rows once it has finished; the preview's until then.
		if job, err := s.currentJob(r.Context(), u); err == nil {
			if st, _ := job.state(); st.Finished {
				name = blobImportRefused
			}
		}
	}
	// One local copy of the blob, read once: the writer ranges over the rows
	// twice, and both must see the same version of them.
	f, err := os.CreateTemp(s.uploads.dir, u.ID+".refused-*")
	if err != nil {
		return connect.Errorf(connect.Internal, "reading the refused rows: %w", err)
	}
	defer s.uploads.removeFile(u, f.Name())
	err = s.uploads.fetchBlob(r.Context(), u, name, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = connect.Errorf(connect.Internal, "reading the refused rows: %w", cerr)
	}
	if errors.Is(err, connect.ErrNotFound) {
		return connect.Errorf(connect.NotFound, "preview or import the file first")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="refused-rows.csv"`)
	return s.cfg.Spreadsheets.WriteRefused(w, header, s.uploads.refusedRows(r.Context(), f.Name()), delimiter)
}

// removeUpload deletes an upload's files at once (after an import through the API).
func (s *server) removeUpload(ctx context.Context, u *upload) { s.uploads.remove(ctx, u) }

// discardRefused is ImportOptions.Refused for an import whose refused rows are
// not kept (the API's, the stop import's): they are counted, not held.
func discardRefused(connect.RefusedRow) error { return nil }

// importInBackground runs an import on the portal's own goroutine, where a
// panic (a parser's bug met by a damaged file, say) would take the host's
// process down: it becomes the import's error instead, and the import's
// transaction is rolled back.
func (s *server) importInBackground(ctx context.Context, a connect.Actor, src connect.ImportSource, opts connect.ImportOptions) (*connect.ImportResult, error) {
	return s.recovered(ctx, a, func() (*connect.ImportResult, error) { return s.svc.Import(ctx, a, src, opts) })
}

// recovered runs a background import (a spreadsheet's, a Shopify bulk
// import), turning a panic into its error.
func (s *server) recovered(ctx context.Context, a connect.Actor, run func() (*connect.ImportResult, error)) (res *connect.ImportResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "portal: an import panicked", "client", a.Client, "panic", p, "stack", string(debug.Stack()))
			res, err = nil, connect.Errorf(connect.Internal, "the import failed unexpectedly; nothing was imported")
		}
	}()
	return run()
}
