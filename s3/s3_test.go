package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/s3"
)

func TestS3MeetsTheBlobsContract(t *testing.T) {
	f := newFake(t)
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs { return f.blobs(t, s3.Config{}) })
}

// TestS3MeetsTheBlobsContractUnderAPrefix: with a Prefix the blobs share a
// bucket with other things and touch none of them.
func TestS3MeetsTheBlobsContractUnderAPrefix(t *testing.T) {
	f := newFake(t)
	other := f.client(t, 1)
	if _, err := other.PutObject(t.Context(), testBucket, "suite/not-ours", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	connecttest.RunBlobs(t, func(t *testing.T) connect.Blobs { return f.blobs(t, s3.Config{Prefix: "connect/"}) })
	b := f.blobs(t, s3.Config{Prefix: "connect/"})
	if n, err := b.DeleteBlobsBefore(t.Context(), "suite/", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	} else if n == 0 {
		t.Fatal("DeleteBlobsBefore found none of the suite's blobs under the prefix")
	}
	var left []string
	for o := range other.ListObjectsIter(t.Context(), testBucket, minio.ListObjectsOptions{Recursive: true}) {
		left = append(left, o.Key)
	}
	if d := cmp.Diff([]string{"suite/not-ours"}, left); d != "" {
		t.Fatalf("objects left in the bucket (-want +got):\n%s", d)
	}
}

// TestNewSaysWhatIsWrong: a bad Config fails at New, not at the first upload.
func TestNewSaysWhatIsWrong(t *testing.T) {
	f := newFake(t)
	down := newFake(t)
	down.srv.Close()
	for _, tc := range []struct {
		name string
		cfg  s3.Config
		code connect.Code
		says string
	}{
		{"NoClient", s3.Config{Bucket: testBucket}, connect.Invalid, "Client is required"},
		{"NoBucket", s3.Config{Client: f.client(t, 1)}, connect.Invalid, "Bucket is required"},
		{"BadBucketName", s3.Config{Client: f.client(t, 1), Bucket: "Dispatch_Files"}, connect.Invalid, "Dispatch_Files"},
		{"BadPrefix", s3.Config{Client: f.client(t, 1), Bucket: testBucket, Prefix: "no-slash"}, connect.Invalid, "Prefix"},
		{"PartsUnderFiveMiB", s3.Config{Client: f.client(t, 1), Bucket: testBucket, PartSize: 1 << 20}, connect.Invalid, "5 MiB"},
		{"MissingBucket", s3.Config{Client: f.client(t, 1), Bucket: "nobody-made-it"}, connect.Invalid, "bucket nobody-made-it does not exist"},
		{"Unreachable", s3.Config{Client: down.client(t, 1), Bucket: testBucket}, connect.Unavailable, "cannot be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s3.New(t.Context(), tc.cfg)
			if connect.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("New: %v; want %s saying %q", err, tc.code, tc.says)
			}
		})
	}
}

