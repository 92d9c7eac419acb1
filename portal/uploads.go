package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/disk"
)

// uploadTTL is how long an uploaded spreadsheet is kept for the import's steps.
const uploadTTL = time.Hour

// uploads keeps uploaded spreadsheets between the steps of an import (mapping,
// preview, import, refused rows), each for its owner only. An upload of the
// import pages is shared (uploads_shared.go): its file, its settings, the rows
// refused and the import's progress are blobs (Config.Blobs), so any process
// can take the next step; each process reads the file from a working copy on
// its own disk, made from the blob when it first needs it. An upload of a
// single request (the API's, a stop import) stays on this process's disk.
type uploads struct {
	dir   string // this process's working copies
	blobs connect.Blobs
	once  Once
	log   *slog.Logger
	now   func() time.Time
	quota int64 // bytes on disk per client (Config.UploadQuota), counted per process
	mu    sync.Mutex
	m     map[string]*upload // this process's working copies and imports
	used  map[string]int64   // bytes on disk by quotaKey
	swept time.Time          // when expired blobs were last deleted
}

func newUploads(parent string, quota int64, blobs connect.Blobs, once Once, log *slog.Logger, now func() time.Time) (*uploads, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	// Directories of earlier processes are left over once untouched for longer
	// than an upload lives: every file in them was made before, so has expired
	// (a process creates a file in its directory with each upload and spill). A
	// process sharing the parent and still running keeps its own.
	old, _ := filepath.Glob(filepath.Join(parent, "connect-uploads-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && now().Sub(fi.ModTime()) > uploadTTL {
			os.RemoveAll(dir)
		}
	}
	dir, err := os.MkdirTemp(parent, "connect-uploads-")
	if err != nil {
		return nil, err
	}
	if blobs == nil {
		// One process, or several sharing UploadDir.
		if blobs, err = disk.New(filepath.Join(parent, "connect-blobs")); err != nil {
			return nil, err
		}
	}
	if once == nil {
		once = &localOnce{used: map[string]time.Time{}}
	}
	return &uploads{dir: dir, blobs: blobs, once: once, log: log, now: now, quota: quota, m: map[string]*upload{},
		used: map[string]int64{}}, nil
}

// upload is one uploaded spreadsheet and the import made of it. For a shared
// upload, the fields from Owner to Job are a copy of its settings blob, read
// again by every uploads.get.
type upload struct {
	ID      string
	Owner   connect.Actor
	Path    string // the working copy on this process's disk
	Name    string
	Size    int64
	Created time.Time
	Stops   bool // a dispatcher's stop import
	shared  bool // its file and settings are blobs
	// bulk names the bulk action of a job without a file (bulkJob): "submit",
	// "withdraw" or "delete".
	bulk string
	// export names the export a job without a file makes (exportJob):
	// "proofs".
	export string

	mu           sync.Mutex
	Override     map[string]connect.Field
	AllOrNothing bool
	// Sheets are the workbook's sheets chosen to read (none: the default), and
	// SkipHidden whether to leave out hidden rows.
	Sheets      []string
	SkipHidden  bool
	previewRead int // rows the latest preview read (the progress bar's total)
	header      []string
	delimiter   rune // the file's, for the file of refused rows
	started     bool // an import of it has started, in some process
	// job is the import running (or run) in this process.
	job   *importJob
	fetch sync.Mutex // one copy of the file from its blob at a time
	disk  int64      // bytes on disk charged to the owner (guarded by uploads.mu)
}

// owns reports whether the actor uploaded the file.
func (u *upload) owns(a connect.Actor) bool {
	return u.Owner.Kind == a.Kind && u.Owner.Account == a.Account && u.Owner.Client == a.Client &&
		u.Owner.Member == a.Member && u.Owner.APIKey == a.APIKey && u.Owner.User == a.User
}

// open opens the file for reading: the working copy on this process's disk,
// made from the upload's blob first when this process has none.
func (us *uploads) open(ctx context.Context, u *upload) (*os.File, error) {
	u.fetch.Lock()
	defer u.fetch.Unlock()
	f, err := os.Open(u.Path)
	if err == nil || !u.shared || !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return nil, connect.Errorf(connect.NotFound, "the uploaded file is gone; upload it again")
		}
		return f, nil
	}
	if err := us.copyFromBlob(ctx, u); err != nil {
		return nil, err
	}
	if f, err = os.Open(u.Path); err != nil {
		return nil, connect.Errorf(connect.NotFound, "the uploaded file is gone; upload it again")
	}
	return f, nil
}

// sweep deletes expired uploads: this process's working copies, and now and
// then every process's blobs.
func (us *uploads) sweep(ctx context.Context) {
	us.mu.Lock()
	var expired []*upload
	for _, u := range us.m {
		if us.now().Sub(u.Created) > uploadTTL {
			expired = append(expired, u)
		}
	}
	sweepBlobs := us.now().Sub(us.swept) > time.Minute
	if sweepBlobs {
		us.swept = us.now()
	}
	us.mu.Unlock()
	for _, u := range expired {
		us.forget(u)
	}
	if sweepBlobs {
		us.sweepBlobs(ctx)
	}
}

// forget deletes this process's files of an upload (its working copy and
// spilled refused rows), giving their bytes back to the owner's quota.
func (us *uploads) forget(u *upload) {
	us.mu.Lock()
	delete(us.m, u.ID)
	us.mu.Unlock()
	files, _ := filepath.Glob(u.Path + ".*")
	for _, f := range append(files, u.Path) {
		us.removeFile(u, f)
	}
}

