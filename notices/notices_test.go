package notices_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/notices"
	"github.com/google/go-cmp/cmp"
)

var paris, _ = time.LoadLocation("Europe/Paris")

// notice is an en-route notice of order A-17 with every field set.
func notice(lang connect.Language, ev connect.NotifyEvent, ch connect.NotifyChannel) *connect.RecipientNotice {
	return &connect.RecipientNotice{Key: "k", Event: ev, Channel: ch, Language: lang, OrderRef: "A-17",
		Recipient: "Camille Martin", ClientName: "Fleurs & Co", Brand: "Swift Couriers",
		TrackingURL: "https://track.example/t/abc",
		ETAFrom:     time.Date(2026, 12, 7, 9, 45, 0, 0, paris), ETATo: time.Date(2026, 12, 7, 10, 30, 0, 0, paris),
		At: time.Date(2026, 12, 1, 14, 5, 0, 0, paris), FailureReason: "nobody home", Location: paris}
}

// TestTheTextsOfEachLanguage: the same notice reads naturally in each
// language, by SMS and by email.
func TestTheTextsOfEachLanguage(t *testing.T) {
	texts := notices.New()
	cases := []struct {
		lang connect.Language
		ev   connect.NotifyEvent
		ch   connect.NotifyChannel
		want connect.NoticeText
	}{
		{connect.English, connect.NotifyEnRoute, connect.NotifySMS, connect.NoticeText{Body: "Fleurs & Co: Your order A-17 from Fleurs & Co is on its way. " +
			"Expected Monday 7 December between 9:45 am and 10:30 am. Track your delivery: https://track.example/t/abc"}},
		{connect.French, connect.NotifyEnRoute, connect.NotifySMS, connect.NoticeText{Body: "Fleurs & Co : Votre commande A-17 de Fleurs & Co est en route. " +
			"Livraison prévue le lundi 7 décembre entre 9h45 et 10h30. Suivre votre livraison : https://track.example/t/abc"}},
		{connect.German, connect.NotifyETAChanged, connect.NotifySMS, connect.NoticeText{Body: "Fleurs & Co: Die Lieferzeit Ihrer Bestellung A-17 von Fleurs & Co hat sich geändert. " +
			"Neue voraussichtliche Zustellung: Montag, 7. Dezember zwischen 9:45 und 10:30 Uhr. Sendung verfolgen: https://track.example/t/abc"}},
		{connect.Spanish, connect.NotifyDelivered, connect.NotifySMS, connect.NoticeText{Body: "Fleurs & Co: Su pedido A-17 de Fleurs & Co se entregó el martes 1 de diciembre a las 14:05. " +
			"Siga su entrega: https://track.example/t/abc"}},
		{connect.French, connect.NotifyFailed, connect.NotifyEmail, connect.NoticeText{
			Subject: "Fleurs & Co: Échec de la livraison de la commande A-17",
			Body: "Bonjour Camille Martin,\n\nNous n'avons pas pu livrer votre commande A-17 de Fleurs & Co le mardi 1er décembre à 14h05 (nobody home). " +
				"Nous vous recontacterons pour convenir d'une nouvelle tentative.\n\nSuivre votre livraison : https://track.example/t/abc\n\n" +
				"Fleurs & Co, livraison assurée par Swift Couriers\n"}},
		{connect.German, connect.NotifyReceived, connect.NotifyEmail, connect.NoticeText{
			Subject: "Fleurs & Co: Bestellung A-17 eingegangen",
			Body: "Guten Tag Camille Martin,\n\nSwift Couriers hat Ihre Bestellung A-17 von Fleurs & Co erhalten. Wir benachrichtigen Sie, sobald sie unterwegs ist.\n\n" +
				"Sendung verfolgen: https://track.example/t/abc\n\nFleurs & Co, Zustellung durch Swift Couriers\n"}},
		{connect.English, connect.NotifyScheduled, connect.NotifyEmail, connect.NoticeText{
			Subject: "Fleurs & Co: Order A-17 is scheduled for delivery",
			Body: "Hello Camille Martin,\n\nYour order A-17 from Fleurs & Co is scheduled for delivery.\n\n" +
				"Track your delivery: https://track.example/t/abc\n\nFleurs & Co, delivered by Swift Couriers\n"}},
		{connect.Spanish, connect.NotifyEnRoute, connect.NotifyEmail, connect.NoticeText{
			Subject: "Fleurs & Co: Pedido A-17 en camino",
			Body: "Hola, Camille Martin:\n\nSu pedido A-17 de Fleurs & Co está en camino. Entrega prevista: lunes 7 de diciembre entre las 9:45 y las 10:30.\n\n" +
				"Siga su entrega: https://track.example/t/abc\n\nFleurs & Co, entrega a cargo de Swift Couriers\n"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.lang)+" "+string(tc.ev)+" by "+string(tc.ch), func(t *testing.T) {
			got, err := texts.WriteNotice(notice(tc.lang, tc.ev, tc.ch))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("text (-want +got):\n%s", d)
			}
		})
	}
}