// cut yields n bytes, then calls at (if set) and fails with err.
func cut(n int, at func(), err error) io.Reader {
	return io.MultiReader(bytes.NewReader(make([]byte, n)), readerFunc(func([]byte) (int, error) {
		if at != nil {
			at()
		}
		return 0, err
	}))
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestAPutCutAfterPartsLeavesNothing: a put whose reader fails, or whose
// context ends, after two parts went up stores nothing, keeps the blob before
// and leaves no multipart upload (S3 would keep and bill its parts).
func TestAPutCutAfterPartsLeavesNothing(t *testing.T) {
	f := newFake(t)
	b := f.blobs(t, s3.Config{})
	before := bytes.Repeat([]byte("v1"), 1000)
	if _, err := b.PutBlob(t.Context(), "proofs/a/1.jpg", bytes.NewReader(before)); err != nil {
		t.Fatal(err)
	}
	twoParts := 2*s3.MinPartSize + 1000
	for _, tc := range []struct {
		name string
		put  func(key string) error
		code connect.Code
	}{
		{"ReaderFails", func(key string) error {
			_, err := b.PutBlob(t.Context(), key, cut(twoParts, nil, errors.New("the client went away")))
			return err
		}, connect.Invalid},
		{"ContextEnds", func(key string) error {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := b.PutBlob(ctx, key, cut(twoParts, cancel, context.Canceled))
			return err
		}, connect.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, key := range []string{"proofs/a/1.jpg", "proofs/a/new.jpg"} {
				f.seen()
				if err := tc.put(key); connect.ErrorCode(err) != tc.code {
					t.Fatalf("the cut put of %s: %v, want %s", key, err, tc.code)
				}
				if parts := countOf(f.seen(), "PUT /"+testBucket+"/"+key+"?partNumber"); parts != 2 {
					t.Fatalf("%d parts went up before the cut, want 2 (the test cuts too early)", parts)
				}
			}
			if got, _ := read(t, b, "proofs/a/1.jpg"); !bytes.Equal(got, before) {
				t.Fatalf("the blob before the cut put has %d bytes, not its %d", len(got), len(before))
			}
			if _, _, err := b.OpenBlob(t.Context(), "proofs/a/new.jpg"); connect.ErrorCode(err) != connect.NotFound {
				t.Fatalf("a blob whose only put was cut opens: %v", err)
			}
			if left := f.incomplete(t); len(left) > 0 {
				t.Fatalf("multipart uploads left: %v", left)
			}
		})
	}
}

// TestAPutStreamsPartByPart: a blob of several parts goes up one part per
// request, never more than a part at once, and a small one in one PUT.
func TestAPutStreamsPartByPart(t *testing.T) {
	f := newFake(t)
	b := f.blobs(t, s3.Config{})
	f.seen()
	var (
		mu    sync.Mutex
		sizes []int64
	)
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			mu.Lock()
			sizes = append(sizes, r.ContentLength)
			mu.Unlock()
		}
		return false
	})
	n, err := b.PutBlob(t.Context(), "uploads/a/c/big.csv", cut(2*s3.MinPartSize+7, nil, io.EOF))
	if err != nil || n != 2*s3.MinPartSize+7 {
		t.Fatalf("PutBlob: %d, %v", n, err)
	}
	if _, err := b.PutBlob(t.Context(), "uploads/a/c/settings", strings.NewReader(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /dispatch-files/uploads/a/c/big.csv?uploads",
		"PUT /dispatch-files/uploads/a/c/big.csv?partNumber",
		"PUT /dispatch-files/uploads/a/c/big.csv?partNumber",
		"PUT /dispatch-files/uploads/a/c/big.csv?partNumber",
		"POST /dispatch-files/uploads/a/c/big.csv?uploadId",
		"PUT /dispatch-files/uploads/a/c/settings",
	}
	if d := cmp.Diff(want, f.seen()); d != "" {
		t.Fatalf("requests (-want +got):\n%s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff([]int64{s3.MinPartSize, s3.MinPartSize, 7, 7}, sizes); d != "" {
		t.Fatalf("request body sizes (-want +got):\n%s", d)
	}
}

// TestThrottlingAndServerErrorsAreUnavailable: S3 answers 503 SlowDown when
// a prefix takes too many requests, and 500 InternalError now and then; after
// minio-go's retries each operation fails with unavailable and says which
// blob.
func TestThrottlingAndServerErrorsAreUnavailable(t *testing.T) {
	for _, fail := range []struct {
		status int
		code   string
	}{{http.StatusServiceUnavailable, "SlowDown"}, {http.StatusInternalServerError, "InternalError"}} {
		t.Run(fail.code, func(t *testing.T) {
			f := newFake(t)
			b := f.blobs(t, s3.Config{Client: f.client(t, 2)})
			if _, err := b.PutBlob(t.Context(), "proofs/a/there.png", strings.NewReader("png")); err != nil {
				t.Fatal(err)
			}
			var failed atomic.Int32
			f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
				failed.Add(1)
				s3Error(w, fail.status, fail.code, "Please reduce your request rate.")
				return true
			})
			for _, op := range []struct {
				name, key string
				run       func(key string) error
			}{
				{"PutBlob", "proofs/a/new.png", func(k string) error {
					_, err := b.PutBlob(t.Context(), k, strings.NewReader("png"))
					return err
				}},
				{"PutBlobOfParts", "proofs/a/big.png", func(k string) error {
					_, err := b.PutBlob(t.Context(), k, cut(s3.MinPartSize+1, nil, io.EOF))
					return err
				}},
				{"OpenBlob", "proofs/a/there.png", func(k string) error {
					_, _, err := b.OpenBlob(t.Context(), k)
					return err
				}},
				{"DeleteBlob", "proofs/a/there.png", func(k string) error { return b.DeleteBlob(t.Context(), k) }},
				{"DeleteBlobsBefore", "proofs/a/", func(k string) error {
					_, err := b.DeleteBlobsBefore(t.Context(), k, time.Now())
					return err
				}},
			} {
				failed.Store(0)
				err := op.run(op.key)
				if connect.ErrorCode(err) != connect.Unavailable || !strings.Contains(err.Error(), op.key) || !strings.Contains(err.Error(), fail.code) {
					t.Errorf("%s: %v; want unavailable naming %s and %s", op.name, err, op.key, fail.code)
				}
				if n := failed.Load(); n != 2 {
					t.Errorf("%s: %d tries, want the client's 2", op.name, n)
				}
			}
		})
	}
}

