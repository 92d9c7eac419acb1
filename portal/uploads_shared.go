package portal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
)

// An upload of the import pages is shared by every process serving the portal
// through Config.Blobs, under "uploads/<account>/<client>/<id>/":
//
//	file            the spreadsheet as uploaded
//	settings        JSON of uploadSettings: owner, mapping, sheets, and so on,
//	                written at every change and read by every request
//	preview-refused the rows the latest preview refused (gzip of gob, as spilled)
//	import-refused  the rows the import refused, once it has finished
//	progress        JSON of jobRecord: the import's progress, then its result
//
// The import itself runs in the process that started it (claimed through
// Config.Once, so a double click reaching two processes imports once); the
// others follow its progress blob. Its transaction commits or rolls back as a
// whole, so an import whose process went away imported nothing.

// Once claims keys across every process serving the portal. storage.Store is
// one (a row per key in the database).
type Once interface {
	// UseOnce records key as used until expires: the first call succeeds; any
	// other before then fails with connect.ErrConflict.
	UseOnce(ctx context.Context, key string, expires time.Time) error
}

// localOnce is Once within one process: the default.
type localOnce struct {
	mu   sync.Mutex
	used map[string]time.Time
}

func (o *localOnce) UseOnce(_ context.Context, key string, expires time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	for k, exp := range o.used {
		if !exp.After(now) {
			delete(o.used, k)
		}
	}
	if _, used := o.used[key]; used {
		return connect.Errorf(connect.Conflict, "portal: %s is already used", key)
	}
	o.used[key] = expires
	return nil
}

// progressPoll is how often a process following an import that runs in
// another process reads its progress blob; progressBeat how often the process
// running it writes the blob when nothing changed, and progressStale how old
// the blob of an unfinished import may be before the import is taken for gone
// with its process.
const (
	progressPoll  = 500 * time.Millisecond
	progressEvery = time.Second
	progressBeat  = 20 * time.Second
	progressStale = 2 * time.Minute
)

// Names of an upload's blobs under its prefix.
const (
	blobFile           = "file"
	blobSettings       = "settings"
	blobPreviewRefused = "preview-refused"
	blobImportRefused  = "import-refused"
	blobProgress       = "progress"
	blobExport         = "export"
)

var uploadBlobs = []string{blobFile, blobSettings, blobPreviewRefused, blobImportRefused, blobProgress, blobExport}

// uploadsRoot is the key prefix of every upload's blobs.
const uploadsRoot = "uploads/"

