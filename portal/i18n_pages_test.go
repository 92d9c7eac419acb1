package portal_test

import (
	"context"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the test's zones, wherever it runs

	"github.com/BurntSushi/toml"
	"golang.org/x/net/html"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
	"github.com/dispatchkit/connect/portal"
)

// english reads the English message ids a language's file translates
// differently: the words that must not show on a page in that language.
func english(t *testing.T, lang string) map[string]bool {
	t.Helper()
	raw, err := fs.ReadFile(os.DirFS("locales"), "active."+lang+".toml")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := toml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for id, v := range file {
		if s, ok := v.(string); ok && s != id && !strings.Contains(id, "{{") {
			out[id] = true
		}
	}
	return out
}

// untranslated lists the texts and read attributes of a page that are English
// message ids with another translation in the language.
func untranslated(t *testing.T, page string, ids map[string]bool) []string {
	t.Helper()
	var left []string
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return left
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if s := strings.TrimSpace(tok.Data); ids[s] {
				left = append(left, s)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			for _, a := range tok.Attr {
				switch a.Key {
				case "placeholder", "title", "aria-label", "alt", "data-label":
					if ids[a.Val] {
						left = append(left, a.Key+"="+a.Val)
					}
				}
			}
		}
	}
}

// TestPagesSpeakTheBrowsersLanguage: the orders page, by the browser's
// Accept-Language, in French, German and Spanish, with no English left.
func TestPagesSpeakTheBrowsersLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Acme", uploads)
	for i := range 60 { // more than a page: the pager and "select all matching" show
		e.draft(tm.owner, "L-"+string(rune('A'+i/26))+string(rune('a'+i%26)))
	}
	for _, c := range []struct {
		accept, lang string
		words        []string
	}{
		{"fr-CH, fr;q=0.9, en;q=0.5", "fr", []string{"Commandes", "Brouillons", "Envoyer en livraison", "Tout sélectionner", "Rechercher", "Brouillon", "Page suivante"}},
		{"de-AT", "de", []string{"Aufträge", "Entwürfe", "Zur Zustellung übermitteln", "Alle auswählen", "Suchen", "Entwurf", "Nächste Seite"}},
		{"es-419,es;q=0.9", "es", []string{"Pedidos", "Borradores", "Enviar a reparto", "Seleccionar todo", "Buscar", "Borrador", "Página siguiente"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			b := e.signedIn(tm.email)
			b.header.Set("Accept-Language", c.accept)
			for _, path := range []string{"/orders?view=drafts", "/home", "/settings/team", "/settings/account", "/settings/integrations"} {
				r := b.get(path).is(t, 200)
				if path == "/orders?view=drafts" {
					r.has(t, append([]string{`<html lang="` + c.lang + `">`}, c.words...)...)
				}
				if left := untranslated(t, r.body, english(t, c.lang)); len(left) > 0 {
					t.Errorf("%s in %s still says, in English: %q", path, c.lang, left)
				}
				if got := r.header.Get("Content-Language"); got != c.lang {
					t.Errorf("%s: Content-Language = %q, want %q", path, got, c.lang)
				}
			}
		})
	}
	// A browser asking for a language the portal does not speak gets English.
	b := e.signedIn(tm.email)
	b.header.Set("Accept-Language", "ja, zh;q=0.8")
	b.get("/orders?view=drafts").is(t, 200).has(t, `<html lang="en">`, "Submit for delivery", "Select all")
}

// TestTheMembersChoiceOfLanguageWins: Settings → Your account stores the
// member's language, which then outranks the browser's; "" gives it back.
func TestTheMembersChoiceOfLanguageWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Acme", uploads)
	e.draft(tm.owner, "M-1")
	b := e.signedIn(tm.email)
	b.header.Set("Accept-Language", "fr")
	b.get("/settings/account").is(t, 200).has(t, "Langue du portail", `<option value="de" lang="de">Deutsch</option>`)
	page := b.follow(b.post("/settings/account/language", url.Values{"language": {"de"}}))
	page.has(t, `<html lang="de">`, "Sprache gespeichert.", `<option value="de" lang="de" selected>Deutsch</option>`)
	b.get("/orders?view=drafts").has(t, `<html lang="de">`, "Zur Zustellung übermitteln").lacks(t, "Envoyer en livraison")
	members, err := e.svc.Members(e.ctx, tm.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	if members[0].Language != "de" {
		t.Fatalf("stored language = %q, want de", members[0].Language)
	}
	// Another browser of the same member speaks German too.
	other := e.signedIn(tm.email)
	other.header.Set("Accept-Language", "es")
	other.get("/home").has(t, `<html lang="de">`)
	// Back to the browser's.
	b.follow(b.post("/settings/account/language", url.Values{"language": {""}})).has(t, `<html lang="fr">`, "Langue enregistrée.")
	b.post("/settings/account/language", url.Values{"language": {"tlh"}}).is(t, 422)
}

