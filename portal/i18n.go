package portal

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	xmessage "golang.org/x/text/message"

	"github.com/dispatchkit/connect"
)

// The portal speaks English (the source: message ids are the English text),
// French, German and Spanish. Translations are go-i18n message files
// (locales/active.LANG.toml), keyed by the English text; a template says
// {{t "Submit for delivery"}}, Go code s.t(r, "Order saved.") (see render.go).
// A message with arguments names them as go-i18n templates do:
// {{t "Order {{.Ref}}" "Ref" (ref .O)}}; a count picks the plural form:
// {{tn "Import {{.Count}} order" "Import {{.Count}} orders" .N}}.

//go:embed locales/*.toml
var localeFS embed.FS

// languages are the languages the portal speaks, English (the fallback) first.
var languages = []language.Tag{language.English, language.French, language.German, language.Spanish}

// languageNames are the languages as their speakers write them, for the selector.
var languageNames = map[language.Tag]string{
	language.English: "English", language.French: "Français",
	language.German: "Deutsch", language.Spanish: "Español",
}

var langMatcher = language.NewMatcher(languages)

// langCookie keeps the language a person chose with ?lang= on pages without a
// member (sign-in, invites, tracking).
const langCookie = "connect_lang"

var bundle = func() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(localeFS, "locales/*.toml")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(localeFS, f); err != nil {
			panic(fmt.Sprintf("portal: %s: %v", f, err))
		}
	}
	return b
}()

// supported returns the portal's language for a tag, and whether it speaks
// it (a base language match: "fr-CA" is French).
func supported(s string) (language.Tag, bool) {
	if s == "" {
		return language.English, false
	}
	t, err := language.Parse(s)
	if err != nil {
		return language.English, false
	}
	base, _ := t.Base()
	for _, l := range languages {
		if b, _ := l.Base(); b == base {
			return l, true
		}
	}
	return language.English, false
}

// language picks the request's language: ?lang= (kept in a cookie), the
// member's choice, the cookie, the browser's Accept-Language, else English.
func (s *server) language(r *http.Request) language.Tag {
	if t, ok := supported(r.URL.Query().Get("lang")); ok {
		return t
	}
	if v := viewerFrom(r.Context()); v != nil && v.Member != nil {
		if t, ok := supported(v.Member.Language); ok {
			return t
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if t, ok := supported(c.Value); ok {
			return t
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return language.English
	}
	return languages[i]
}

// keepLanguage remembers ?lang= in a cookie, so the next pages speak it too.
func (s *server) keepLanguage(w http.ResponseWriter, r *http.Request) {
	if t, ok := supported(r.URL.Query().Get("lang")); ok {
		http.SetCookie(w, s.cookie(langCookie, t.String(), 365*24*time.Hour))
	}
}

// zone is the time zone a request's pages write times in: the account's
// (connect.Service.AccountLocation) for a member or a dispatcher, else UTC.
func (s *server) zone(r *http.Request) *time.Location {
	var a *connect.Actor
	if v := viewerFrom(r.Context()); v != nil {
		a = &v.Actor
	} else if d := dispatcherFrom(r.Context()); d != nil {
		a = d
	}
	if a == nil {
		return time.UTC
	}
	loc, err := s.svc.AccountLocation(r.Context(), *a)
	if err != nil {
		s.log.WarnContext(r.Context(), "portal: account time zone", "err", err)
		return time.UTC
	}
	return loc
}

// locale is one language in one time zone: how a page says things.
type locale struct {
	tag  language.Tag
	l    *i18n.Localizer
	p    *xmessage.Printer
	zone *time.Location
}

var locales sync.Map // language.Tag → *locale (in UTC)

func localeOf(tag language.Tag, zone *time.Location) *locale {
	if zone == nil {
		zone = time.UTC
	}
	v, ok := locales.Load(tag)
	if !ok {
		v, _ = locales.LoadOrStore(tag, &locale{tag: tag, l: i18n.NewLocalizer(bundle, tag.String()), p: xmessage.NewPrinter(tag), zone: time.UTC})
	}
	l := v.(*locale)
	if zone == time.UTC {
		return l
	}
	c := *l
	c.zone = zone
	return &c
}

// english is the portal's source language in UTC.
var english = localeOf(language.English, time.UTC)

// loc is the request's locale.
func (s *server) loc(r *http.Request) *locale { return localeOf(s.language(r), s.zone(r)) }

// t translates a message of the portal's Go code for the request's reader
// (its times, if any, in UTC: the account's zone is not looked up for it).
func (s *server) t(r *http.Request, id string, args ...any) string {
	return localeOf(s.language(r), time.UTC).T(id, args...)
}

// tn translates a counted message for the request's reader.
func (s *server) tn(r *http.Request, one, other string, n int, args ...any) string {
	return localeOf(s.language(r), time.UTC).N(one, other, n, args...)
}

// msg marks a message id kept in a table and translated where it is shown
// (the translations test finds ids through it).
func msg(id string) string { return id }

// Lang is the BCP 47 tag of the locale's language ("fr"), for <html lang>.
func (l *locale) Lang() string { return l.tag.String() }

// T translates a message with its arguments (name, value pairs).
func (l *locale) T(id string, args ...any) string {
	return l.localize(id, "", nil, l.data(args, nil))
}

// N translates a counted message: one and other are its English forms; Count
// is n, written the locale's way.
func (l *locale) N(one, other string, n int, args ...any) string {
	d := l.data(args, nil)
	d["Count"] = l.Num(n)
	return l.localize(other, one, n, d)
}

// HTML translates a message for a template: its text escaped, its arguments
// escaped unless they are template.HTML (a <time> element, say).
func (l *locale) HTML(id, one string, count any, args []any) template.HTML {
	var raws []string
	d := l.data(args, &raws)
	if count != nil {
		n := toInt(count)
		raws = append(raws, template.HTMLEscapeString(l.Num(n)))
		d["Count"] = marker(len(raws) - 1)
		count = n
	}
	out := template.HTMLEscapeString(l.localize(id, one, count, d))
	for i, v := range raws {
		out = strings.Replace(out, marker(i), v, -1)
	}
	return template.HTML(out)
}

// marker stands for an argument while the text around it is escaped: private
// use characters, which escaping leaves alone.
func marker(i int) string { return "\ue000" + strconv.Itoa(i) + "\ue001" }

// data makes a message's template data from name, value pairs; with raws,
// each value becomes a marker and its escaped HTML is appended to raws.
func (l *locale) data(args []any, raws *[]string) map[string]any {
	d := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		k := fmt.Sprint(args[i])
		v := args[i+1]
		var s string
		var h template.HTML
		switch x := v.(type) {
		case template.HTML:
			h, s = x, string(x)
		case int:
			s = l.Num(x)
		case int64:
			s = l.Num(int(x))
		case time.Time:
			s = l.Time(x)
		default:
			s = fmt.Sprint(v)
		}
		if raws == nil {
			d[k] = s
			continue
		}
		if h == "" {
			h = template.HTML(template.HTMLEscapeString(s))
		}
		*raws = append(*raws, string(h))
		d[k] = marker(len(*raws) - 1)
	}
	return d
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case int32:
		return int(x)
	}
	n, _ := strconv.Atoi(fmt.Sprint(v))
	return n
}

