package pdf

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// A document is written in the language its Language field names (a BCP 47
// tag such as "fr" or "de-CH", matched to the nearest of English, French,
// German and Spanish; "" or another: English): its words from the tables
// below, its dates with the language's month names. What people typed (names,
// notes, reasons) is written as they typed it.

// lang is a document's language.
type lang struct {
	words  map[string]string // the English words' translations; nil for English
	months [12]string        // full month names
	short  [12]string        // abbreviated, as dates write them
	// dayFirst writes a day's date: "2 Jan 2006", "2. Jan. 2006", …
	dayFirst func(day int, month string, year int) string
	// monthYear writes a month: "January 2006", "enero de 2006".
	monthYear func(month string, year int) string
}

var documentLanguages = []language.Tag{language.English, language.French, language.German, language.Spanish}

var languageMatcher = language.NewMatcher(documentLanguages)

var english = lang{
	months:    [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	short:     [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	dayFirst:  func(d int, m string, y int) string { return fmt.Sprintf("%d %s %d", d, m, y) },
	monthYear: func(m string, y int) string { return fmt.Sprintf("%s %d", m, y) },
}

var languages = map[language.Tag]lang{
	language.English: english,
	language.French: {
		words:     french,
		months:    [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		short:     [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
		dayFirst:  func(d int, m string, y int) string { return fmt.Sprintf("%d %s %d", d, m, y) },
		monthYear: func(m string, y int) string { return fmt.Sprintf("%s %d", m, y) },
	},
	language.German: {
		words:     german,
		months:    [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		short:     [12]string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
		dayFirst:  func(d int, m string, y int) string { return fmt.Sprintf("%d. %s %d", d, m, y) },
		monthYear: func(m string, y int) string { return fmt.Sprintf("%s %d", m, y) },
	},
	language.Spanish: {
		words:     spanish,
		months:    [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		short:     [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
		dayFirst:  func(d int, m string, y int) string { return fmt.Sprintf("%d %s %d", d, m, y) },
		monthYear: func(m string, y int) string { return fmt.Sprintf("%s de %d", m, y) },
	},
}

// langOf is the language a document's tag names.
func langOf(tag string) lang {
	if tag == "" {
		return english
	}
	t, err := language.Parse(tag)
	if err != nil {
		return english
	}
	_, i, conf := languageMatcher.Match(t)
	if conf == language.No {
		return english
	}
	return languages[documentLanguages[i]]
}

// t is the English words in the language; a format's verbs are kept.
func (l lang) t(en string) string {
	if w, ok := l.words[en]; ok {
		return w
	}
	return en
}

// f formats the English format's translation.
func (l lang) f(en string, args ...any) string { return fmt.Sprintf(l.t(en), args...) }

// day writes t's date: "30 Nov 2026", "30 nov. 2026", "30. Nov. 2026".
func (l lang) day(t time.Time) string {
	return l.dayFirst(t.Day(), l.short[t.Month()-1], t.Year())
}

// dateTime writes t's date and time of day with its zone: "30 Nov 2026 15:05 CET".
func (l lang) dateTime(t time.Time) string {
	return l.day(t) + " " + t.Format("15:04 MST")
}

// month writes t's month: "November 2026", "noviembre de 2026".
func (l lang) month(t time.Time) string {
	return l.monthYear(l.months[t.Month()-1], t.Year())
}

// status is a status as the documents name it, capitalised.
func (l lang) status(label string) string { return capital(l.t(capital(label))) }

// capital returns s with its first letter in upper case.
func capital(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}