// remove deletes an upload everywhere: its blobs and this process's files.
func (us *uploads) remove(ctx context.Context, u *upload) {
	us.forget(u)
	if u.shared {
		us.deleteBlobs(ctx, u)
	}
}

// save stores the request's spreadsheet: the "file" part of a multipart form, or
// the raw body (name from ?filename=). It returns the other form fields too.
func (us *uploads) save(r *http.Request, owner connect.Actor) (*upload, map[string]string, error) {
	us.sweep(r.Context())
	fields := map[string]string{}
	var src io.Reader
	name := r.URL.Query().Get("filename")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var mr *multipart.Reader
	if ct == "multipart/form-data" {
		var err error
		if mr, err = r.MultipartReader(); err != nil {
			return nil, nil, connect.Errorf(connect.Invalid, "the upload is not a valid form: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, uploadError(err)
			}
			if part.FormName() == "file" {
				name, src = part.FileName(), part
				break
			}
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return nil, nil, uploadError(err)
			}
			fields[part.FormName()] = string(v)
		}
	} else {
		src = r.Body
	}
	if src == nil {
		return nil, fields, connect.Errorf(connect.Invalid, "choose a spreadsheet to upload")
	}
	id := newID()
	u := &upload{ID: id, Owner: owner, Path: us.path(id), Created: us.now()}
	f, err := os.OpenFile(u.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, connect.Errorf(connect.Internal, "storing the upload: %w", err)
	}
	// Charged to the owner's quota as it is written: an upload over it stops there.
	n, err := io.Copy(&chargedWriter{w: f, us: us, u: u}, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		us.removeFile(u, u.Path)
		return nil, nil, uploadError(err)
	}
	if n == 0 {
		us.removeFile(u, u.Path)
		return nil, fields, connect.Errorf(connect.Invalid, "the file is empty")
	}
	// Fields after the file (the browser sends them in form order).
	if mr != nil {
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			v, _ := io.ReadAll(io.LimitReader(part, 64<<10))
			fields[part.FormName()] = string(v)
		}
	}
	u.Name, u.Size = filepath.Base(strings.ReplaceAll(name, "\\", "/")), n
	us.mu.Lock()
	us.m[id] = u
	us.mu.Unlock()
	return u, fields, nil
}

// path returns where the working copy of upload id is on this process's disk.
func (us *uploads) path(id string) string { return filepath.Join(us.dir, id) }

func uploadError(err error) error {
	var tl tooLarge
	if errors.As(err, &tl) {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return connect.Errorf(connect.Invalid, "the file is larger than %d MB", maxUploadBytes>>20)
	}
	return connect.Errorf(connect.Invalid, "the upload was interrupted: %v", err)
}

// newID returns a random id for uploads.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// importJob is an import running in the background, so that its page can show a
// progress bar (fed by the import's Progress callback) and survive a reload.
type importJob struct {
	mu       sync.Mutex
	total    int // rows in the file (from the preview), 0 when unknown
	progress connect.ImportProgress
	result   *connect.ImportResult
	bulk     *connect.BulkResult // a bulk action's outcome
	export   *proofZipOutcome    // an export's
	err      error
	finished bool
	changed  chan struct{} // closed and replaced at every change
}

func newImportJob(total int) *importJob {
	return &importJob{total: total, changed: make(chan struct{})}
}

func (j *importJob) update(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
	close(j.changed)
	j.changed = make(chan struct{})
}

// progressed records the import's progress (ImportOptions.Progress).
func (j *importJob) progressed(p connect.ImportProgress) { j.update(func() { j.progress = p }) }

// finish records the import's outcome.
func (j *importJob) finish(res *connect.ImportResult, err error) {
	j.update(func() {
		j.result, j.err, j.finished = res, err, true
		if res != nil {
			j.progress = connect.ImportProgress{Read: res.Read, Stored: res.Imported}
		}
	})
}

// bulkProgressed records a bulk action's progress (BulkOptions.Progress):
// orders dealt with as read and stored.
func (j *importJob) bulkProgressed(done, total int) {
	j.update(func() { j.total, j.progress = total, connect.ImportProgress{Read: done, Stored: done} })
}

// bulkFinished records a bulk action's outcome.
func (j *importJob) bulkFinished(res *connect.BulkResult, err error) {
	j.update(func() { j.bulk, j.err, j.finished = res, err, true })
}

// exportProgressed records the orders an export has read.
func (j *importJob) exportProgressed(read int) {
	j.update(func() {
		j.progress = connect.ImportProgress{Read: read, Stored: read}
		if j.total > 0 && read > j.total {
			j.total = read // the estimate was short
		}
	})
}

// exportFinished records an export's outcome.
func (j *importJob) exportFinished(out *proofZipOutcome, err error) {
	j.update(func() { j.export, j.err, j.finished = out, err, true })
}

// jobState is what the progress bar shows.
type jobState struct {
	Total    int    `json:"total"`
	Read     int    `json:"read"`
	Stored   int    `json:"stored"`
	Finished bool   `json:"finished"`
	Error    string `json:"error,omitempty"`
	Result   string `json:"result,omitempty"` // the result page, once finished
}

// state returns the job's state and a channel closed at its next change.
func (j *importJob) state() (jobState, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := jobState{Total: j.total, Read: j.progress.Read, Stored: j.progress.Stored, Finished: j.finished}
	if j.err != nil {
		st.Error = message(j.err)
	}
	return st, j.changed
}