// plain caches translations of messages without arguments (most of a page).
var plain sync.Map // plainKey → string

type plainKey struct {
	tag language.Tag
	id  string
}

func (l *locale) localize(id, one string, count any, data map[string]any) string {
	cacheable := count == nil && len(data) == 0
	if cacheable {
		if v, ok := plain.Load(plainKey{l.tag, id}); ok {
			return v.(string)
		}
	}
	cfg := &i18n.LocalizeConfig{DefaultMessage: &i18n.Message{ID: id, One: one, Other: id}, TemplateData: data, PluralCount: count}
	if one == "" {
		cfg.DefaultMessage.One = ""
	}
	out, err := l.l.Localize(cfg)
	if err != nil || out == "" {
		out = id // a message go-i18n cannot read is shown as written
	}
	if cacheable {
		plain.Store(plainKey{l.tag, id}, out)
	}
	return out
}

// Num writes an integer the locale's way: 20,000 · 20 000 · 20.000.
func (l *locale) Num(n int) string { return l.p.Sprintf("%d", n) }

// Time writes a time in the locale's zone with its month's name and the zone:
// "4 Dec 2026, 09:30 GMT", "4 déc. 2026, 09:30 UTC".
func (l *locale) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.zone)
	return l.T("{{.Day}} {{.Month}} {{.Year}}, {{.Clock}} {{.Zone}}",
		"Day", strconv.Itoa(t.Day()), "Month", l.T(months[t.Month()-1]), "Year", strconv.Itoa(t.Year()),
		"Clock", t.Format("15:04"), "Zone", t.Format("MST"))
}

// Date writes a day the locale's way, without the time: "4 Dec 2026".
func (l *locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.zone)
	return l.T("{{.Day}} {{.Month}} {{.Year}}", "Day", strconv.Itoa(t.Day()), "Month", l.T(months[t.Month()-1]), "Year", strconv.Itoa(t.Year()))
}

// Month writes a month and its year: "December 2026", "décembre 2026".
func (l *locale) Month(t time.Time) string {
	return l.T("{{.Month}} {{.Year}}", "Month", l.T(monthNames[t.Month()-1]), "Year", strconv.Itoa(t.Year()))
}

// Clock writes the time of day alone, in the locale's zone: "09:30".
func (l *locale) Clock(t time.Time) string { return t.In(l.zone).Format("15:04") }

// The months as dates show them (short) and as a statement names them.
var (
	months = [12]string{msg("Jan"), msg("Feb"), msg("Mar"), msg("Apr"), msg("May"), msg("Jun"),
		msg("Jul"), msg("Aug"), msg("Sep"), msg("Oct"), msg("Nov"), msg("Dec")}
	// May is May either way; Spanish dates then say "4 mayo 2026".
	monthNames = [12]string{msg("January"), msg("February"), msg("March"), msg("April"), msg("May"), msg("June"),
		msg("July"), msg("August"), msg("September"), msg("October"), msg("November"), msg("December")}
)
