package connect_test

import (
	"bytes"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

func TestSignInWithThePasswordChosenAtSignUp(t *testing.T) {
	w := newWorld(t)
	inv, _ := w.svc.InviteMember(w.ctx, w.owner, connect.InviteMemberParams{Email: "sam@example.com", Role: connect.RoleMember})
	_, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com", Password: "short"})
	connecttest.WantCode(t, err, connect.Invalid)
	acc, err := w.svc.AcceptInvite(w.ctx, inv.Token, connect.SignUp{Name: "Sam", Email: "sam@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.SignIn(w.ctx, "SAM@example.com", "correct horse battery")
	if err != nil || len(got) != 1 || got[0].Actor != acc.Actor {
		t.Fatalf("sign in: %+v, %v", got, err)
	}
	_, err = w.svc.SignIn(w.ctx, "sam@example.com", "wrong horse battery")
	connecttest.WantCode(t, err, connect.Forbidden)
	_, errUnknown := w.svc.SignIn(w.ctx, "nobody@example.com", "correct horse battery")
	if errUnknown == nil || errUnknown.Error() != err.Error() {
		t.Fatalf("unknown email answers %v, wrong password %v: they must read the same", errUnknown, err)
	}
	if err := w.svc.ChangePassword(w.ctx, acc.Actor, "wrong", "a brand new password"); connect.ErrorCode(err) != connect.Forbidden {
		t.Fatalf("change with a wrong current password: %v", err)
	}
	if err := w.svc.ChangePassword(w.ctx, acc.Actor, "correct horse battery", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SignIn(w.ctx, "sam@example.com", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	w.svc.DisableClient(w.ctx, w.disp, w.client.ID)
	_, err = w.svc.SignIn(w.ctx, "sam@example.com", "a brand new password")
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestPBKDF2(t *testing.T) {
	p := connect.PBKDF2{Iterations: 1000}
	h, err := p.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := p.Hash("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !p.Verify(h, "correct horse battery") || p.Verify(h, "correct horse batterY") || p.Verify("garbage", "x") {
		t.Fatal("Verify is wrong")
	}
}

func TestAPIKeysActAsTheClientWithAMembersRights(t *testing.T) {
	w := newWorld(t)
	key, err := w.svc.CreateAPIKey(w.ctx, w.owner, "warehouse")
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.svc.AuthenticateAPIKey(w.ctx, key.Token)
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.svc.CreateOrder(w.ctx, a, connect.OrderInput{Address: connect.Address{Line1: "1 API St"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SubmitOrders(w.ctx, a, []connect.OrderID{o.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.InviteMember(w.ctx, a, connect.InviteMemberParams{Email: "x@example.com", Role: connect.RoleMember})
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.CreateAPIKey(w.ctx, a, "another")
	connecttest.WantCode(t, err, connect.Forbidden)
	// Another client's orders are not found for the key.
	_, otherOwner := w.signUpClient(w.disp, "Other", connect.ClientSettings{AllowUpload: true})
	theirs := w.draft(otherOwner, "T")
	_, err = w.svc.Order(w.ctx, a, theirs.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	member := w.join(w.owner, "m@example.com", connect.RoleMember)
	_, err = w.svc.CreateAPIKey(w.ctx, member, "mine")
	connecttest.WantCode(t, err, connect.Forbidden)
	if _, err := w.svc.RevokeAPIKey(w.ctx, w.owner, key.Key.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.AuthenticateAPIKey(w.ctx, key.Token)
	connecttest.WantCode(t, err, connect.Forbidden)
	_, err = w.svc.Orders(w.ctx, a, connect.ListOrdersParams{}) // an actor minted before revocation
	connecttest.WantCode(t, err, connect.Forbidden)
	for _, bad := range []string{"", "ck_", "ck_nope", key.Token + "x", "Bearer " + key.Token} {
		if _, err := w.svc.AuthenticateAPIKey(w.ctx, bad); connect.ErrorCode(err) != connect.Forbidden {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
}

func TestTrackingLinksShowOneOrderUntilRevoked(t *testing.T) {
	w := newWorld(t)
	o := w.submitted(1)[0]
	link, err := w.svc.CreateTrackingLink(w.ctx, w.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if link.URL != "https://portal.example/track/"+link.Token {
		t.Fatalf("url %q", link.URL)
	}
	w.route(ev("1", o.ID, connect.EventSchedule, 0), ev("2", o.ID, connect.EventStart, 1))
	tr, err := w.svc.Track(w.ctx, link.Token)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != connect.StatusEnRoute || tr.ETA.IsZero() || len(tr.Timeline) != 4 {
		t.Fatalf("tracked %+v", tr)
	}
	_, otherOwner := w.signUpClient(w.disp, "Other", connect.ClientSettings{AllowUpload: true})
	_, err = w.svc.CreateTrackingLink(w.ctx, otherOwner, o.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	if _, err := w.svc.RevokeTrackingLink(w.ctx, w.owner, o.ID, link.Link.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Track(w.ctx, link.Token)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Track(w.ctx, "made-up")
	connecttest.WantCode(t, err, connect.NotFound)
}

// With a TrackingKey, an order's active links list their token and URL to
// copy again, for the team and the dispatcher; a revoked link does not, nor
// a link whose token was sealed with another key (the host changed it), which
// still opens. Without a key a link is shown only when made.
func TestTrackingLinksCanBeCopiedAgainWithATrackingKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	w := newWorldWith(t, func(c *connect.Config) { c.TrackingKey = key })
	o := w.submitted(1)[0]
	first, err := w.svc.CreateTrackingLink(w.ctx, w.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.svc.CreateTrackingLink(w.ctx, w.disp, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RevokeTrackingLink(w.ctx, w.owner, o.ID, second.Link.ID); err != nil {
		t.Fatal(err)
	}
	for _, a := range []connect.Actor{w.owner, w.disp} {
		links, err := w.svc.TrackingLinks(w.ctx, a, o.ID)
		if err != nil || len(links) != 2 {
			t.Fatalf("links: %v, %v", links, err)
		}
		revoked, active := links[0], links[1]
		if active.Token != first.Token || active.URL != first.URL || revoked.Token != "" || revoked.URL != "" {
			t.Fatalf("active %q %q, revoked %q %q; want %q %q and none", active.Token, active.URL, revoked.Token, revoked.URL, first.Token, first.URL)
		}
	}
	if stored, _ := w.store.TrackingLinks(w.ctx, connect.Scope{Account: w.acct}, o.ID); bytes.Contains(stored[1].Sealed, []byte(first.Token)) {
		t.Fatal("the Store keeps the token in the clear")
	}

	// Another key: the links open, but their tokens are not shown.
	other, err := connect.New(connect.Config{Store: w.store, TrackingKey: bytes.Repeat([]byte{8}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	links, err := other.TrackingLinks(w.ctx, w.owner, o.ID)
	if err != nil || links[1].Token != "" {
		t.Fatalf("under another key: %+v, %v", links, err)
	}
	if _, err := other.Track(w.ctx, first.Token); err != nil {
		t.Fatalf("the link under another key: %v", err)
	}
	// No key: nothing is kept to copy.
	none, err := connect.New(connect.Config{Store: w.store})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := none.CreateTrackingLink(w.ctx, w.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if links, _ := none.TrackingLinks(w.ctx, w.owner, o.ID); links[0].ID != fresh.Link.ID || links[0].Token != "" || len(links[0].Sealed) != 0 {
		t.Fatalf("without a key: %+v", links[0])
	}
	_, err = connect.New(connect.Config{Store: w.store, TrackingKey: []byte("short")})
	connecttest.WantCode(t, err, connect.Invalid)
}

func TestRemembersTheLastImportMapping(t *testing.T) {
	w := newWorld(t)
	m := map[string]connect.Field{"Postcode": connect.FieldZip, "Internal": ""}
	cl, err := w.svc.SaveImportMapping(w.ctx, w.owner, m)
	if err != nil || cl.ImportMapping["Postcode"] != connect.FieldZip {
		t.Fatalf("saved %+v, %v", cl, err)
	}
	got, _ := w.svc.Client(w.ctx, w.owner, w.client.ID)
	if len(got.ImportMapping) != 2 || got.ImportMapping["Internal"] != "" {
		t.Fatalf("read back %+v", got.ImportMapping)
	}
	_, err = w.svc.SaveImportMapping(w.ctx, w.owner, map[string]connect.Field{"X": "shoe_size"})
	connecttest.WantCode(t, err, connect.Invalid)
}
