package s3_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dispatchkit/connect/s3"
)

// TestSpansNameTheOperationAndTheObject: each operation is a client span with
// the bucket and the object's name; a failed one is an error span whose
// description is its code.
func TestSpansNameTheOperationAndTheObject(t *testing.T) {
	f := newFake(t)
	spans := tracetest.NewSpanRecorder()
	b := f.blobs(t, s3.Config{Prefix: "connect/", TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))})
	if _, err := b.PutBlob(t.Context(), "proof/a/1.png", strings.NewReader("png")); err != nil {
		t.Fatal(err)
	}
	_, _, _ = b.OpenBlob(t.Context(), "proof/a/missing.png")
	_ = b.DeleteBlob(t.Context(), "proof/a/1.png")
	_, _ = b.DeleteBlobsBefore(t.Context(), "proof/", time.Now())
	type span struct{ Name, Key, Bucket, Status string }
	var got []span
	for _, s := range spans.Ended() {
		sp := span{Name: s.Name(), Status: s.Status().Description}
		if s.Status().Code != codes.Error {
			sp.Status = "ok"
		}
		for _, a := range s.Attributes() {
			switch a.Key {
			case "aws.s3.key":
				sp.Key = a.Value.AsString()
			case "aws.s3.bucket":
				sp.Bucket = a.Value.AsString()
			}
		}
		got = append(got, sp)
	}
	want := []span{
		{"s3 PutBlob", "connect/proof/a/1.png", testBucket, "ok"},
		{"s3 OpenBlob", "connect/proof/a/missing.png", testBucket, "not_found"},
		{"s3 DeleteBlob", "connect/proof/a/1.png", testBucket, "ok"},
		{"s3 DeleteBlobsBefore", "connect/proof/", testBucket, "ok"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("spans (-want +got):\n%s", d)
	}
}
