package connecttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
)

// RunBlobs checks a connect.Blobs adapter against the port's contract: blobs
// round-trip byte for byte (empty, small, several megabytes streamed), a put
// replaces, a failed or cancelled put leaves the blob before it, a reader
// opened before a replace reads one whole blob, missing blobs are not found,
// keys outside ValidBlobKey are refused, and DeleteBlobsBefore removes exactly
// the old blobs under its prefix. open returns the adapter for a subtest; blobs
// of other subtests may be in it (each uses keys of its own).
func RunBlobs(t *testing.T, open func(t *testing.T) connect.Blobs) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b connect.Blobs, key func(string) string)
	}{
		{"BlobsRoundTripByteForByte", testBlobRoundTrip},
		{"PutReplacesTheBlob", testBlobReplace},
		{"AFailedPutKeepsTheBlobBefore", testBlobFailedPut},
		{"AReaderReadsOneWholeBlob", testBlobReaderDuringReplace},
		{"MissingBlobsAreNotFound", testBlobMissing},
		{"BadKeysAreRefused", testBlobBadKeys},
		{"DeleteBlobsBeforeKeepsNewerAndOthers", testBlobDeleteBefore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := fmt.Sprintf("t%d", time.Now().UnixNano())
			tc.run(t, open(t), func(name string) string { return "suite/" + run + "/" + name })
		})
	}
}

// blobBytes returns n pseudo-random bytes, the same for the same seed.
func blobBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// readBlob reads a whole blob, failing t if it cannot be opened.
func readBlob(t *testing.T, b connect.Blobs, key string) ([]byte, connect.BlobInfo) {
	t.Helper()
	rc, info, err := b.OpenBlob(t.Context(), key)
	if err != nil {
		t.Fatalf("OpenBlob(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return data, info
}

func testBlobRoundTrip(t *testing.T, b connect.Blobs, key func(string) string) {
	for i, n := range []int{0, 1, 1000, 5<<20 + 123} {
		k := key(fmt.Sprintf("photo-%d.jpg", i))
		want := blobBytes(n, uint64(i))
		before := time.Now().Add(-time.Second)
		// A reader that is not a *bytes.Reader, handing out small pieces: the
		// adapter streams whatever it is given.
		size, err := b.PutBlob(t.Context(), k, io.LimitReader(onlyReader{bytes.NewReader(want)}, int64(n)))
		if err != nil || size != int64(n) {
			t.Fatalf("PutBlob of %d bytes: %d, %v", n, size, err)
		}
		got, info := readBlob(t, b, k)
		if !bytes.Equal(got, want) {
			t.Fatalf("a blob of %d bytes reads back as %d bytes, not the same", n, len(got))
		}
		if info.Key != k || info.Size != int64(n) || info.StoredAt.Before(before) || info.StoredAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("info %+v, want key %q, size %d, stored now", info, k, n)
		}
	}
}

// onlyReader hides every method but Read (WriterTo, Seeker, Len).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func testBlobReplace(t *testing.T, b connect.Blobs, key func(string) string) {
	k := key("upload.xlsx")
	for i, n := range []int{300_000, 10} {
		want := blobBytes(n, uint64(100+i))
		if _, err := b.PutBlob(t.Context(), k, bytes.NewReader(want)); err != nil {
			t.Fatal(err)
		}
		if got, info := readBlob(t, b, k); !bytes.Equal(got, want) || info.Size != int64(n) {
			t.Fatalf("after put %d: %d bytes (size %d), want the %d just put", i, len(got), info.Size, n)
		}
	}
}

// failingReader yields n bytes, then fails.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func testBlobFailedPut(t *testing.T, b connect.Blobs, key func(string) string) {
	k := key("proof.png")
	want := blobBytes(70_000, 7)
	if _, err := b.PutBlob(t.Context(), k, bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("the upload was cut")
	if _, err := b.PutBlob(t.Context(), k, &failingReader{n: 1 << 20, err: broken}); err == nil {
		t.Fatal("PutBlob from a failing reader succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.PutBlob(ctx, k, bytes.NewReader(blobBytes(2<<20, 8))); err == nil {
		t.Fatal("PutBlob with its context ended succeeded")
	}
	if got, _ := readBlob(t, b, k); !bytes.Equal(got, want) {
		t.Fatalf("after failed puts the blob has %d bytes, not the %d before", len(got), len(want))
	}
	fresh := key("never.png")
	if _, err := b.PutBlob(t.Context(), fresh, &failingReader{n: 100, err: broken}); err == nil {
		t.Fatal("PutBlob from a failing reader succeeded")
	}
	if _, _, err := b.OpenBlob(t.Context(), fresh); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("a blob whose only put failed opens: %v", err)
	}
}

