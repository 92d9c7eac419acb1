package shopify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/dispatchkit/connect"
)

// installState is what an install's OAuth state carries from Start to
// Callback: who started it, for which shop, until when, and a nonce that the
// callback records so the state works once. It is signed with the app's
// secret, so the portal keeps nothing between the two requests and nobody can
// make one up.
type installState struct {
	Account connect.AccountID `json:"a"`
	Client  connect.ClientID  `json:"c"`
	Shop    string            `json:"s"`
	Expires int64             `json:"e"` // Unix seconds
	Nonce   string            `json:"n"`
}

// stateContext separates the state's MAC from anything else signed with the
// app's secret (Shopify signs callbacks and webhooks with it too).
const stateContext = "dispatchkit/connect shopify install state v1\x00"

// newState returns a fresh state for the client's install on shop, signed.
func (a *Adapter) newState(actor connect.Actor, shop string, now time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // never fails (crypto/rand crashes the program instead)
	return a.signState(installState{Account: actor.Account, Client: actor.Client, Shop: shop,
		Expires: now.Add(a.stateTTL).Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
}

// signState encodes a state and signs it.
func (a *Adapter) signState(st installState) string { return a.sign(stateContext, st) }

// openState checks a state's signature and expiry and returns what it carries.
// Errors: Forbidden, with a message for the merchant.
func (a *Adapter) openState(s string, now time.Time) (installState, error) {
	var st installState
	if !a.open(stateContext, s, &st) || st.Nonce == "" || st.Client == "" {
		return installState{}, connect.Errorf(connect.Forbidden, "this install link is not valid; start again from Settings → Integrations")
	}
	if !now.Before(time.Unix(st.Expires, 0)) {
		return installState{}, connect.Errorf(connect.Forbidden, "this install link has expired; start again from Settings → Integrations")
	}
	return st, nil
}

// sign encodes v (a struct of plain fields) as JSON and signs it with the
// app's secret for one purpose (context): body.mac, both base64url.
func (a *Adapter) sign(context string, v any) string {
	payload, _ := json.Marshal(v) // plain strings and integers: cannot fail
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(a.mac(context, body))
}

// open checks what sign made for context (in constant time) and decodes it
// into v; false when it is not one.
func (a *Adapter) open(context, s string, v any) bool {
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.mac(context, body)) {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil && json.Unmarshal(payload, v) == nil
}

// mac signs body with the app's secret, for one purpose (context).
func (a *Adapter) mac(context, body string) []byte {
	mac := hmac.New(sha256.New, []byte(a.cfg.Secret))
	mac.Write([]byte(context))
	mac.Write([]byte(body))
	return mac.Sum(nil)
}
