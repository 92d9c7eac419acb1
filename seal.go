package connect

import (
	"crypto/cipher"
	"crypto/rand"
)

// Values sealed with one of the Config's keys (MailKey, TwoFactorKey,
// TrackingKey) are stored as a mark, the nonce, then the value sealed with
// AES-256-GCM, bound to what owns it (its outbox entry, member or link), so
// that a sealed value copied to another owner does not open.
const sealedMark = 1

// sealWith seals plain for owner with aead.
func sealWith(aead cipher.AEAD, plain []byte, owner string) ([]byte, error) {
	n := aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plain)+aead.Overhead())
	out[0] = sealedMark
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, Errorf(Internal, "drawing a nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plain, []byte(owner)), nil
}

// isSealed reports whether b has the form sealWith gives with aead.
func isSealed(aead cipher.AEAD, b []byte) bool {
	return len(b) >= 1+aead.NonceSize()+aead.Overhead() && b[0] == sealedMark
}

// openWith opens what sealWith sealed for owner; ok is false when b is not
// sealed, or not with aead's key for owner.
func openWith(aead cipher.AEAD, b []byte, owner string) (plain []byte, ok bool) {
	if aead == nil || !isSealed(aead, b) {
		return nil, false
	}
	n := 1 + aead.NonceSize()
	plain, err := aead.Open(nil, b[1:n], b[n:], []byte(owner))
	return plain, err == nil
}
