package s3_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dispatchkit/connect/s3"
)

// fakeS3 is an S3 endpoint in this process: gofakes3 on its in-memory backend,
// behind a handler that adds what gofakes3 leaves out of S3's documented
// behaviour and can fail requests the way S3 does:
//   - LastModified is kept to the second (S3 lists "…T12:00:00.000Z");
//   - a GET with If-Match answers 412 PreconditionFailed unless the object's
//     ETag is the one given (gofakes3 honours If-Match on PUT only);
//   - fault, when set, may answer a request itself (503 SlowDown, 500
//     InternalError, a body cut short) before gofakes3 sees it.
type fakeS3 struct {
	inner   http.Handler
	backend *s3mem.Backend
	srv     *httptest.Server

	mu       sync.Mutex
	fault    func(w http.ResponseWriter, r *http.Request) bool
	requests []string // "PUT /bucket/key?partNumber=1", in order
}

// secondClock is S3's clock as listings show it: whole seconds.
type secondClock struct{}

func (secondClock) Now() time.Time                  { return time.Now().UTC().Truncate(time.Second) }
func (secondClock) Since(t time.Time) time.Duration { return time.Since(t) }

const testBucket = "dispatch-files"

// newFake starts a fake S3 with the bucket testBucket.
func newFake(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New(s3mem.WithTimeSource(secondClock{}))}
	f.inner = gofakes3.New(f.backend, gofakes3.WithTimeSource(secondClock{})).Server()
	if err := f.backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+query(r.URL))
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if etag := r.Header.Get("If-Match"); r.Method == http.MethodGet && etag != "" {
		head := httptest.NewRecorder()
		f.inner.ServeHTTP(head, httptest.NewRequestWithContext(r.Context(), http.MethodHead, r.URL.String(), nil))
		if head.Code == http.StatusOK && head.Header().Get("ETag") != etag { // a missing one is 404 NoSuchKey, as without If-Match
			s3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
	}
	f.inner.ServeHTTP(w, r)
}

// query is the part of a request's query that says what it does.
func query(u *url.URL) string {
	q := u.Query()
	for _, k := range []string{"partNumber", "uploads", "uploadId", "delete"} {
		if q.Has(k) {
			return "?" + k
		}
	}
	return ""
}

// setFault makes fault see every request from now on (nil: none).
func (f *fakeS3) setFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// seen returns the requests so far and forgets them.
func (f *fakeS3) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.requests
	f.requests = nil
	return s
}

// s3Error answers as S3 does when it refuses a request.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
}

// client returns a minio client of the fake that tries a request at most
// tries times (1: no retries).
func (f *fakeS3) client(t *testing.T, tries int) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(f.srv.URL, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   tries,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// blobs returns the adapter on the fake, with the smallest part size S3
// allows so that a few megabytes make a multipart upload.
func (f *fakeS3) blobs(t *testing.T, cfg s3.Config) *s3.Blobs {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = f.client(t, 3)
	}
	if cfg.Bucket == "" {
		cfg.Bucket = testBucket
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = s3.MinPartSize
	}
	b, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// incomplete returns the keys of the multipart uploads under way in the bucket.
func (f *fakeS3) incomplete(t *testing.T) []string {
	t.Helper()
	var keys []string
	for u := range f.client(t, 1).ListIncompleteUploads(context.Background(), testBucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		keys = append(keys, u.Key)
	}
	return keys
}
