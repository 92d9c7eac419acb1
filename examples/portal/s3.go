package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dispatchkit/connect/s3"
)

// s3Config says where the files live when they are kept in an S3-compatible
// bucket rather than in the database.
type s3Config struct {
	Endpoint  string // https://s3.eu-west-1.amazonaws.com, http://127.0.0.1:9000 (MinIO); "": no S3
	Bucket    string
	Region    string // "": asked of the endpoint
	AccessKey string // "": AWS_ACCESS_KEY_ID and friends, ~/.aws/credentials, or the instance's IAM role
	SecretKey string
	Prefix    string // "connect/": the objects' names start so
}

// openS3 returns the blobs of c: proof-of-delivery files and uploads
// waiting for their preview, in its bucket (which must exist).
func openS3(ctx context.Context, c s3Config, log *slog.Logger) (*s3.Blobs, error) {
	host, secure := c.Endpoint, true
	if rest, ok := strings.CutPrefix(host, "http://"); ok {
		host, secure = rest, false
	}
	host = strings.TrimRight(strings.TrimPrefix(host, "https://"), "/")
	creds := credentials.NewStaticV4(c.AccessKey, c.SecretKey, "")
	if c.AccessKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{},
		})
	}
	client, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: c.Region})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", c.Endpoint, err)
	}
	return s3.New(ctx, s3.Config{Client: client, Bucket: c.Bucket, Prefix: c.Prefix, Logger: log})
}