func testBlobReaderDuringReplace(t *testing.T, b connect.Blobs, key func(string) string) {
	k := key("statement.pdf")
	old, next := blobBytes(3<<20, 11), blobBytes(3<<20, 12)
	if _, err := b.PutBlob(t.Context(), k, bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	rc, _, err := b.OpenBlob(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutBlob(t.Context(), k, bytes.NewReader(next)); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rc)
	if err != nil {
		return // refusing to go on is allowed; mixing the two is not
	}
	if got := append(head, rest...); !bytes.Equal(got, old) {
		t.Fatalf("a reader opened before a replace read %d bytes that are not the blob it opened", len(got))
	}
}

func testBlobMissing(t *testing.T, b connect.Blobs, key func(string) string) {
	if _, _, err := b.OpenBlob(t.Context(), key("nothing-here")); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("OpenBlob of a missing blob: %v, want not_found", err)
	}
	if err := b.DeleteBlob(t.Context(), key("nothing-here")); err != nil {
		t.Fatalf("DeleteBlob of a missing blob: %v", err)
	}
	k := key("gone.csv")
	if _, err := b.PutBlob(t.Context(), k, bytes.NewReader([]byte("a,b\n"))); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBlob(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.OpenBlob(t.Context(), k); connect.ErrorCode(err) != connect.NotFound {
		t.Fatalf("OpenBlob of a deleted blob: %v, want not_found", err)
	}
}

func testBlobBadKeys(t *testing.T, b connect.Blobs, key func(string) string) {
	for _, k := range []string{"", "/abs", "trailing/", "a//b", "../up", key("..") + "/x", "sp ace", "ü", "a\x00b", key("x\\y")} {
		if _, err := b.PutBlob(t.Context(), k, bytes.NewReader([]byte("x"))); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("PutBlob(%q): %v, want invalid", k, err)
		}
		if _, _, err := b.OpenBlob(t.Context(), k); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("OpenBlob(%q): %v, want invalid", k, err)
		}
	}
	for _, p := range []string{"", "no-slash", "/", "a//"} {
		if _, err := b.DeleteBlobsBefore(t.Context(), p, time.Now()); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("DeleteBlobsBefore(%q): %v, want invalid", p, err)
		}
	}
}

func testBlobDeleteBefore(t *testing.T, b connect.Blobs, key func(string) string) {
	put := func(k string) {
		t.Helper()
		if _, err := b.PutBlob(t.Context(), k, bytes.NewReader([]byte(k))); err != nil {
			t.Fatal(err)
		}
	}
	old := []string{key("uploads/a/1.csv"), key("uploads/a/deep/2.csv")}
	others := []string{key("uploads/ab/3.csv"), key("uploads/b/4.csv"), key("uploads/a.csv")}
	for _, k := range slices.Concat(old, others) {
		put(k)
	}
	if n, err := b.DeleteBlobsBefore(t.Context(), key("uploads/a")+"/", time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("DeleteBlobsBefore an hour ago: %d, %v; want none", n, err)
	}
	n, err := b.DeleteBlobsBefore(t.Context(), key("uploads/a")+"/", time.Now().Add(time.Hour))
	if err != nil || n != len(old) {
		t.Fatalf("DeleteBlobsBefore under uploads/a/: %d, %v; want %d", n, err, len(old))
	}
	for _, k := range old {
		if _, _, err := b.OpenBlob(t.Context(), k); connect.ErrorCode(err) != connect.NotFound {
			t.Errorf("%s is still there: %v", k, err)
		}
	}
	for _, k := range others {
		if got, _ := readBlob(t, b, k); string(got) != k {
			t.Errorf("%s outside the prefix changed", k)
		}
	}
}
