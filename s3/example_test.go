package s3_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dispatchkit/connect/s3"
)

// ExampleNew keeps blobs in a bucket. Here the bucket is an in-process fake
// (gofakes3); against Amazon S3 the endpoint is "s3.amazonaws.com" (or the
// region's) with Secure: true, against MinIO its host and port.
func ExampleNew() {
	ctx := context.Background()
	backend := s3mem.New()
	if err := backend.CreateBucket("dispatch-files"); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()

	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4("access-key", "secret-key", ""),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		log.Fatal(err)
	}
	blobs, err := s3.New(ctx, s3.Config{Client: client, Bucket: "dispatch-files", Prefix: "connect/"})
	if err != nil {
		log.Fatal(err)
	}

	size, err := blobs.PutBlob(ctx, "proofs/acct-1/order-7/signature.png", strings.NewReader("a signature"))
	if err != nil {
		log.Fatal(err)
	}
	rc, info, err := blobs.OpenBlob(ctx, "proofs/acct-1/order-7/signature.png")
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(size, info.Size, string(data))
	for o := range client.ListObjectsIter(ctx, "dispatch-files", minio.ListObjectsOptions{Recursive: true}) {
		fmt.Println(o.Key)
	}
	// Output:
	// 11 11 a signature
	// connect/proofs/acct-1/order-7/signature.png
}