// TestAPassingFailureIsRetried: a 500 InternalError that passes costs a
// retry, not the upload.
func TestAPassingFailureIsRetried(t *testing.T) {
	f := newFake(t)
	b := f.blobs(t, s3.Config{})
	var n atomic.Int32
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && n.Add(1) == 1 {
			s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return true
		}
		return false
	})
	want := []byte("signature")
	if _, err := b.PutBlob(t.Context(), "proofs/a/sig.png", bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, b, "proofs/a/sig.png"); !bytes.Equal(got, want) {
		t.Fatalf("read %q after a retried put, want %q", got, want)
	}
}

// TestRetriesStopWhenTheContextEnds: minio-go backs off and retries a
// throttled request up to its limit, but not past the caller's context.
func TestRetriesStopWhenTheContextEnds(t *testing.T) {
	f := newFake(t)
	b := f.blobs(t, s3.Config{Client: f.client(t, 50)})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var tries atomic.Int32
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if tries.Add(1) == 2 {
			cancel() // the request's caller gives up while S3 still throttles
		}
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return true
	})
	_, err := b.PutBlob(ctx, "proofs/a/slow.png", strings.NewReader("png"))
	if connect.ErrorCode(err) != connect.Unavailable || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "proofs/a/slow.png") {
		t.Fatalf("PutBlob: %v; want unavailable, canceled, naming the key", err)
	}
	if n := tries.Load(); n != 2 {
		t.Fatalf("%d tries, want none after the context ended at the second", n)
	}
}

// cutBody answers a GET of key with the first n bytes of the object, then
// breaks the connection, the way a network drops a long download.
func cutBody(f *fakeS3, key string, n int, then func()) func(w http.ResponseWriter, r *http.Request) bool {
	var once atomic.Bool
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/"+key) || !once.CompareAndSwap(false, true) {
			return false
		}
		f.inner.ServeHTTP(&cutWriter{ResponseWriter: w, left: n}, r)
		if then != nil {
			then()
		}
		panic(http.ErrAbortHandler) // the server drops the connection
	}
}

// cutWriter writes the first left bytes of a body and drops the rest.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	k := min(len(p), c.left)
	c.left -= k
	if _, err := c.ResponseWriter.Write(p[:k]); err != nil {
		return 0, err
	}
	if k > 0 {
		c.ResponseWriter.(http.Flusher).Flush()
	}
	return len(p), nil
}

