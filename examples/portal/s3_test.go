package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/dispatchkit/connect"
)

// TestFilesLandInTheS3Bucket: with CONNECT_S3_ENDPOINT and its friends set
// the host keeps an upload waiting for its mapping and a delivery's proof file
// in the bucket (here an in-process fake, gofakes3), under the prefix, where
// every process reads them.
func TestFilesLandInTheS3Bucket(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("dispatch-files"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(fake.Close)
	for name, v := range map[string]string{
		"CONNECT_S3_ENDPOINT": fake.URL, "CONNECT_S3_BUCKET": "dispatch-files", "CONNECT_S3_REGION": "us-east-1",
		"CONNECT_S3_ACCESS_KEY": "access-key", "CONNECT_S3_SECRET_KEY": "secret-key",
	} {
		t.Setenv(name, v)
	}
	flags, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := s3Config{Endpoint: fake.URL, Bucket: "dispatch-files", Region: "us-east-1", AccessKey: "access-key", SecretKey: "secret-key", Prefix: "connect/"}
	if flags.S3 != want {
		t.Fatalf("S3 settings from the environment: %+v, want %+v", flags.S3, want)
	}
	th := startHost(t, t.TempDir(), func(c *config) { c.S3 = flags.S3 })
	objects := func(under string) []string {
		t.Helper()
		list, err := backend.ListBucket("dispatch-files", &gofakes3.Prefix{HasPrefix: true, Prefix: under}, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list.Contents {
			keys = append(keys, o.Key)
		}
		return keys
	}

	// A spreadsheet uploaded on the import page, waiting for its mapping.
	c, owner := th.signedInOwnerActor(t)
	_, xlsx := th.get(t, c, "/orders/template.xlsx")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "template.xlsx")
	_, _ = io.WriteString(fw, xlsx)
	_ = mw.Close()
	if r := th.post(t, c, "/imports", mw.FormDataContentType(), &form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	uploads := objects("connect/uploads/")
	if !slices.ContainsFunc(uploads, func(k string) bool { return strings.HasSuffix(k, "/file") }) ||
		!slices.ContainsFunc(uploads, func(k string) bool { return strings.HasSuffix(k, "/settings") }) {
		t.Fatalf("the upload's objects in the bucket: %v; want its file and settings", uploads)
	}
	i := slices.IndexFunc(uploads, func(k string) bool { return strings.HasSuffix(k, "/file") })
	if got := content(t, backend, uploads[i]); got != xlsx {
		t.Fatalf("the upload in the bucket has %d bytes, not the %d uploaded", len(got), len(xlsx))
	}

	// A proof file of a delivery, stored by the route sync.
	ctx := context.Background()
	o, err := th.svc.CreateOrder(ctx, owner, connect.OrderInput{Ref: "R-1", Address: connect.Address{Line1: "1 Main St", City: "Springfield"},
		Recipient: connect.Recipient{Name: "Rita"}})
	if err != nil {
		t.Fatal(err)
	}
	png := pngBytes(t)
	if _, err := th.svc.StoreProofFile(ctx, connect.AsRouteSync(demoAccount), o.ID, bytes.NewReader(png)); err != nil {
		t.Fatal(err)
	}
	proofs := objects("connect/proof/")
	if len(proofs) != 1 || content(t, backend, proofs[0]) != string(png) {
		t.Fatalf("proof files in the bucket: %v; want the one stored", proofs)
	}
}

// content reads an object of the fake bucket.
func content(t *testing.T, backend *s3mem.Backend, key string) string {
	t.Helper()
	obj, err := backend.GetObject("dispatch-files", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestS3NeedsABucket(t *testing.T) {
	if _, err := parseFlags([]string{"-s3-endpoint", "http://127.0.0.1:9"}); err == nil {
		t.Fatal("-s3-endpoint without -s3-bucket was taken")
	}
}
