package pdf

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEveryDocumentWordIsTranslated fails when the code writes words (through
// lang.t or lang.f) that a language lacks, or a language has words the others
// do not.
func TestEveryDocumentWordIsTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	call := regexp.MustCompile(`\b(?:l|lg|langOf\([^)]*\))\.[tf]\("((?:[^"\\]|\\.)*)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 40 {
		t.Fatalf("found only %d words in the code: is the pattern still right?", len(used))
	}
	for name, words := range map[string]map[string]string{"French": french, "German": german, "Spanish": spanish} {
		for en := range used {
			if words[en] == "" {
				t.Errorf("%s lacks %q", name, en)
			}
		}
		for en, w := range words {
			if _, ok := french[en]; !ok {
				t.Errorf("%s has %q, which French lacks", name, en)
			}
			if strings.Count(en, "%") != strings.Count(w, "%") {
				t.Errorf("%s: %q and %q have different verbs", name, en, w)
			}
		}
	}
	// The statuses are named through lang.status.
	for _, st := range []string{"Draft", "Submitted", "Scheduled", "En route", "Delivered", "Failed", "Cancelled", "Unknown"} {
		if french[st] == "" || german[st] == "" || spanish[st] == "" {
			t.Errorf("the status %q is not translated", st)
		}
	}
}

func TestDocumentLanguagesMatchTheNearest(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 5, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ tag, day, month, word string }{
		{"", "30 Nov 2026", "November 2026", "Proof of delivery"},
		{"en-GB", "30 Nov 2026", "November 2026", "Proof of delivery"},
		{"fr", "30 nov. 2026", "novembre 2026", "Preuve de livraison"},
		{"fr-CA", "30 nov. 2026", "novembre 2026", "Preuve de livraison"},
		{"de-CH", "30. Nov. 2026", "November 2026", "Zustellnachweis"},
		{"es-MX", "30 nov 2026", "noviembre de 2026", "Comprobante de entrega"},
		{"pt-BR", "30 Nov 2026", "November 2026", "Proof of delivery"},
		{"not a tag!", "30 Nov 2026", "November 2026", "Proof of delivery"},
	} {
		l := langOf(tc.tag)
		got := []string{l.day(at), l.month(at), l.t("Proof of delivery")}
		if want := []string{tc.day, tc.month, tc.word}; !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", tc.tag, got, want)
		}
	}
	if got := langOf("de").status("en route"); got != "Unterwegs" {
		t.Errorf("German en route: %q", got)
	}
}