// TestEveryNoticeIsWrittenInEveryLanguage: every event, channel and language
// gives a text with the order's reference and the link and nothing left of a
// template; one with no name, brand or link reads without them.
func TestEveryNoticeIsWrittenInEveryLanguage(t *testing.T) {
	texts := notices.New()
	for _, lang := range connect.Languages() {
		seen := map[string]connect.NotifyEvent{}
		for _, ev := range connect.NotifyEvents() {
			for _, ch := range []connect.NotifyChannel{connect.NotifyEmail, connect.NotifySMS} {
				n := notice(lang, ev, ch)
				if ev != connect.NotifyEnRoute && ev != connect.NotifyETAChanged {
					n.ETAFrom, n.ETATo = time.Time{}, time.Time{}
				}
				got, err := texts.WriteNotice(n)
				if err != nil {
					t.Fatalf("%s %s %s: %v", lang, ev, ch, err)
				}
				all := got.Subject + got.Body
				for _, want := range []string{"A-17", "Fleurs & Co", "https://track.example/t/abc"} {
					if !strings.Contains(all, want) {
						t.Errorf("%s %s %s: %q lacks %q", lang, ev, ch, all, want)
					}
				}
				if strings.Contains(all, "{{") || strings.Contains(all, "<no value>") || strings.Contains(all, "%!") {
					t.Errorf("%s %s %s: a template shows: %q", lang, ev, ch, all)
				}
				if (ch == connect.NotifyEmail) != (got.Subject != "") {
					t.Errorf("%s %s %s: subject %q", lang, ev, ch, got.Subject)
				}
				if ch == connect.NotifySMS {
					if prev, dup := seen[got.Body]; dup {
						t.Errorf("%s: %s and %s read the same: %q", lang, prev, ev, got.Body)
					}
					seen[got.Body] = ev
				}

				n.Recipient, n.Brand, n.TrackingURL, n.FailureReason = "", "", "", ""
				bare, err := texts.WriteNotice(n)
				if err != nil {
					t.Fatal(err)
				}
				all = bare.Subject + bare.Body
				if strings.Contains(all, "Swift") || strings.Contains(all, "http") || strings.Contains(all, "()") ||
					strings.Contains(all, "  ") || strings.Contains(all, " ,") || strings.Contains(all, "<no value>") {
					t.Errorf("%s %s %s without name, brand or link: %q", lang, ev, ch, all)
				}
			}
		}
	}
}

// TestTheMessageFilesHaveTheSameIDs: a translator who leaves an id out (or
// adds one) is told.
func TestTheMessageFilesHaveTheSameIDs(t *testing.T) {
	ids := func(path string) []string {
		var m map[string]any
		if _, err := toml.DecodeFile(path, &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	want := ids(filepath.Join("locales", "active.en.toml"))
	err := fs.WalkDir(os.DirFS("locales"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d := cmp.Diff(want, ids(filepath.Join("locales", path))); d != "" {
			t.Errorf("%s ids (-en +this):\n%s", path, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWhatCannotBeWritten: an unknown language, event or channel is refused.
func TestWhatCannotBeWritten(t *testing.T) {
	texts := notices.New()
	for name, n := range map[string]*connect.RecipientNotice{
		"language": notice("it", connect.NotifyDelivered, connect.NotifySMS),
		"event":    notice(connect.English, "lost", connect.NotifySMS),
		"channel":  notice(connect.English, connect.NotifyDelivered, "pigeon"),
	} {
		if _, err := texts.WriteNotice(n); !errors.Is(err, connect.ErrInvalid) {
			t.Errorf("an unknown %s: %v, want invalid", name, err)
		}
	}
}