// TestPagesWithoutAMemberSpeakTheBrowsersLanguage: sign-in, password reset and
// the tracking page follow Accept-Language, and ?lang= (kept in a cookie).
func TestPagesWithoutAMemberSpeakTheBrowsersLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	b.header.Set("Accept-Language", "es-ES")
	b.get("/signin").is(t, 200).has(t, `<html lang="es">`, "Iniciar sesión", "Contraseña", "¿Has olvidado la contraseña?").lacks(t, "Forgot password?")
	b.get("/signin/forgot").has(t, "Contraseña olvidada", "Enviar el enlace")
	b.get("/signin?lang=de").has(t, `<html lang="de">`, "Anmelden", "Passwort vergessen?")
	b.get("/signin").has(t, `<html lang="de">`) // the cookie keeps it

	tm := e.signUp("Acme", uploads)
	o := e.draft(tm.owner, "T-1")
	link, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link.URL, e.base)
	r := e.browser()
	r.header.Set("Accept-Language", "fr")
	r.get(path).is(t, 200).has(t, `<html lang="fr">`, "Votre livraison", "Commande T-1", "Statut", "Commande reçue")
}

// TestTimesAreInTheAccountsZone: the server writes times in the account's
// time zone (connect.Config.AccountLocation), naming it, with the month's name
// in the reader's language.
func TestTimesAreInTheAccountsZone(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOnWorld(t, "", []connecttest.Option{connecttest.WithConfig(func(c *connect.Config) {
		c.AccountLocation = func(context.Context, connect.AccountID) (*time.Location, error) { return tokyo, nil }
	})})
	tm := e.signUp("Acme", uploads)
	o := e.draft(tm.owner, "Z-1")
	at := o.CreatedAt.In(tokyo)
	b := e.signedIn(tm.email)
	en := at.Format("2 Jan 2006, 15:04") + " JST"
	b.get("/orders/"+string(o.ID)).is(t, 200).has(t, en, `datetime="`+o.CreatedAt.UTC().Format(time.RFC3339)+`"`)
	b.header.Set("Accept-Language", "fr")
	frMonths := []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	fr := strings.Join([]string{at.Format("2"), frMonths[at.Month()-1], at.Format("2006"), "à", at.Format("15:04"), "JST"}, " ")
	b.get("/orders/"+string(o.ID)).has(t, fr)
	b.header.Set("Accept-Language", "de")
	deMonths := []string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."}
	de := at.Format("2") + ". " + deMonths[at.Month()-1] + " " + at.Format("2006, 15:04") + " JST"
	b.get("/orders/"+string(o.ID)).has(t, de)
	// The dispatcher's console writes the account's zone too.
	e.dispatcher().get("/dispatch/clients").is(t, 200)
}

// brandOf is a Config.Brand of one brand for every account.
func brandOf(b portal.Brand) envOption {
	return func(c *portal.Config) {
		c.Brand = func(context.Context, connect.AccountID) (portal.Brand, error) { return b, nil }
	}
}

// TestTheDispatchersBrandIsOnItsPages: the client portal's header, the
// console's and the tracking page carry the dispatcher's logo, name and
// colour, its text in white or black at 4.5:1 or more.
func TestTheDispatchersBrandIsOnItsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, brandOf(portal.Brand{Name: "Swift Couriers", LogoURL: "https://cdn.example/swift.png", Accent: "#0A7D4F"}))
	tm := e.signUp("Acme", uploads)
	o := e.draft(tm.owner, "B-1")
	b := e.signedIn(tm.email)
	logo := `<img src="https://cdn.example/swift.png" alt="" class="logo" height="32">`
	b.get("/home").is(t, 200).has(t, `<header class="top branded">`, `href="/brand/0a7d4f.css"`, logo, `<span id="brand-name">Swift Couriers</span>`)
	e.dispatcher().get("/dispatch/clients").is(t, 200).has(t, `<header class="top branded">`, logo, "Swift Couriers · Dispatch")

	css := b.get("/brand/0a7d4f.css").is(t, 200)
	if ct := css.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("Content-Type %q", ct)
	}
	css.has(t, "header.top.branded{background:#0a7d4f;color:#ffffff;")
	b.get("/brand/0a7d4g.css").is(t, 404)
	b.get("/brand/red.css").is(t, 404)

	link, err := e.svc.CreateTrackingLink(e.ctx, tm.owner, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.browser().get(strings.TrimPrefix(link.URL, e.base)).is(t, 200).has(t, `<header class="top branded">`, logo,
		`<span id="brand-name">Swift Couriers</span>`, "Your delivery from Acme", "delivered by Swift Couriers")
}

// TestTextOnABrandsColourContrasts: whatever the colour, its text is at 4.5:1
// or more (WCAG 2.2, 1.4.3).
func TestTextOnABrandsColourContrasts(t *testing.T) {
	for _, accent := range []string{"#0a7d4f", "#ffcc00", "#777777", "#767676", "#808080", "#000000", "#ffffff", "#e4002b", "#1e90ff", "#ff00ff", "#00ff00", "#3c3c3c"} {
		text := portal.TextOn(accent)
		if r := contrast(t, text, accent); r < 4.5 {
			t.Errorf("%s on %s: %.2f:1, under 4.5:1", text, accent, r)
		}
	}
}

// TestABrandsBadColourOrLogoIsLeftOut: an accent that is not #rrggbb and a
// logo that is not https are left out, not written into the page.
func TestABrandsBadColourOrLogoIsLeftOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, brandOf(portal.Brand{Name: "Odd Couriers", LogoURL: "javascript:alert(1)", Accent: "red;}body{display:none"}))
	tm := e.signUp("Acme", uploads)
	e.signedIn(tm.email).get("/home").is(t, 200).has(t, `<header class="top">`, "Odd Couriers").lacks(t, "javascript:", "/brand/", `class="logo"`)
}
