package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ImportSource is a spreadsheet (or any other list of orders) read a row at a time,
// with its columns already mapped to order fields. Package importer provides one for
// CSV and XLSX files.
type ImportSource interface {
	// Header returns the file's column names as written.
	Header() []string
	// Column returns the name of the column mapped to field f, "" when none is.
	Column(f Field) string
	// Next returns the next row, io.EOF after the last. Any other error means the
	// file cannot be read on (a limit, a broken file): the import stops and stores
	// nothing.
	Next(ctx context.Context) (ImportRow, error)
}

// ImportRow is one row of an ImportSource.
type ImportRow struct {
	Number int      // the row number the user's spreadsheet shows
	Sheet  string   // the row's sheet, when a workbook's sheets are imported together
	Cells  []string // the row as read, for the file of refused rows
	Input  OrderInput
	// ClientNumber is the row's "Client ID" column, as written, in a dispatcher's
	// stop import ("" otherwise): the client the stop is for.
	ClientNumber string
	// Problems lists values that could not be read (a size that is not a number, a
	// stop type that is neither delivery nor pickup), with their columns.
	Problems []FieldError
	// Warnings lists what the user should know about values that were read (a
	// formula without a result, a long number shown in scientific notation); they
	// do not refuse the row.
	Warnings []FieldError
}

// ImportOptions tunes an import.
type ImportOptions struct {
	// AllOrNothing refuses the whole file if any row is refused.
	AllOrNothing bool
	// Source is recorded on the orders; "" means SourceSpreadsheet.
	Source Source
	// Name names the import in the list of imports (ImportRecord.Name): the
	// file's name as uploaded. Trimmed to one line of at most 200 characters.
	Name string
	// Progress, when set, is called as rows are read and stored (at least every
	// batch), so a UI can show a progress bar. It must not block for long.
	Progress func(ImportProgress)
	// PreviewRows is how many orders PreviewImport returns as they will be stored; 0
	// means 10.
	PreviewRows int
	// Sheets names the sheets of a workbook to import, in order; sheets with the
	// same header can be imported together. Empty: the source's choice (package
	// importer's: the first sheet whose header maps). The source must be a
	// SheetSelector.
	Sheets []string
	// SkipHiddenRows leaves out the rows a sheet hides (by hand, or by a filter).
	// By default they are imported, and a warning names them.
	SkipHiddenRows bool
	// Refused, when set, is given each refused row as it is found, instead of
	// ImportResult.RefusedRows keeping them all in memory (a caller spills them to
	// disk): a file of 200,000 refused rows holds as much text as the file. The
	// rows come in the order they are found: a duplicate found while storing
	// after rows read later. An error stops the import with it.
	Refused func(RefusedRow) error
	// MaxErrors, when above 0, bounds the problems ImportResult.Errors lists,
	// and the rows' warnings in ImportResult.Warnings, to the first MaxErrors of
	// each; MoreErrors and MoreWarnings count the rest.
	MaxErrors int
}

// ImportProgress says how far an import is.
type ImportProgress struct {
	Read   int `json:"read"`   // rows read so far
	Stored int `json:"stored"` // orders stored so far (in the import's transaction, not yet committed)
}

// ImportResult reports an import or its preview.
type ImportResult struct {
	Read       int `json:"read"`       // data rows read
	Imported   int `json:"imported"`   // orders stored as drafts (0 for a preview)
	Refused    int `json:"refused"`    // rows refused, duplicates included
	Duplicates int `json:"duplicates"` // rows refused because their Id is already used
	// Import is the record of an import that stored orders, which carry it
	// (Order.Import; ListOrdersParams.Import lists them); "" for a preview, or
	// an import that stored nothing.
	Import ImportID `json:"import,omitempty"`
	// Errors lists every problem, each with its row, column and field (the
	// first ImportOptions.MaxErrors, when set; MoreErrors counts the others).
	Errors     []FieldError `json:"errors,omitempty"`
	MoreErrors int          `json:"more_errors,omitempty"`
	// Warnings lists what the user should know about the file (sheets not
	// imported, rows skipped above the header, hidden rows and columns) and then
	// about rows that were read (each with its row, column and field). They refuse
	// nothing. With ImportOptions.MaxErrors, MoreWarnings counts the rows'
	// warnings past it.
	Warnings     []FieldError `json:"warnings,omitempty"`
	MoreWarnings int          `json:"more_warnings,omitempty"`
	// RefusedRows are the refused rows as read, with their problems, ready to be
	// written as a file to fix and upload again (none when ImportOptions.Refused
	// takes them).
	RefusedRows []RefusedRow `json:"refused_rows,omitempty"`
	// Preview holds the first rows as they would be stored (PreviewImport only).
	Preview []*Order `json:"preview,omitempty"`
}