// TestAReadCutByTheNetworkGoesOn: a download the network cuts goes on from
// where it stopped, with the same object (If-Match on its ETag); if the
// object was replaced or deleted meanwhile the read fails with conflict, the
// code the portal reads again on, rather than join two blobs.
func TestAReadCutByTheNetworkGoesOn(t *testing.T) {
	old := bytes.Repeat([]byte("old-"), 100_000)
	for _, tc := range []struct {
		name string
		then func(b connect.Blobs, key string)
		want connect.Code
	}{
		{"Unchanged", nil, ""},
		{"Replaced", func(b connect.Blobs, key string) {
			if _, err := b.PutBlob(context.Background(), key, bytes.NewReader(bytes.Repeat([]byte("new-"), 100_000))); err != nil {
				panic(err)
			}
		}, connect.Conflict},
		{"Deleted", func(b connect.Blobs, key string) {
			if err := b.DeleteBlob(context.Background(), key); err != nil {
				panic(err)
			}
		}, connect.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			b := f.blobs(t, s3.Config{})
			key := "uploads/a/c/u1/file"
			if _, err := b.PutBlob(t.Context(), key, bytes.NewReader(old)); err != nil {
				t.Fatal(err)
			}
			var then func()
			if tc.then != nil {
				then = func() { tc.then(b, key) }
			}
			f.setFault(cutBody(f, key, 150_000, then))
			rc, info, err := b.OpenBlob(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if code := connect.ErrorCode(err); code != tc.want {
				t.Fatalf("reading a cut download: %v, want %q", err, tc.want)
			}
			if err == nil && (!bytes.Equal(got, old) || info.Size != int64(len(old))) {
				t.Fatalf("read %d bytes (size %d), not the %d of the blob", len(got), info.Size, len(old))
			}
		})
	}
}

// TestDeleteBlobsBeforeGoesByWholeSeconds: S3 keeps LastModified to the
// second, so a blob listed at 12:00:00 may have been stored at 12:00:00.9:
// it is deleted only when its whole second is before the time.
func TestDeleteBlobsBeforeGoesByWholeSeconds(t *testing.T) {
	f := newFake(t)
	b := f.blobs(t, s3.Config{})
	if _, err := b.PutBlob(t.Context(), "uploads/a/c/u1/file", strings.NewReader("a,b")); err != nil {
		t.Fatal(err)
	}
	_, info := read(t, b, "uploads/a/c/u1/file")
	if !info.StoredAt.Equal(info.StoredAt.Truncate(time.Second)) {
		t.Fatalf("the fake keeps LastModified %v finer than S3's seconds", info.StoredAt)
	}
	for _, tc := range []struct {
		before time.Time
		want   int
	}{
		{info.StoredAt, 0},
		{info.StoredAt.Add(999 * time.Millisecond), 0},
		{info.StoredAt.Add(time.Second), 1},
	} {
		if n, err := b.DeleteBlobsBefore(t.Context(), "uploads/", tc.before); err != nil || n != tc.want {
			t.Fatalf("DeleteBlobsBefore %v for a blob of second %v: %d, %v; want %d", tc.before, info.StoredAt, n, err, tc.want)
		}
	}
}

// TestDeleteBlobsBeforeDeletesInBatches: S3 deletes at most 1000 keys per
// DeleteObjects request.
func TestDeleteBlobsBeforeDeletesInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("1001 puts")
	}
	f := newFake(t)
	b := f.blobs(t, s3.Config{})
	var most atomic.Int32
	f.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Has("delete") {
			body, _ := io.ReadAll(r.Body)
			n := int32(bytes.Count(body, []byte("<Object>")))
			if n > 1000 {
				s3Error(w, http.StatusBadRequest, "MalformedXML", "more than 1000 keys")
				return true
			}
			most.Store(max(most.Load(), n))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		return false
	})
	for i := range 1001 {
		if _, err := b.PutBlob(t.Context(), "uploads/a/"+strings.Repeat("x", i%7+1)+"/"+strconv.Itoa(i), strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := b.DeleteBlobsBefore(t.Context(), "uploads/", time.Now().Add(time.Hour)); err != nil || n != 1001 {
		t.Fatalf("DeleteBlobsBefore: %d, %v; want 1001", n, err)
	}
	if most.Load() != 1000 {
		t.Fatalf("largest DeleteObjects named %d keys, want 1000", most.Load())
	}
}

func read(t *testing.T, b connect.Blobs, key string) ([]byte, connect.BlobInfo) {
	t.Helper()
	rc, info, err := b.OpenBlob(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data, info
}

func countOf(reqs []string, want string) int {
	return len(slices.DeleteFunc(slices.Clone(reqs), func(r string) bool { return r != want }))
}