// blobSegment writes an account or client id as a key segment (ids are the
// host's and may hold any character); "-" for none.
func blobSegment(id string) string {
	if id == "" {
		return "-"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// uploadPrefix is where the blobs of the actor's upload id are: under the
// actor's account and client, so that one tenant's key never names another's.
func uploadPrefix(a connect.Actor, id string) string {
	return uploadsRoot + blobSegment(string(a.Account)) + "/" + blobSegment(string(a.Client)) + "/" + id + "/"
}

// validUploadID reports whether id is one newID could have made.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// uploadSettings is an upload's settings blob.
type uploadSettings struct {
	Owner        uploadOwner              `json:"owner"`
	Name         string                   `json:"name"`
	Size         int64                    `json:"size"`
	Created      time.Time                `json:"created"`
	Stops        bool                     `json:"stops,omitempty"`
	Override     map[string]connect.Field `json:"override,omitempty"`
	AllOrNothing bool                     `json:"all_or_nothing,omitempty"`
	Sheets       []string                 `json:"sheets,omitempty"`
	SkipHidden   bool                     `json:"skip_hidden,omitempty"`
	PreviewRead  int                      `json:"preview_read,omitempty"`
	Header       []string                 `json:"header,omitempty"`
	Delimiter    rune                     `json:"delimiter,omitempty"`
	Started      bool                     `json:"started,omitempty"`
	// Bulk names the bulk action ("submit", "withdraw", "delete") of a job
	// that acts on the orders a list's filter selects, rather than importing.
	Bulk string `json:"bulk,omitempty"`
	// Export names the export ("proofs") of a job that writes a file.
	Export string `json:"export,omitempty"`
}

// uploadOwner is who may take an upload's steps: what upload.owns compares.
type uploadOwner struct {
	Kind    connect.ActorKind `json:"kind"`
	Account connect.AccountID `json:"account"`
	Client  connect.ClientID  `json:"client,omitempty"`
	Member  connect.MemberID  `json:"member,omitempty"`
	APIKey  connect.APIKeyID  `json:"api_key,omitempty"`
	User    string            `json:"user,omitempty"`
}

func (o uploadOwner) actor() connect.Actor {
	return connect.Actor{Kind: o.Kind, Account: o.Account, Client: o.Client, Member: o.Member, APIKey: o.APIKey, User: o.User}
}

// prefix returns where the upload's blobs are.
func (u *upload) prefix() string { return uploadPrefix(u.Owner, u.ID) }

// share makes a saved upload one every process can take the next step of: its
// file and settings become blobs.
func (us *uploads) share(ctx context.Context, u *upload) error {
	f, err := os.Open(u.Path)
	if err != nil {
		return connect.Errorf(connect.NotFound, "the uploaded file is gone; upload it again")
	}
	defer f.Close()
	if _, err := us.blobs.PutBlob(ctx, u.prefix()+blobFile, f); err != nil {
		return connect.Errorf(connect.ErrorCode(err), "storing the upload: %w", err)
	}
	u.shared = true
	return us.saveSettings(ctx, u)
}

// job registers a shared upload without a file, for an import whose rows come
// from elsewhere (a Shopify bulk import): it gets the progress, result and
// refused rows pages of a spreadsheet's import, for its owner only, as long as
// an upload lives, through every process.
func (us *uploads) job(ctx context.Context, owner connect.Actor, name string) (*upload, error) {
	id := newID()
	return us.register(ctx, &upload{ID: id, Owner: owner, Path: us.path(id), Name: name, Created: us.now(), shared: true,
		header: []string{"Shopify order"}, delimiter: ',', started: true})
}

// bulkJob registers a shared upload without a file for a bulk action (bulk.go),
// so that it gets the import's progress page, through every process.
func (us *uploads) bulkJob(ctx context.Context, owner connect.Actor, action, name string) (*upload, error) {
	id := newID()
	return us.register(ctx, &upload{ID: id, Owner: owner, Path: us.path(id), Name: name, Created: us.now(), shared: true,
		started: true, bulk: action})
}

// exportJob registers a shared upload without a file for an export, which
// writes its file as the upload's blobExport, so that it gets the import's
// progress page and any process serves the file.
func (us *uploads) exportJob(ctx context.Context, owner connect.Actor, export, name string) (*upload, error) {
	id := newID()
	return us.register(ctx, &upload{ID: id, Owner: owner, Path: us.path(id), Name: name, Created: us.now(), shared: true,
		started: true, export: export})
}

// register keeps a new job's settings for every process and this process's
// registry.
func (us *uploads) register(ctx context.Context, u *upload) (*upload, error) {
	us.sweep(ctx)
	id := u.ID
	if err := us.saveSettings(ctx, u); err != nil {
		return nil, err
	}
	us.mu.Lock()
	us.m[id] = u
	us.mu.Unlock()
	return u, nil
}

// saveSettings writes the upload's settings blob (a shared upload's only).
func (us *uploads) saveSettings(ctx context.Context, u *upload) error {
	if !u.shared {
		return nil
	}
	u.mu.Lock()
	o := u.Owner
	st := uploadSettings{Owner: uploadOwner{Kind: o.Kind, Account: o.Account, Client: o.Client, Member: o.Member,
		APIKey: o.APIKey, User: o.User}, Name: u.Name, Size: u.Size, Created: u.Created, Stops: u.Stops,
		Override: u.Override, AllOrNothing: u.AllOrNothing, Sheets: u.Sheets, SkipHidden: u.SkipHidden,
		PreviewRead: u.previewRead, Header: u.header, Delimiter: u.delimiter, Started: u.started, Bulk: u.bulk, Export: u.export}
	u.mu.Unlock()
	return us.putJSON(ctx, u.prefix()+blobSettings, st)
}

func (us *uploads) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return connect.Errorf(connect.Internal, "portal: %s: %w", key, err)
	}
	if _, err := us.blobs.PutBlob(ctx, key, bytes.NewReader(b)); err != nil {
		return connect.Errorf(connect.ErrorCode(err), "keeping the import's state: %w", err)
	}
	return nil
}

