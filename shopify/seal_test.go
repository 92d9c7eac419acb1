package shopify_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newSealer(t *testing.T, key []byte) *shopify.Sealer {
	t.Helper()
	s, err := shopify.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSealer(t, newKey(t))
	secret := []byte(`{"access_token":"shpat_0123","refresh_token":"shprt_4567"}`)
	sealed, err := s.Seal("client-1", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("shpat_0123")) {
		t.Fatal("the sealed token contains the plaintext")
	}
	again, _ := s.Seal("client-1", secret)
	if bytes.Equal(sealed, again) {
		t.Error("sealing twice gave the same ciphertext: the nonce is not random")
	}
	got, err := s.Open("client-1", sealed)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(got, secret) {
		t.Errorf("Open = %q; want %q", got, secret)
	}
	empty, _ := s.Seal("client-1", nil)
	if got, err := s.Open("client-1", empty); err != nil || len(got) != 0 {
		t.Errorf("Open(Seal(nil)) = %q, %v; want empty", got, err)
	}
}

func TestSealRefusals(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	s := newSealer(t, key)
	sealed, _ := s.Seal("client-1", []byte("shpat_0123"))

	t.Run("another key does not open it", func(t *testing.T) {
		if _, err := newSealer(t, newKey(t)).Open("client-1", sealed); connect.ErrorCode(err) != connect.Internal {
			t.Errorf("Open with another key = %v; want Internal", err)
		}
	})
	t.Run("a ciphertext moved to another client does not open", func(t *testing.T) {
		if _, err := s.Open("client-2", sealed); connect.ErrorCode(err) != connect.Internal {
			t.Errorf("Open for another client = %v; want Internal", err)
		}
	})
	t.Run("a flipped bit does not open", func(t *testing.T) {
		for _, i := range []int{0, 1, 13, len(sealed) - 1} {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			if _, err := s.Open("client-1", bad); err == nil {
				t.Errorf("Open with byte %d flipped succeeded", i)
			}
		}
	})
	t.Run("a truncated ciphertext does not open", func(t *testing.T) {
		for _, n := range []int{0, 1, 12, 28, len(sealed) - 1} {
			if _, err := s.Open("client-1", sealed[:n]); err == nil {
				t.Errorf("Open of the first %d bytes succeeded", n)
			}
		}
	})
	t.Run("keys other than 32 bytes are refused", func(t *testing.T) {
		for _, n := range []int{0, 16, 24, 31, 33, 64} {
			if _, err := shopify.NewSealer(make([]byte, n)); connect.ErrorCode(err) != connect.Invalid {
				t.Errorf("NewSealer(%d bytes) = %v; want Invalid", n, err)
			}
		}
	})
}
