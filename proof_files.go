package connect

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Proof-of-delivery files kept by connect (Config.Blobs), so that every process
// serving the portal can show them: the host's driver app hands each photo and
// signature to StoreProofFile and puts the link it returns into the route
// event's ProofOfDelivery. The portal serves a file to whoever may see its
// order (the client's team, the account's dispatchers, a tracking link of the
// order) and only while the order's proof names it; a privacy redaction
// deletes them.

// MaxProofFile is the largest proof file StoreProofFile takes.
const MaxProofFile = 10 << 20

// proofTypes are the kinds of file a proof may be, as sniffed from its bytes.
var proofTypes = []string{"image/jpeg", "image/png", "image/webp", "image/gif"}

// proofRoot is the key prefix of every proof file.
const proofRoot = "proof/"

// proofPrefix is where the proof files of an order are kept: under its account
// and client, so that one tenant's key never names another's.
func proofPrefix(account AccountID, client ClientID, order OrderID) string {
	seg := func(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }
	return proofRoot + seg(string(account)) + "/" + seg(string(client)) + "/" + seg(string(order)) + "/"
}

// validProofFile reports whether name is one StoreProofFile could have made.
func validProofFile(name string) bool {
	if len(name) != 32 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

// ProofFile is a stored proof file being read: close Body.
type ProofFile struct {
	Body        io.ReadCloser
	ContentType string // as sniffed from its first bytes: one of the image types StoreProofFile takes
	Size        int64
	StoredAt    time.Time
}

// StoreProofFile stores a photo or a signature of an order's delivery and
// returns the link to put in its ProofOfDelivery (Config.ProofFileURL of the
// order and the file's name). Only the account's route sync may
// (AsRouteSync). The file must be a JPEG, PNG, WebP or GIF image of at most
// MaxProofFile bytes; it is streamed, never whole in memory. Errors:
// ErrForbidden; ErrNotFound for an order not in the account; ErrInvalid for
// another kind of file, or a larger one; ErrUnavailable without Config.Blobs
// or Config.ProofFileURL.
func (s *Service) StoreProofFile(ctx context.Context, a Actor, id OrderID, r io.Reader) (string, error) {
	c, err := s.authorize(ctx, a, actReportRoutes)
	if err != nil {
		return "", err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return "", err
	}
	if s.blobs == nil || s.proofURL == nil {
		return "", Errorf(Unavailable, "proof files are not kept here: set Config.Blobs and Config.ProofFileURL")
	}
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", Errorf(Invalid, "the proof file could not be read: %v", err)
	}
	if len(head) == 0 {
		return "", Errorf(Invalid, "the proof file is empty")
	}
	if ct := http.DetectContentType(head); !slices.Contains(proofTypes, ct) {
		return "", Errorf(Invalid, "a proof file must be a JPEG, PNG, WebP or GIF image, not %s", ct)
	}
	name := make([]byte, 16)
	_, _ = rand.Read(name)
	file := hex.EncodeToString(name)
	if _, err := s.blobs.PutBlob(ctx, proofPrefix(o.Account, o.Client, o.ID)+file, &capped{r: br, left: MaxProofFile}); err != nil {
		return "", err
	}
	return s.proofURL(o.ID, file), nil
}

// capped fails once more than left bytes are read: PutBlob then stores nothing.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return 0, Errorf(Invalid, "a proof file is at most %d MB", MaxProofFile>>20)
	}
	return n, err
}

// OpenProofFile opens a proof file of an order the actor may see (a member of
// its client, a dispatcher of its account), while the order's proof names it.
// Errors: ErrNotFound (also for another tenant's order, or a file its proof no
// longer names); ErrUnavailable without Config.Blobs.
func (s *Service) OpenProofFile(ctx context.Context, a Actor, id OrderID, file string) (*ProofFile, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, c.scope(), id)
	if err != nil {
		return nil, err
	}
	return s.openProofFile(ctx, o, file)
}

// OpenTrackedProofFile is OpenProofFile for a tracking link's holder: the
// token is the credential, as for Track.
func (s *Service) OpenTrackedProofFile(ctx context.Context, token, file string) (*ProofFile, error) {
	o, _, err := s.trackedOrder(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.openProofFile(ctx, o, file)
}

func (s *Service) openProofFile(ctx context.Context, o *Order, file string) (*ProofFile, error) {
	gone := Errorf(NotFound, "no such proof file")
	if s.blobs == nil {
		return nil, Errorf(Unavailable, "proof files are not kept here")
	}
	if !validProofFile(file) || !proofNames(o.Proof, file) {
		return nil, gone
	}
	rc, info, err := s.blobs.OpenBlob(ctx, proofPrefix(o.Account, o.Client, o.ID)+file)
	if ErrorCode(err) == NotFound {
		return nil, gone
	} else if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(rc, 512)
	head, _ := br.Peek(512)
	ct := http.DetectContentType(head)
	if !slices.Contains(proofTypes, ct) {
		ct = "application/octet-stream"
	}
	return &ProofFile{Body: readCloser{Reader: br, Closer: rc}, ContentType: ct, Size: info.Size, StoredAt: info.StoredAt}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// proofNames reports whether the proof links to file (as the last segment of a
// photo's or the signature's URL).
func proofNames(p *ProofOfDelivery, file string) bool {
	if p == nil {
		return false
	}
	for _, u := range append(slices.Clone(p.PhotoURLs), p.SignatureURL) {
		if u != "" && (strings.HasSuffix(u, "/"+file) || strings.Contains(u, "/"+file+"?")) {
			return true
		}
	}
	return false
}

// eraseProofFiles deletes the proof files connect keeps for an order (a
// privacy redaction), and returns the URLs it was given that are not connect's:
// the host's own files, for the Privacy port.
func (s *Service) eraseProofFiles(ctx context.Context, account AccountID, client ClientID, order OrderID, urls []string) ([]string, error) {
	if s.blobs == nil {
		return urls, nil
	}
	if _, err := s.blobs.DeleteBlobsBefore(ctx, proofPrefix(account, client, order), time.Now().Add(24*time.Hour)); err != nil {
		return nil, err
	}
	var hosts []string
	for _, u := range urls {
		if s.proofURL == nil || !isConnectProofURL(s.proofURL, order, u) {
			hosts = append(hosts, u)
		}
	}
	return hosts, nil
}

// isConnectProofURL reports whether u is a link StoreProofFile made for the
// order.
func isConnectProofURL(proofURL func(OrderID, string) string, order OrderID, u string) bool {
	i := strings.LastIndexByte(u, '/')
	if i < 0 {
		return false
	}
	file, _, _ := strings.Cut(u[i+1:], "?")
	return validProofFile(file) && proofURL(order, file) == u
}