// getJSON reads a JSON blob into v. Errors: ErrNotFound when there is none.
// Another process may replace the blob while it is read (the settings of an
// import started by a double click that reached two processes): a Blobs
// adapter then fails the read with ErrConflict, and it is read again.
func (us *uploads) getJSON(ctx context.Context, key string, v any) error {
	var err error
	for range 5 {
		if err = us.readJSON(ctx, key, v); !errors.Is(err, connect.ErrConflict) {
			return err
		}
	}
	return err
}

func (us *uploads) readJSON(ctx context.Context, key string, v any) error {
	rc, _, err := us.blobs.OpenBlob(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v); err != nil {
		return connect.Errorf(connect.Internal, "portal: reading %s: %w", key, err)
	}
	return nil
}

// errNoUpload answers an upload that is not the actor's, expired, or unknown.
func errNoUpload() error {
	return connect.Errorf(connect.NotFound, "no such upload; it may have expired, upload the file again")
}

// get returns an upload of the actor, with its settings as last saved by any
// process. Errors: ErrNotFound (also for another's).
func (us *uploads) get(ctx context.Context, id string, a connect.Actor) (*upload, error) {
	if !validUploadID(id) {
		return nil, errNoUpload()
	}
	us.mu.Lock()
	u := us.m[id]
	us.mu.Unlock()
	if u != nil && !u.shared {
		if !u.owns(a) || us.now().Sub(u.Created) > uploadTTL {
			return nil, errNoUpload()
		}
		return u, nil
	}
	var st uploadSettings
	switch err := us.getJSON(ctx, uploadPrefix(a, id)+blobSettings, &st); {
	case errors.Is(err, connect.ErrNotFound):
		return nil, errNoUpload()
	case err != nil:
		return nil, err
	}
	owner := st.Owner.actor()
	if u == nil {
		u = &upload{ID: id, Owner: owner, Path: us.path(id), Name: st.Name, Size: st.Size, Created: st.Created,
			Stops: st.Stops, bulk: st.Bulk, export: st.Export, shared: true}
	}
	if !u.owns(a) || us.now().Sub(u.Created) > uploadTTL {
		return nil, errNoUpload()
	}
	us.mu.Lock()
	if known := us.m[id]; known != nil {
		u = known
	} else {
		us.m[id] = u
	}
	us.mu.Unlock()
	u.mu.Lock()
	u.Override, u.AllOrNothing, u.Sheets, u.SkipHidden = st.Override, st.AllOrNothing, st.Sheets, st.SkipHidden
	u.previewRead, u.header, u.delimiter, u.started = st.PreviewRead, st.Header, st.Delimiter, u.started || st.Started
	u.mu.Unlock()
	return u, nil
}

