// Package notices writes the notices connect sends recipients (connect.NoticeTexts)
// in English, French, German and Spanish, from go-i18n message files
// (locales/active.<lang>.toml): one file per language with the same message
// ids, so a translator edits text, never code.
//
//	svc, err := connect.New(connect.Config{Store: st, Notices: notices.New(), SMS: mySMS, ...})
package notices

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/dispatchkit/connect"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var locales embed.FS

// Texts writes recipient notices. Make one with New; it is safe for
// concurrent use.
type Texts struct {
	bundle *i18n.Bundle
}

var _ connect.NoticeTexts = (*Texts)(nil)

// New returns the writer of notices in every language of connect.Languages.
// It panics if a message file does not parse: they are compiled in, so a test
// catches that.
func New() *Texts {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range connect.Languages() {
		if _, err := b.LoadMessageFileFS(locales, "locales/active."+string(l)+".toml"); err != nil {
			panic(fmt.Sprintf("notices: %v", err))
		}
	}
	return &Texts{bundle: b}
}

// WriteNotice writes n for its channel in its language: for email a subject
// ("<client>: <what happened>") and a body with a greeting, what happened,
// the tracking link and the sender; for SMS one line with the client's name
// and the link.
func (t *Texts) WriteNotice(n *connect.RecipientNotice) (connect.NoticeText, error) {
	if !slices.Contains(connect.Languages(), n.Language) {
		return connect.NoticeText{}, connect.Errorf(connect.Invalid, "notices: no texts in language %q", n.Language)
	}
	if !slices.Contains(connect.NotifyEvents(), n.Event) {
		return connect.NoticeText{}, connect.Errorf(connect.Invalid, "notices: no text for event %q", n.Event)
	}
	w := &writer{l: i18n.NewLocalizer(t.bundle, string(n.Language)), lang: n.Language, loc: n.Location}
	if w.loc == nil {
		w.loc = time.UTC
	}
	data := map[string]any{"Ref": n.OrderRef, "Client": n.ClientName, "Brand": n.Brand, "Name": n.Recipient,
		"Link": n.TrackingURL, "Reason": n.FailureReason}
	if !n.ETAFrom.IsZero() {
		data["Window"] = w.say("window", map[string]any{"Day": w.day(n.ETAFrom), "From": w.clock(n.ETAFrom), "To": w.clock(n.ETATo)})
	}
	if !n.At.IsZero() {
		data["When"] = w.say("when", map[string]any{"Day": w.day(n.At), "Time": w.clock(n.At)})
	}
	data["Text"] = w.say("text_"+string(n.Event), data)
	if n.TrackingURL != "" {
		data["Track"] = w.say("track", data)
	}
	if w.err != nil {
		return connect.NoticeText{}, w.err
	}
	switch n.Channel {
	case connect.NotifySMS:
		return connect.NoticeText{Body: w.say("sms", data)}, w.err
	case connect.NotifyEmail:
		greeting := w.say("greeting", data)
		if n.Recipient != "" {
			greeting = w.say("greeting_name", data)
		}
		parts := []string{greeting, data["Text"].(string)}
		if n.TrackingURL != "" {
			parts = append(parts, data["Track"].(string))
		}
		parts = append(parts, w.say("signoff", data))
		subject := n.ClientName + ": " + w.say("subject_"+string(n.Event), data)
		return connect.NoticeText{Subject: subject, Body: strings.Join(parts, "\n\n") + "\n"}, w.err
	}
	return connect.NoticeText{}, connect.Errorf(connect.Invalid, "notices: no texts for channel %q", n.Channel)
}

// writer localizes the messages of one notice, keeping the first error.
type writer struct {
	l    *i18n.Localizer
	lang connect.Language
	loc  *time.Location
	err  error
}

// say returns the message id with data in the notice's language.
func (w *writer) say(id string, data map[string]any) string {
	s, err := w.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil && w.err == nil {
		w.err = connect.Errorf(connect.Internal, "notices: message %s in %s: %w", id, w.lang, err)
	}
	return s
}

// day writes t's date with its weekday ("Monday 7 December").
func (w *writer) day(t time.Time) string {
	t = t.In(w.loc)
	return w.say("day", map[string]any{
		"Weekday": w.say(fmt.Sprintf("weekday_%d", t.Weekday()), nil),
		"Date":    t.Day(),
		"Month":   w.say(fmt.Sprintf("month_%d", t.Month()), nil),
	})
}

// clock writes t's time of day as the language writes it: 9:45 am, 9h45,
// 9:45.
func (w *writer) clock(t time.Time) string {
	t = t.In(w.loc)
	switch w.lang {
	case connect.English:
		return t.Format("3:04 pm")
	case connect.French:
		return fmt.Sprintf("%dh%02d", t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%d:%02d", t.Hour(), t.Minute())
}
