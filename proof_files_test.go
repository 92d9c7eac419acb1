package connect_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// TestProofFilesAreKeptAndServedToWhoMaySeeTheOrder: the route sync stores a
// delivery photo through the Service (Config.Blobs) and puts its link in the
// proof; the client's team, the account's dispatcher and a tracking link's
// holder read it back; another client's member, another account, a revoked
// link and a file the proof does not name get not found; only the route sync
// stores, only images, at most MaxProofFile bytes, and a refused file leaves
// nothing behind.
func TestProofFilesAreKeptAndServedToWhoMaySeeTheOrder(t *testing.T) {
	t.Parallel()
	w := connecttest.New(t, connecttest.WithConfig(keepProofFiles))
	ctx := t.Context()
	tm := w.NewClient("Green Grocer", connect.ClientSettings{AllowUpload: true})
	other := w.NewClient("Other Shop", connect.ClientSettings{AllowUpload: true})
	o := w.Orders(tm.Owner.Actor, connect.StatusSubmitted, 1)[0]
	host := connect.AsRouteSync(w.Account)

	url, err := w.Service.StoreProofFile(ctx, host, o.ID, bytes.NewReader(connecttest.PNG))
	if err != nil {
		t.Fatal(err)
	}
	file := url[strings.LastIndexByte(url, '/')+1:]
	if !strings.HasPrefix(url, "https://portal.example/proof/"+string(o.ID)+"/") || len(file) != 32 {
		t.Fatalf("the link: %s", url)
	}
	stray, err := w.Service.StoreProofFile(ctx, host, o.ID, bytes.NewReader(connecttest.PNG)) // stored, never put in the proof
	if err != nil {
		t.Fatal(err)
	}
	strayFile := stray[strings.LastIndexByte(stray, '/')+1:]
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, connect.ErrNotFound) {
			t.Errorf("%s: %v, want not found", what, err)
		}
	}
	// Not yet in the proof: nobody reads it.
	_, err = w.Service.OpenProofFile(ctx, tm.Owner.Actor, o.ID, file)
	notFound("a file before the proof names it", err)

	for _, ev := range []connect.RouteEvent{
		{ID: "s", Event: connect.EventSchedule, Route: connect.RouteStop{RouteID: "r", Position: 1}},
		{ID: "g", Event: connect.EventStart, ETA: time.Now().Add(time.Hour)},
		{ID: "c", Event: connect.EventComplete, Proof: &connect.ProofOfDelivery{PhotoURLs: []string{url}, RecipientName: "Rita"}},
	} {
		ev.Order, ev.At = o.ID, time.Now()
		if res, err := w.Service.ApplyRouteEvents(ctx, host, []connect.RouteEvent{ev}); err != nil || res.Applied != 1 {
			t.Fatalf("route event %s: %+v %v", ev.ID, res, err)
		}
	}
	read := func(who string, f *connect.ProofFile, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		defer f.Body.Close()
		got, _ := io.ReadAll(f.Body)
		if !bytes.Equal(got, connecttest.PNG) || f.ContentType != "image/png" || f.Size != int64(len(connecttest.PNG)) {
			t.Fatalf("%s read %d bytes of %s (size %d)", who, len(got), f.ContentType, f.Size)
		}
	}
	f, err := w.Service.OpenProofFile(ctx, tm.Owner.Actor, o.ID, file)
	read("the client's owner", f, err)
	f, err = w.Service.OpenProofFile(ctx, tm.Join(connect.RoleMember).Actor, o.ID, file)
	read("a member of the team", f, err)
	f, err = w.Service.OpenProofFile(ctx, w.Dispatcher, o.ID, file)
	read("the dispatcher", f, err)
	link, err := w.Service.CreateTrackingLink(ctx, tm.Owner.Actor, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	f, err = w.Service.OpenTrackedProofFile(ctx, link.Token, file)
	read("a tracking link's holder", f, err)

	_, err = w.Service.OpenProofFile(ctx, other.Owner.Actor, o.ID, file)
	notFound("another client's owner", err)
	_, err = w.Service.OpenProofFile(ctx, connect.AsDispatcher("acct-elsewhere", "eve"), o.ID, file)
	notFound("another account's dispatcher", err)
	_, err = w.Service.OpenProofFile(ctx, tm.Owner.Actor, o.ID, strayFile)
	notFound("a file the proof does not name", err)
	_, err = w.Service.OpenProofFile(ctx, tm.Owner.Actor, o.ID, "../../etc/passwd")
	notFound("a path", err)
	if _, err := w.Service.RevokeTrackingLink(ctx, tm.Owner.Actor, o.ID, link.Link.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.Service.OpenTrackedProofFile(ctx, link.Token, file)
	notFound("a revoked tracking link", err)

	// Storing: the route sync of the order's account only, images only, bounded.
	if _, err := w.Service.StoreProofFile(ctx, tm.Owner.Actor, o.ID, bytes.NewReader(connecttest.PNG)); !errors.Is(err, connect.ErrForbidden) {
		t.Errorf("a member storing a proof file: %v, want forbidden", err)
	}
	_, err = w.Service.StoreProofFile(ctx, connect.AsRouteSync("acct-elsewhere"), o.ID, bytes.NewReader(connecttest.PNG))
	notFound("another account's route sync", err)
	if _, err := w.Service.StoreProofFile(ctx, host, o.ID, strings.NewReader("<html><script>alert(1)</script>")); !errors.Is(err, connect.ErrInvalid) {
		t.Errorf("an HTML file as proof: %v, want invalid", err)
	}
	big := io.MultiReader(bytes.NewReader(connecttest.PNG), bytes.NewReader(make([]byte, connect.MaxProofFile)))
	if _, err := w.Service.StoreProofFile(ctx, host, o.ID, big); !errors.Is(err, connect.ErrInvalid) {
		t.Errorf("a file over %d bytes: %v, want invalid", connect.MaxProofFile, err)
	}
	if n, err := w.Store.DeleteBlobsBefore(ctx, "proof/", time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("%d proof files stored (%v), want the two taken: a refused one leaves nothing", n, err)
	}
}