// copyFromBlob makes this process's working copy of a shared upload's file
// (u.fetch held), charged to the owner's quota like an upload.
func (us *uploads) copyFromBlob(ctx context.Context, u *upload) error {
	tmp := u.Path + ".fetch"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return connect.Errorf(connect.Internal, "copying the upload: %w", err)
	}
	err = us.fetchBlob(ctx, u, blobFile, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = connect.Errorf(connect.Internal, "copying the upload: %w", cerr)
	}
	if err == nil {
		if rerr := os.Rename(tmp, u.Path); rerr != nil {
			err = connect.Errorf(connect.Internal, "copying the upload: %w", rerr)
		}
	}
	if err != nil {
		us.removeFile(u, tmp)
		if errors.Is(err, connect.ErrNotFound) {
			return connect.Errorf(connect.NotFound, "the uploaded file is gone; upload it again")
		}
		return err
	}
	return nil
}

// fetchBlob copies u's blob name into f, charged to the owner's quota. A blob
// replaced by another process while it is read (ErrConflict from the Blobs) is
// read again from the start, so f holds one whole version. Errors: ErrNotFound;
// tooLarge past the quota.
func (us *uploads) fetchBlob(ctx context.Context, u *upload, name string, f *os.File) error {
	var err error
	for range 5 {
		if _, err = f.Seek(0, io.SeekStart); err == nil {
			err = f.Truncate(0)
		}
		if err != nil {
			return connect.Errorf(connect.Internal, "copying %s: %w", name, err)
		}
		var rc io.ReadCloser
		if rc, _, err = us.blobs.OpenBlob(ctx, u.prefix()+name); err != nil {
			if errors.Is(err, connect.ErrConflict) {
				continue
			}
			return err
		}
		cw := &chargedWriter{w: f, us: us, u: u}
		_, err = io.Copy(cw, rc)
		rc.Close()
		if !errors.Is(err, connect.ErrConflict) {
			break
		}
		us.release(u, cw.n) // what this attempt wrote is truncated away
	}
	var tl tooLarge
	if err != nil && !errors.As(err, &tl) && connect.ErrorCode(err) == connect.Internal {
		return connect.Errorf(connect.Internal, "copying %s: %w", name, err)
	}
	return err
}

// shareRefused stores a closed spill of refused rows as the upload's blob name
// and deletes the spill's file.
func (us *uploads) shareRefused(ctx context.Context, u *upload, sp *spill, name string) error {
	defer us.removeFile(u, sp.path)
	f, err := os.Open(sp.path)
	if err != nil {
		return connect.Errorf(connect.Internal, "keeping the refused rows: %w", err)
	}
	defer f.Close()
	if _, err := us.blobs.PutBlob(ctx, u.prefix()+name, f); err != nil {
		return connect.Errorf(connect.ErrorCode(err), "keeping the refused rows: %w", err)
	}
	return nil
}

// deleteBlobs deletes a shared upload's blobs.
func (us *uploads) deleteBlobs(ctx context.Context, u *upload) {
	for _, name := range uploadBlobs {
		if err := us.blobs.DeleteBlob(ctx, u.prefix()+name); err != nil {
			us.log.WarnContext(ctx, "portal: deleting an upload", "key", u.prefix()+name, "err", err)
		}
	}
}

// sweepBlobs deletes the blobs of every process's expired uploads.
func (us *uploads) sweepBlobs(ctx context.Context) {
	if _, err := us.blobs.DeleteBlobsBefore(ctx, uploadsRoot, us.now().Add(-uploadTTL-time.Minute)); err != nil {
		us.log.WarnContext(ctx, "portal: deleting expired uploads", "err", err)
	}
}

// jobRecord is an import's (or a bulk action's) progress blob.
type jobRecord struct {
	Total    int                   `json:"total"`
	Read     int                   `json:"read"`
	Stored   int                   `json:"stored"`
	Finished bool                  `json:"finished,omitempty"`
	Code     connect.Code          `json:"code,omitempty"`
	Error    string                `json:"error,omitempty"`
	Result   *connect.ImportResult `json:"result,omitempty"`
	Bulk     *connect.BulkResult   `json:"bulk,omitempty"`
	Export   *proofZipOutcome      `json:"export,omitempty"`
	Updated  time.Time             `json:"updated"`
}

