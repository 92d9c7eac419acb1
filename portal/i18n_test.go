package portal

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
)

// translatedLanguages are the languages every message needs a translation in.
var translatedLanguages = []string{"fr", "de", "es"}

// untranslatable are texts a template may show as they are: a paper size,
// products and file formats.
var untranslatable = map[string]bool{"A4": true, "Shopify": true, "CSV": true, "Excel": true}

// visibleAttrs are the attributes people read (or hear).
var visibleAttrs = map[string]bool{"placeholder": true, "title": true, "aria-label": true, "alt": true,
	"data-confirm": true, "data-label": true, "data-copied": true}

// maskActions replaces every {{…}} action of a template's text with nothing,
// keeping quoted strings inside actions whole (a message's own {{.Name}}).
func maskActions(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		if !strings.HasPrefix(src[i:], "{{") {
			b.WriteByte(src[i])
			i++
			continue
		}
		j := i + 2
		for j < len(src) && !strings.HasPrefix(src[j:], "}}") {
			switch src[j] {
			case '"':
				for j++; j < len(src) && src[j] != '"'; j++ {
					if src[j] == '\\' {
						j++
					}
				}
			case '`':
				for j++; j < len(src) && src[j] != '`'; j++ {
				}
			}
			j++
		}
		i = j + 2
	}
	return b.String()
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// TestTemplatesTranslateEveryText fails on text people read in a template that
// does not come through t or tn (render.go), and on a message of the
// templates or the Go code without its French, German and Spanish.
func TestTemplatesTranslateEveryText(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{} // message id → counted (needs plural forms)
	for _, f := range files {
		src, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		checkVisibleText(t, f, maskActions(string(src)))
		for id, counted := range templateMessages(t, f, string(src)) {
			ids[id] = ids[id] || counted
		}
	}
	for id, counted := range goMessages(t) {
		ids[id] = ids[id] || counted
	}
	if len(ids) < 300 {
		t.Fatalf("found %d messages: the collectors missed some", len(ids))
	}
	placeholder := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	for _, lang := range translatedLanguages {
		raw, err := fs.ReadFile(localeFS, "locales/active."+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		var file map[string]any
		if err := toml.Unmarshal(raw, &file); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		var missing []string
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			v, ok := file[id]
			if !ok {
				missing = append(missing, id)
				continue
			}
			var forms []string
			switch x := v.(type) {
			case string:
				if ids[id] {
					t.Errorf("%s: %q counts: it needs one and other forms", lang, id)
				}
				forms = []string{x}
			case map[string]any:
				for _, k := range []string{"one", "other"} {
					s, ok := x[k].(string)
					if !ok {
						t.Errorf("%s: %q has no %q form", lang, id, k)
					}
					forms = append(forms, s)
				}
			}
			want := slices.Sorted(maps.Keys(names(placeholder, id)))
			for _, form := range forms {
				if got := slices.Sorted(maps.Keys(names(placeholder, form))); !slices.Equal(got, want) && !(ids[id] && slices.Equal(got, slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "Count" }))) {
					t.Errorf("%s: %q: %q has the arguments %v, not %v", lang, id, form, got, want)
				}
			}
		}
		if len(missing) > 0 {
			var b strings.Builder
			for _, id := range missing {
				b.WriteString(strconv.Quote(id) + " = \"\"\n")
			}
			t.Errorf("active.%s.toml lacks %d messages:\n%s", lang, len(missing), b.String())
		}
	}
}

func names(re *regexp.Regexp, s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	return out
}

// checkVisibleText fails on text or a read attribute with letters left in a
// template once its actions are masked.
func checkVisibleText(t *testing.T, file, masked string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(masked))
	var raw string // inside <script> or <style>
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			s := strings.TrimSpace(tok.Data)
			if strings.Contains(s, "<") { // <noscript>'s content reads as text
				checkVisibleText(t, file, s)
				continue
			}
			if raw == "" && hasLetter(s) && !untranslatable[s] {
				t.Errorf("%s: text %q is not translated: wrap it in {{t \"…\"}}", file, s)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			if tok.Data == "script" || tok.Data == "style" {
				raw = tok.Data
			}
			button := false // an <input> button shows its value (a <button> its content)
			for _, a := range tok.Attr {
				if a.Key == "type" && (a.Val == "submit" || a.Val == "button" || a.Val == "reset") && tok.Data == "input" {
					button = true
				}
			}
			for _, a := range tok.Attr {
				if (visibleAttrs[a.Key] || (button && a.Key == "value")) && hasLetter(a.Val) {
					t.Errorf("%s: <%s %s=%q> is not translated", file, tok.Data, a.Key, a.Val)
				}
			}
		case html.EndTagToken:
			if tok.Data == raw {
				raw = ""
			}
		}
	}
}

// templateMessages are the literal message ids a template passes to t and tn
// (true: counted).
func templateMessages(t *testing.T, file, src string) map[string]bool {
	t.Helper()
	funcs := map[string]any{}
	for k, v := range (&server{}).funcs(localeOf(language.English, time.UTC)) {
		funcs[k] = v
	}
	for _, b := range []string{"and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js", "urlquery", "eq", "ne", "lt", "le", "gt", "ge", "call"} {
		funcs[b] = fmt.Sprint
	}
	trees, err := parse.Parse(path.Base(file), src, "{{", "}}", funcs)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok {
				lit := func(i int) string {
					if i < len(n.Args) {
						if s, ok := n.Args[i].(*parse.StringNode); ok {
							return s.Text
						}
					}
					return ""
				}
				switch id.Ident {
				case "t":
					if s := lit(1); s != "" {
						out[s] = out[s] || false
					}
				case "tn":
					if s := lit(2); s != "" {
						out[s] = true
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, tree := range trees {
		walk(tree.Root)
	}
	return out
}

// goMessages are the literal message ids of the package's Go code: s.t(r, id),
// s.tn(r, one, other, n), l.T(id), l.N(one, other, n) and msg(id).
func goMessages(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			lit := func(i int) string {
				if i < len(call.Args) {
					if b, ok := call.Args[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
						s, _ := strconv.Unquote(b.Value)
						return s
					}
				}
				return ""
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			add := func(s string, counted bool) {
				if s != "" {
					out[s] = out[s] || counted
				}
			}
			switch name {
			case "msg", "T":
				add(lit(0), false)
			case "t":
				add(lit(1), false)
			case "tn":
				add(lit(2), true)
			case "N":
				add(lit(1), true)
			}
			return true
		})
	}
	return out
}

// TestStatusTextsAreTranslated keeps the error pages' titles in the messages.
func TestStatusTextsAreTranslated(t *testing.T) {
	for _, id := range statusTexts {
		for _, lang := range translatedLanguages {
			l := localeOf(language.Make(lang), time.UTC)
			if got := l.T(id); got == id {
				t.Errorf("%s: %q is not translated", lang, id)
			}
		}
	}
}