// RefusedRow is a row that was not imported, and why.
type RefusedRow struct {
	Number int          `json:"number"`
	Sheet  string       `json:"sheet,omitempty"` // when a workbook's sheets are imported together
	Cells  []string     `json:"cells"`
	Errors []FieldError `json:"errors"`
}

// Reason joins the row's problems for people ("Zip is required; Size must be a number").
func (r RefusedRow) Reason() string {
	parts := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		e.Row = 0
		parts[i] = e.String()
	}
	return strings.Join(parts, "; ")
}

// PreviewImport reads the whole source without storing anything and reports what
// Import would do: counts, every row error with row and column, and the first rows as
// they would be stored. Errors: ErrForbidden (uploads off); ErrInvalid when the file
// cannot be read.
func (s *Service) PreviewImport(ctx context.Context, a Actor, src ImportSource, opts ImportOptions) (*ImportResult, error) {
	c, err := s.authorizeUploadRead(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.previewRows(ctx, c, src, opts, s.draftBuilder(c, opts.Source))
}

// previewRows reads src as an import with build would, storing nothing, and
// reports what it would do with its first opts.PreviewRows orders (10 when 0).
func (s *Service) previewRows(ctx context.Context, c caller, src ImportSource, opts ImportOptions, build rowBuilder) (*ImportResult, error) {
	n := opts.PreviewRows
	if n <= 0 {
		n = 10
	}
	res := &ImportResult{}
	var preview []*Order // written by the storing goroutine until readImport returns
	err := s.readImport(ctx, s.store, c, src, opts, res, build, func(batch []*Order) (int, error) {
		preview = append(preview, batch[:min(len(batch), n-len(preview))]...)
		return 0, nil // a preview stores nothing
	})
	res.Preview = preview
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Import stores the source's valid rows as drafts of the caller's client, in one
// transaction, and reports what it refused and why: rows missing a field the client's
// policy requires, rows with malformed values, and rows whose Id is already used (by
// an earlier import or earlier in the same file). With AllOrNothing, one refused row
// refuses the file. Errors: ErrForbidden (uploads off); ErrInvalid when the file
// cannot be read, or AllOrNothing and a row was refused (the result still says why).
func (s *Service) Import(ctx context.Context, a Actor, src ImportSource, opts ImportOptions) (res *ImportResult, err error) {
	ctx, span := s.tel.start(ctx, "connect.import")
	defer func(started time.Time) { s.tel.imported(ctx, span, "drafts", started, res, err) }(time.Now())
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	callerAttrs(span, c)
	res, err = s.importRows(ctx, c, src, opts, s.draftBuilder(c, opts.Source))
	if err == nil {
		s.log.InfoContext(ctx, "orders imported", "client", c.Actor.Client, "imported", res.Imported, "refused", res.Refused)
	}
	return res, err
}

// importRows reads src and stores what build makes of its rows, in one transaction.
func (s *Service) importRows(ctx context.Context, c caller, src ImportSource, opts ImportOptions, build rowBuilder) (*ImportResult, error) {
	res := &ImportResult{}
	id := ImportID(s.newID())
	err := s.store.Tx(ctx, func(tx Store) error {
		var first *Order
		err := s.readImport(ctx, tx, c, src, opts, res, build, func(batch []*Order) (int, error) {
			events := make([]OrderEvent, len(batch))
			for i, o := range batch {
				o.Import = id
				events[i] = s.createdEvent(c, o)
			}
			if first == nil && len(batch) > 0 {
				first = batch[0]
			}
			if err := tx.CreateOrders(ctx, c.scope(), batch, events); err != nil {
				return 0, err
			}
			if err := s.arrivedStops(ctx, tx, c.scope(), batch); err != nil { // a dispatcher's (drafts call for nothing)
				return 0, err
			}
			return len(batch), nil
		})
		if err != nil {
			return err
		}
		if opts.AllOrNothing && res.Refused > 0 {
			res.Imported = 0
			return errRefusedFile
		}
		if res.Imported == 0 {
			return nil // nothing to list: no record
		}
		return s.recordImport(ctx, tx, c, id, opts.Name, first, res)
	})
	if errors.Is(err, errRefusedFile) {
		e := InvalidFields(res.Errors)
		e.Message = "nothing was imported: " + e.Message
		return res, e
	}
	if err != nil {
		return nil, err
	}
	s.committed(c.scope())
	return res, nil
}

// errRefusedFile rolls back an all-or-nothing import with refused rows.
var errRefusedFile = Errorf(Invalid, "the file has refused rows")

// rowBuilder turns one normalised row into the order to store, or the problems
// that refuse it. Errors stop the import.
type rowBuilder func(ctx context.Context, row ImportRow, in OrderInput) (*Order, []FieldError, error)

// draftBuilder builds drafts of the caller's client, checked against its policy.
func (s *Service) draftBuilder(c caller, source Source) rowBuilder {
	if source == "" {
		source = SourceSpreadsheet
	}
	policy := c.client.Settings.RequiredFields
	return func(_ context.Context, row ImportRow, in OrderInput) (*Order, []FieldError, error) {
		if wholeRowProblem(row.Problems) {
			return nil, row.Problems, nil // the source said why; field checks would only add noise
		}
		problems := mergeProblems(row.Problems, policy.Check(in))
		if len(problems) > 0 {
			return nil, problems, nil
		}
		return s.newDraft(c, in, source), nil, nil
	}
}

// wholeRowProblem reports a problem about the row as a whole (a Shopify order that
// could not be read), rather than one of its fields.
func wholeRowProblem(problems []FieldError) bool {
	for _, p := range problems {
		if p.Field == "" {
			return true
		}
	}
	return false
}

// mergeProblems adds checks to what reading found, a field reported once: a value
// that could not be read is not also "required".
func mergeProblems(read, checks []FieldError) []FieldError {
	problems := append([]FieldError(nil), read...)
	for _, fe := range checks {
		if !hasField(problems, fe.Field) {
			problems = append(problems, fe)
		}
	}
	return problems
}

// rowPlace is where a row is: its number, and its sheet when several are read.
// (An import keeps one per Id it has read: it is small.)
type rowPlace struct {
	number int
	sheet  string
}

// duplicateReason says why a row whose Id is used is refused: used by the row
// first in this file (when its number is known) or already imported.
func duplicateReason(ref string, first rowPlace) string {
	switch {
	case first.number > 0 && first.sheet != "":
		return fmt.Sprintf("%q is a duplicate of row %d of sheet %q", ref, first.number, first.sheet)
	case first.number > 0:
		return fmt.Sprintf("%q is a duplicate of row %d", ref, first.number)
	}
	return fmt.Sprintf("%q was already imported", ref)
}

// refuse records a refused row with its problems, each located by row and
// column: in res, or given to opts.Refused.
func (s *Service) refuse(src ImportSource, res *ImportResult, opts ImportOptions, row ImportRow, problems []FieldError) error {
	locate(src, row, problems)
	res.Refused++
	res.Errors, res.MoreErrors = appendBounded(res.Errors, res.MoreErrors, opts.MaxErrors, problems)
	rr := RefusedRow{Number: row.Number, Sheet: row.Sheet, Cells: row.Cells, Errors: problems}
	if opts.Refused != nil {
		return opts.Refused(rr)
	}
	res.RefusedRows = append(res.RefusedRows, rr)
	return nil
}

// appendBounded appends more to list while it has fewer than limit (no limit
// when 0), counting the rest in over.
func appendBounded(list []FieldError, over, limit int, more []FieldError) ([]FieldError, int) {
	if limit <= 0 {
		return append(list, more...), over
	}
	n := min(len(more), max(limit-len(list), 0))
	return append(list, more[:n]...), over + len(more) - n
}

// locate puts the row's sheet and number, and each field's column, on errs.
func locate(src ImportSource, row ImportRow, errs []FieldError) {
	for i := range errs {
		errs[i].Sheet, errs[i].Row = row.Sheet, row.Number
		if errs[i].Column == "" && errs[i].Field != "" {
			errs[i].Column = src.Column(errs[i].Field)
		}
	}
}

func hasField(errs []FieldError, f Field) bool {
	for _, e := range errs {
		if e.Field == f {
			return true
		}
	}
	return false
}

// SaveImportMapping remembers the column mapping the caller's team used (header
// text as written → field; "" ignores a column), so the next import starts from it.
// Team members who may upload may. Errors: ErrForbidden; ErrInvalid.
func (s *Service) SaveImportMapping(ctx context.Context, a Actor, mapping map[string]Field) (*Client, error) {
	c, err := s.authorizeUpload(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(mapping) > 200 {
		return nil, Errorf(Invalid, "a mapping has at most 200 columns")
	}
	for header, f := range mapping {
		if f != "" && !f.Valid() && f != FieldClientNumber || len(header) > 200 {
			return nil, InvalidFields([]FieldError{{Column: header, Reason: fmt.Sprintf("%q is not an order field", f)}})
		}
	}
	return s.changeClient(ctx, c, c.Actor.Client, func(cl *Client) error {
		cl.ImportMapping = mapping
		return nil
	})
}
