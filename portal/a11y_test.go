package portal_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dispatchkit/connect/portal"
)

// TestTextContrastIsAtLeast4_5To1 reads the colours of portal.css and checks
// the pairs the pages put text in (WCAG 2.2, 1.4.3: 4.5:1 for body text):
// links and muted text on the grey page and on white cards, white on buttons.
func TestTextContrastIsAtLeast4_5To1(t *testing.T) {
	css, err := os.ReadFile("static/portal.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"white": "#ffffff"}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, pair := range [][2]string{
		{"accent", "bg"}, {"accent", "white"}, {"muted", "bg"}, {"muted", "white"}, {"fg", "bg"},
		{"white", "accent"}, {"white", "danger"}, {"danger", "white"}, {"danger", "bg"}, {"ok", "white"}, {"warn", "white"},
	} {
		fg, bg := vars[pair[0]], vars[pair[1]]
		if fg == "" || bg == "" {
			t.Fatalf("portal.css has no --%s or --%s", pair[0], pair[1])
		}
		if r := contrast(t, fg, bg); r < 4.5 {
			t.Errorf("%s (%s) on %s (%s): %.2f:1, under 4.5:1", pair[0], fg, pair[1], bg, r)
		}
	}
}

// contrast is WCAG's contrast ratio of two sRGB colours #rrggbb.
func contrast(t *testing.T, a, b string) float64 {
	t.Helper()
	for _, c := range []string{a, b} {
		if len(c) != 7 || c[0] != '#' {
			t.Fatalf("%q is not #rrggbb", c)
		}
	}
	return portal.ContrastRatio(a, b)
}

// TestPagesStartWithASkipLink: the first thing a keyboard reaches on every
// page is a link past the header to the main content.
func TestPagesStartWithASkipLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := e.signUp("Green Grocer", uploads)
	b := e.signedIn(tm.email)
	for _, page := range []response{b.get("/home"), b.get("/orders"), e.browser().get("/signin"), e.dispatcher().get("/dispatch/clients")} {
		page.is(t, http.StatusOK).has(t, `id="main"`)
		_, body, _ := strings.Cut(page.body, "<body")
		first := regexp.MustCompile(`<(a|button|input|select|textarea)\b[^>]*>`).FindString(body)
		if !strings.Contains(first, `class="skip-link"`) || !strings.Contains(first, `href="#main"`) {
			t.Errorf("the first focusable element is %s", first)
		}
	}
}
