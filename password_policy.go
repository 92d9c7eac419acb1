package connect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Password rules, after NIST SP 800-63B (5.1.1.2): long enough to resist
// guessing, short enough to bound hashing; not a password attackers try first
// (a common one, repeated or sequential characters); not made of what an
// attacker knows of the person (their email, their name, their company's name).
// No rules of composition (a digit, a capital): they make passwords harder to
// remember, not to guess.
const (
	minPasswordLen = 10
	maxPasswordLen = 200
)

// PasswordList is a list of passwords people may not choose, compared without
// case. ReadPasswordList makes one; Config.CommonPasswords sets the Service's.
type PasswordList struct {
	set map[string]struct{}
}

// Contains reports whether the list has the password (without case).
func (l *PasswordList) Contains(password string) bool {
	if l == nil {
		return false
	}
	_, ok := l.set[strings.ToLower(password)]
	return ok
}

// Len is the number of passwords in the list.
func (l *PasswordList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.set)
}

// ReadPasswordList reads a list of passwords, one a line, plain or gzip
// compressed (such as SecLists' 10-million-password-list-top-100000.txt). Lines
// shorter than the shortest password allowed are skipped: the length rule
// refuses them already. Errors: ErrInvalid when the text cannot be read.
func ReadPasswordList(r io.Reader) (*PasswordList, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, Errorf(Invalid, "reading the password list: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	l := &PasswordList{set: map[string]struct{}{}}
	sc := bufio.NewScanner(br)
	for sc.Scan() {
		pw := strings.TrimRight(sc.Text(), "\r")
		if utf8.RuneCountInString(pw) >= minPasswordLen {
			l.set[strings.ToLower(pw)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, Errorf(Invalid, "reading the password list: %w", err)
	}
	return l, nil
}

// builtinPasswords is the list the Service uses when Config.CommonPasswords is
// nil: the 100,000 passwords most often found in breaches, as the UK National
// Cyber Security Centre published them from Have I Been Pwned's Pwned Passwords
// (PwnedPasswordsTop100k.txt, in rank order), then a few more common ones of ten
// characters or more; gzip compressed. Only those of ten characters or more are
// kept in memory: the length rule refuses the others.
//
//go:embed password_common.txt.gz
var builtinPasswordsGz []byte

var builtinPasswords = sync.OnceValue(func() *PasswordList {
	l, err := ReadPasswordList(bytes.NewReader(builtinPasswordsGz))
	if err != nil {
		panic("connect: the embedded password list: " + err.Error())
	}
	return l
})

// knownText is what an attacker may know of a person, and how to name it.
type knownText struct{ what, text string }

// aboutPerson is what may be known of a person signing up or changing their password.
func aboutPerson(email, name, company string) []knownText {
	return []knownText{{"your email address", email}, {"your name", name}, {"your company's name", company}}
}

// checkPassword refuses a password the rules do not allow, saying why.
func (s *Service) checkPassword(pw string, known []knownText) error {
	reason := ""
	switch n := utf8.RuneCountInString(pw); {
	case n < minPasswordLen || n > maxPasswordLen:
		reason = fmt.Sprintf("must have %d to %d characters", minPasswordLen, maxPasswordLen)
	case s.commonPasswords.Contains(pw) || s.commonPasswords.Contains(strings.TrimSpace(pw)):
		reason = "is one of the most common passwords, which attackers try first: choose another"
	case repetitive(pw):
		reason = "is only repeated or sequential characters, which attackers try first: choose another"
	default:
		if k := madeOf(pw, known); k != "" {
			reason = fmt.Sprintf("is made of %s, which others may know: choose another", k)
		}
	}
	if reason == "" {
		return nil
	}
	return InvalidFields([]FieldError{{Field: "password", Reason: reason}})
}

// fold lowers s and keeps only its letters and digits.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// repetitive reports a password of fewer than four different characters, of a
// short unit repeated ("abcabcabca"), or of one run up or down ("abcdefghij",
// "9876543210").
func repetitive(pw string) bool {
	r := []rune(strings.ToLower(pw))
	distinct := map[rune]bool{}
	for _, c := range r {
		distinct[c] = true
	}
	if len(distinct) < 4 {
		return true
	}
	for unit := 1; unit <= 4; unit++ {
		if repeats(r, unit) {
			return true
		}
	}
	return steps(r, 1) || steps(r, -1)
}

func repeats(r []rune, unit int) bool {
	for i := unit; i < len(r); i++ {
		if r[i] != r[i-unit] {
			return false
		}
	}
	return true
}

func steps(r []rune, step rune) bool {
	for i := 1; i < len(r); i++ {
		if r[i]-r[i-1] != step {
			return false
		}
	}
	return true
}

// madeOf names what a password is built from, of what is known: once every
// part of it (an email's name and domain; a name whole and each of its words,
// of three letters or more) is taken out of the password, and its digits and
// punctuation too, fewer than four letters are left. "" when it is not.
func madeOf(pw string, known []knownText) string {
	p := fold(pw)
	found := ""
	for _, k := range known {
		text := strings.TrimSpace(k.text)
		if text == "" {
			continue
		}
		var parts []string
		if local, domain, ok := strings.Cut(text, "@"); ok {
			host, _, _ := strings.Cut(domain, ".")
			parts = append(parts, fold(domain), fold(host))
			text = local
		}
		parts = append(parts, fold(text))
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			parts = append(parts, fold(w))
		}
		before := p
		for _, part := range parts {
			if utf8.RuneCountInString(part) >= 3 {
				p = strings.ReplaceAll(p, part, "")
			}
		}
		if p != before && found == "" {
			found = k.what
		}
	}
	letters := 0
	for _, r := range p {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if found != "" && letters < 4 {
		return found
	}
	return ""
}