// jobShare writes an import's progress blob for the other processes: at most
// once a second while it runs, every progressBeat even when nothing changed
// (so they can tell it is alive), then its outcome, which no late progress
// overwrites.
type jobShare struct {
	us    *uploads
	u     *upload
	job   *importJob
	done  chan struct{}
	mu    sync.Mutex // held while writing; one write at a time, in order
	final bool
}

// shareProgress starts writing the job's progress blob until finished is called.
func (us *uploads) shareProgress(ctx context.Context, u *upload, job *importJob) *jobShare {
	p := &jobShare{us: us, u: u, job: job, done: make(chan struct{})}
	p.write(ctx, false)
	go p.run(ctx)
	return p
}

func (p *jobShare) run(ctx context.Context) {
	defer func() {
		// A blob store's panic must not take the host's process down.
		if r := recover(); r != nil {
			p.us.log.ErrorContext(ctx, "portal: sharing an import's progress panicked", "panic", r)
		}
	}()
	beat := time.NewTicker(progressBeat)
	defer beat.Stop()
	for {
		_, changed := p.job.state()
		select {
		case <-changed:
		case <-beat.C:
		case <-p.done:
			return
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(progressEvery):
		case <-p.done:
			return
		case <-ctx.Done():
			return
		}
		p.write(ctx, false)
	}
}

// finished writes the job's outcome, once it has one (importJob.finish).
func (p *jobShare) finished(ctx context.Context) {
	close(p.done)
	p.write(ctx, true)
}

func (p *jobShare) write(ctx context.Context, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.final {
		return
	}
	p.final = final
	p.job.mu.Lock()
	rec := jobRecord{Total: p.job.total, Read: p.job.progress.Read, Stored: p.job.progress.Stored, Finished: p.job.finished,
		Result: p.job.result, Bulk: p.job.bulk, Export: p.job.export, Updated: p.us.now()}
	if p.job.err != nil {
		rec.Code, rec.Error = connect.ErrorCode(p.job.err), message(p.job.err)
	}
	p.job.mu.Unlock()
	if err := p.us.putJSON(ctx, p.u.prefix()+blobProgress, rec); err != nil {
		p.us.log.WarnContext(ctx, "portal: sharing an import's progress", "upload", p.u.ID, "err", err)
	}
}

// followJob returns the import of u as the process running it last wrote it:
// a snapshot whose changed channel closes when it is worth reading again.
// Errors: ErrNotFound when it has not started.
func (us *uploads) followJob(ctx context.Context, u *upload) (*importJob, error) {
	var rec jobRecord
	if err := us.getJSON(ctx, u.prefix()+blobProgress, &rec); err != nil {
		if errors.Is(err, connect.ErrNotFound) {
			return nil, connect.Errorf(connect.NotFound, "this import has not started")
		}
		return nil, err
	}
	j := newImportJob(rec.Total)
	j.progress = connect.ImportProgress{Read: rec.Read, Stored: rec.Stored}
	j.finished, j.result, j.bulk, j.export = rec.Finished, rec.Result, rec.Bulk, rec.Export
	if rec.Error != "" {
		j.err = connect.Errorf(rec.Code, "%s", rec.Error)
	}
	if !rec.Finished && us.now().Sub(rec.Updated) > progressStale {
		j.finished = true
		j.err = connect.Errorf(connect.Unavailable,
			"the import stopped before it finished: the server running it went away. Nothing was imported; upload the file again")
		switch {
		case u.export != "":
			j.err = connect.Errorf(connect.Unavailable,
				"the export stopped before it finished: the server making it went away. Export again")
		case u.bulk != "":
			// Its batches committed as they went.
			j.err = connect.Errorf(connect.Unavailable,
				"this stopped before it finished: the server running it went away. What it did until then is done; run it again for the rest")
		}
	}
	changed := make(chan struct{})
	time.AfterFunc(progressPoll, func() { close(changed) })
	j.changed = changed
	return j, nil
}
