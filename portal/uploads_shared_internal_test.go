package portal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"testing/iotest"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/disk"
)

// TestAnImportWhoseProcessWentAwayEnds: a process following an import that
// runs in another reads its progress blob; when that process stopped writing
// it (it crashed mid-import, so its transaction rolled back), the follower
// says so instead of showing a progress bar that never moves.
func TestAnImportWhoseProcessWentAwayEnds(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	us, err := newUploads(t.TempDir(), 1<<20, nil, nil, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	owner := connect.Actor{Kind: connect.ActorMember, Account: "acct/1", Client: "c 7", Member: "m1"}
	u, err := us.job(ctx, owner, "5 Shopify orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.followJob(ctx, u); !errors.Is(err, connect.ErrNotFound) {
		t.Fatalf("an import that has not started: %v, want not found", err)
	}
	if err := us.putJSON(ctx, u.prefix()+blobProgress, jobRecord{Total: 5, Read: 2, Updated: now.Add(-progressStale + time.Second)}); err != nil {
		t.Fatal(err)
	}
	j, err := us.followJob(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := j.state(); st.Finished || st.Read != 2 || st.Total != 5 {
		t.Fatalf("a running import followed: %+v", st)
	}
	now = now.Add(2 * time.Second) // its process last wrote more than progressStale ago
	j, err = us.followJob(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := j.state()
	if !st.Finished || connect.ErrorCode(j.err) != connect.Unavailable || st.Error == "" {
		t.Fatalf("an import whose process went away: %+v, %v", st, j.err)
	}

	// Another tenant's actor does not find the upload, even with its id.
	for _, a := range []connect.Actor{
		{Kind: connect.ActorMember, Account: "acct/1", Client: "c 8", Member: "m1"},
		{Kind: connect.ActorMember, Account: "acct/2", Client: "c 7", Member: "m1"},
		{Kind: connect.ActorMember, Account: "acct/1", Client: "c 7", Member: "m2"},
	} {
		if _, err := us.get(ctx, u.ID, a); !errors.Is(err, connect.ErrNotFound) {
			t.Errorf("%+v got another's upload: %v", a, err)
		}
	}
	if got, err := us.get(ctx, u.ID, owner); err != nil || got.Name != "5 Shopify orders" {
		t.Fatalf("the owner's upload: %v, %v", got, err)
	}
}

func TestLocalOnceClaimsAKeyOnceUntilItExpires(t *testing.T) {
	o := &localOnce{used: map[string]time.Time{}}
	ctx := context.Background()
	if err := o.UseOnce(ctx, "k", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := o.UseOnce(ctx, "k", time.Now().Add(time.Hour)); !errors.Is(err, connect.ErrConflict) {
		t.Fatalf("second use: %v, want conflict", err)
	}
	if err := o.UseOnce(ctx, "gone", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := o.UseOnce(ctx, "gone", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("an expired key: %v", err)
	}
}

// replacedOnce is Blobs whose first read of each key fails as a blob replaced
// while being read, as storage.Store's does when another process writes it.
type replacedOnce struct {
	connect.Blobs
	failed map[string]bool
}

func (r *replacedOnce) OpenBlob(ctx context.Context, key string) (io.ReadCloser, connect.BlobInfo, error) {
	if !r.failed[key] {
		r.failed[key] = true
		return nil, connect.BlobInfo{}, connect.Errorf(connect.Conflict, "blob %s was replaced or deleted while being read", key)
	}
	return r.Blobs.OpenBlob(ctx, key)
}

// TestSettingsReplacedWhileReadAreReadAgain: a process reading an upload's
// settings while another rewrites them (a double click that reached two
// processes) reads them again rather than failing the request.
func TestSettingsReplacedWhileReadAreReadAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	plain, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	us, err := newUploads(t.TempDir(), 1<<20, &replacedOnce{Blobs: plain, failed: map[string]bool{}}, nil,
		slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	owner := connect.Actor{Kind: connect.ActorMember, Account: "acct-1", Client: "c-1", Member: "m-1"}
	u, err := us.job(ctx, owner, "5 Shopify orders")
	if err != nil {
		t.Fatal(err)
	}
	us.mu.Lock()
	delete(us.m, u.ID) // as another process: no local copy
	us.mu.Unlock()
	got, err := us.get(ctx, u.ID, owner)
	if err != nil || got.Name != "5 Shopify orders" {
		t.Fatalf("settings replaced once while read: %v, %v", got, err)
	}
}

// replacedMidRead is Blobs whose first read of each key fails part way, as
// storage.Store's does when another process replaces the blob between chunks.
type replacedMidRead struct {
	connect.Blobs
	failed map[string]bool
}

func (r *replacedMidRead) OpenBlob(ctx context.Context, key string) (io.ReadCloser, connect.BlobInfo, error) {
	rc, info, err := r.Blobs.OpenBlob(ctx, key)
	if err != nil || r.failed[key] {
		return rc, info, err
	}
	r.failed[key] = true
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, 10), iotest.ErrReader(
		connect.Errorf(connect.Conflict, "blob %s was replaced or deleted while being read", key))), rc}, info, nil
}

// TestABlobReplacedWhileFetchedIsFetchedWhole: a local copy of a blob (the
// refused rows a download writes, an upload's working copy) that another
// process replaced part way through is read again from the start, and the
// quota is charged once for what the file holds.
func TestABlobReplacedWhileFetchedIsFetchedWhole(t *testing.T) {
	ctx := context.Background()
	plain, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	us, err := newUploads(t.TempDir(), 1<<20, &replacedMidRead{Blobs: plain, failed: map[string]bool{}}, nil,
		slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	owner := connect.Actor{Kind: connect.ActorMember, Account: "acct-1", Client: "c-1", Member: "m-1"}
	u, err := us.job(ctx, owner, "refused rows")
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("refused row\n"), 100)
	if _, err := plain.PutBlob(ctx, u.prefix()+blobImportRefused, bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(us.dir, "fetch-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before := u.disk
	if err := us.fetchBlob(ctx, u, blobImportRefused, f); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("fetched %d bytes (%v), want the whole %d", len(got), err, len(want))
	}
	if charged := u.disk - before; charged != int64(len(want)) {
		t.Fatalf("charged %d bytes for a %d-byte file", charged, len(want))
	}
	us.removeFile(u, f.Name())
	if u.disk != before {
		t.Fatalf("after removing the file %d bytes stay charged", u.disk-before)
	}
}
