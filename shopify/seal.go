package shopify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"

	"github.com/dispatchkit/connect"
)

// Sealer encrypts access tokens for storage (AES-256-GCM), so a copy of the
// database alone does not give access to the stores. Each ciphertext is bound to
// what it belongs to: a shop's token ([Sealer.SealShop]) to the shop, moved to
// another shop's row it does not open; a client's (tokens stored before they
// were kept per shop, [Sealer.Seal]) to the client. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// sealVersion is the first byte of every ciphertext, so that a later format (or
// key rotation with a key id) can tell old ciphertexts apart.
const sealVersion = 1

// sealContext prefixes the additional data, so a ciphertext sealed for another
// purpose with the same key does not open as a token.
const sealContext = "dispatchkit/connect shopify token v1\x00"

// shopSealContext prefixes the additional data of a shop's token: another
// context than a client's, so no client id can pass for a shop.
const shopSealContext = "dispatchkit/connect shopify shop token v1\x00"

// NewSealer returns a Sealer with a 32-byte key (AES-256). Generate one with
// crypto/rand and keep it out of the database.
// Errors: Invalid when the key is not 32 bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, connect.Errorf(connect.Invalid, "shopify: the sealing key must be 32 bytes (AES-256), not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "shopify: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for client: a version byte, a random 96-bit nonce,
// then the ciphertext and tag. A random nonce is safe for far more tokens than
// a deployment will ever seal with one key.
func (s *Sealer) Seal(client connect.ClientID, plaintext []byte) ([]byte, error) {
	return s.seal(additionalData(client), plaintext), nil
}

// SealShop encrypts plaintext for shop (its myshopify.com domain), as Seal does
// for a client: the token of a shop is shared by every client linked to it.
func (s *Sealer) SealShop(shop string, plaintext []byte) []byte {
	return s.seal(shopData(shop), plaintext)
}

// OpenShop decrypts what SealShop sealed for the same shop.
// Errors: Internal, as [Sealer.Open].
func (s *Sealer) OpenShop(shop string, sealed []byte) ([]byte, error) {
	return s.open(shopData(shop), sealed, "shop")
}

// seal encrypts plaintext bound to ad.
func (s *Sealer) seal(ad, plaintext []byte) []byte {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	nonce := out[1:]
	_, _ = rand.Read(nonce) // never fails (crypto/rand crashes the program instead)
	return s.aead.Seal(out, nonce, plaintext, ad)
}

// Open decrypts what Seal sealed for the same client.
// Errors: Internal when the ciphertext is damaged, sealed with another key, or
// sealed for another client; the message does not say which, as GCM cannot tell.
func (s *Sealer) Open(client connect.ClientID, sealed []byte) ([]byte, error) {
	return s.open(additionalData(client), sealed, "client")
}

// open decrypts what seal bound to ad; whose names it in the error.
func (s *Sealer) open(ad, sealed []byte, whose string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, connect.Errorf(connect.Internal, "shopify: the sealed token is malformed")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], ad)
	if err != nil {
		return nil, connect.Errorf(connect.Internal, "shopify: the sealed token does not open with this key for this %s", whose)
	}
	return plain, nil
}

func additionalData(client connect.ClientID) []byte {
	return append([]byte(sealContext), client...)
}

func shopData(shop string) []byte {
	return append([]byte(shopSealContext), shop...)
}
