package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pdfread"
	"github.com/xuri/excelize/v2"
)

// TestEndToEndInABrowser drives Debian's chromium through the whole story: a client
// signs up from the dispatcher's invite and invites a team member; imports a
// spreadsheet with one bad row; submits the drafts and withdraws one; the
// dispatcher routes the rest and starts the route; the driver completes one stop
// with a photo and a signature and fails the other; and the client, without
// reloading, sees the status, the ETA and the proof arrive. Screenshots go to
// $CONNECT_E2E_ARTIFACTS (or a temporary directory).
func TestEndToEndInABrowser(t *testing.T) {
	chromium := os.Getenv("CONNECT_CHROMIUM")
	if chromium == "" {
		var err error
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser test")
		}
	}
	artifacts := os.Getenv("CONNECT_E2E_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", artifacts)

	th := startHost(t, t.TempDir())
	base := th.base
	files := t.TempDir()
	csvPath := filepath.Join(files, "orders.csv")
	if err := os.WriteFile(csvPath, []byte("Id,Address Line 1,City,Recipient Name,Products\n"+
		"E2E-1,1 Main St,Springfield,Rita,2 x Apples\n"+
		"E2E-2,2 Main St,Springfield,Bob,\n"+
		"E2E-3,3 Main St,Shelbyville,Cleo,\n"+
		"E2E-4,,Springfield,Dan,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	photoPath := filepath.Join(files, "door.png")
	if err := os.WriteFile(photoPath, pngBytes(t), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	defer cancelAlloc()
	owner, cancelOwner := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelOwner()

	// Every page the walk shows is audited by axe-core when it is there
	// (.ci/run installs it: CONNECT_AXE names axe.min.js): no serious or critical
	// violation of WCAG 2.x A and AA.
	axeScript := ""
	if path := os.Getenv("CONNECT_AXE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("CONNECT_AXE: %v", err)
		}
		axeScript = string(b)
	} else {
		t.Log("CONNECT_AXE is not set: the pages are not audited for accessibility (.ci/run installs axe-core)")
	}
	audited := map[string]bool{}
	violations := func(c context.Context) ([]string, error) {
		return chromedp.Run(c, chromedp.Evaluate[[]string](`(async () => {
			if (!window.axe) { `+axeScript+` }
			const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
			return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
				.map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
		})()`, chromedp.EvalAwaitPromise))
	}
	audit := func(c context.Context, name string) {
		t.Helper()
		if axeScript == "" || strings.HasSuffix(name, "failed") {
			return
		}
		url, err := chromedp.Run(c, chromedp.Evaluate[string](`location.pathname + location.search`))
		if err != nil || audited[url] {
			return // each page once
		}
		audited[url] = true
		found, err := violations(c)
		if err != nil {
			t.Fatalf("axe on %s: %v", url, err)
		}
		for _, v := range found {
			t.Errorf("accessibility of %s (%s): %s", url, name, v)
		}
	}
	defer func() { t.Logf("axe-core audited %d pages", len(audited)) }()
	step := 0
	shot := func(c context.Context, name string) {
		t.Helper()
		step++
		buf, err := chromedp.Run(c, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, fmt.Sprintf("%02d-%s.png", step, name)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		audit(c, name)
	}
	do := func(c context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(c, actions...); err != nil {
			shot(c, "failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	// A form posts and the page reloads: a node found just before the reload is gone
	// after it, so a step that follows one is tried again on the fresh page. Its
	// actions must be safe to repeat.
	retry := func(c context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		var err error
		for range 5 {
			if err = chromedp.Do(c, actions...); err == nil {
				return
			}
			// The page is reloading after a post: the browser tells nothing that the
			// step could wait on (it may or may not have started the navigation when
			// the node was found), so give it time to render the fresh page.
			time.Sleep(300 * time.Millisecond)
		}
		shot(c, "failed")
		t.Fatalf("%s: %v", what, err)
	}
	text := func(c context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// until waits, without navigating, for a script to become true.
	until := func(c context.Context, what, script string) {
		t.Helper()
		if _, err := chromedp.Run(c, chromedp.Poll[bool](script, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			shot(c, "failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	// The audit finds what it is for: a page made with an unlabelled field and
	// an image without text.
	if axeScript != "" {
		do(owner, "a page to audit", chromedp.Navigate(`data:text/html,<!doctype html><html lang="en"><title>x</title><main><img src="data:,"><input></main></html>`))
		found, err := violations(owner)
		if err != nil || len(found) < 2 {
			t.Fatalf("axe on a page with two violations found %q (%v)", found, err)
		}
	}

	// 1. The client signs up from the dispatcher's invite link.
	do(owner, "sign up",
		chromedp.Navigate(th.inviteLink()),
		chromedp.SendKeys(chromedp.ID("name"), "Gina Owner"),
		// The email is the invite's, filled in (and read-only).
		chromedp.SendKeys(chromedp.ID("password"), "long enough password"),
		chromedp.Click(chromedp.ID("signup")),
		chromedp.WaitVisible(chromedp.ID("client-number")),
	)
	clients, err := th.svc.Clients(ctx, dispatcherActor())
	if err != nil || len(clients) != 1 {
		t.Fatal(clients, err)
	}
	if got := text(owner, "#client-number"); got != string(clients[0].Client.Number) || got == "" {
		t.Fatalf("client number shown %q, want %q", got, clients[0].Client.Number)
	}
	shot(owner, "signed-up")

	// 2. The owner invites a team member, who signs up in a browser of their own.
	do(owner, "invite a member",
		chromedp.Navigate(base+"/settings/team"),
		chromedp.SetValue(chromedp.ID("invite-email"), "sam@greengrocer.test"),
		chromedp.SetValue(chromedp.ID("invite-role"), "admin"),
		chromedp.Click(chromedp.ID("invite-member")),
		chromedp.WaitVisible(chromedp.ID("flash-secret")),
	)
	memberLink, err := chromedp.Run(owner, chromedp.Value(chromedp.ID("flash-secret")))
	if err != nil || !strings.HasPrefix(memberLink, base+"/invite/") {
		t.Fatalf("member invite link %q: %v", memberLink, err)
	}
	shot(owner, "member-invited")
	member, cancelMember := chromedp.NewContext(owner, chromedp.WithNewBrowserContext())
	do(member, "member signs up",
		chromedp.Navigate(memberLink),
		chromedp.SendKeys(chromedp.ID("name"), "Sam Admin"),
		chromedp.SendKeys(chromedp.ID("password"), "another long password"),
		chromedp.Click(chromedp.ID("signup")),
		chromedp.WaitVisible(chromedp.ID("client-number")),
	)
	if got := text(member, ".member-name"); !strings.Contains(got, "Sam Admin (admin)") {
		t.Fatalf("member header %q", got)
	}
	shot(member, "member-signed-up")
	cancelMember()

	// 3. A spreadsheet with one bad row: upload, columns, preview, import.
	do(owner, "upload",
		chromedp.Navigate(base+"/imports/new"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{csvPath}),
		chromedp.Click(chromedp.ID("upload")),
		chromedp.WaitVisible(chromedp.ID("mapping")),
	)
	shot(owner, "import-columns")
	do(owner, "preview", chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("rows-refused")))
	if refused, valid := text(owner, "#rows-refused"), text(owner, "#rows-valid"); refused != "1" || valid != "3" {
		t.Fatalf("preview: %s refused, %s valid", refused, valid)
	}
	if errs := text(owner, "table.errors"); !strings.Contains(errs, "5") || !strings.Contains(errs, "Address Line 1 is required") {
		t.Fatalf("preview errors %q", errs)
	}
	shot(owner, "import-preview")
	do(owner, "import", chromedp.Click(chromedp.ID("run-import")), chromedp.WaitVisible(chromedp.ID("import-success")))
	if got := text(owner, "#import-success"); !strings.Contains(got, "Draft orders successfully imported: 3") {
		t.Fatalf("import result %q", got)
	}
	shot(owner, "import-result")

	// A second language (?lang= outranks the browser's, kept in a cookie until
	// another), under the dispatcher's brand: its colour and logo in the header.
	do(owner, "the drafts in French", chromedp.Navigate(base+"/orders?view=drafts&lang=fr"), chromedp.WaitVisible(chromedp.ID("orders")))
	if got := text(owner, "h1"); got != "Commandes" {
		t.Fatalf("the orders page in French is titled %q", got)
	}
	if got := text(owner, "#submit-selected"); got != "Envoyer en livraison" {
		t.Fatalf("the submit button in French says %q", got)
	}
	branded, err := chromedp.Run(owner, chromedp.Evaluate[bool](`document.documentElement.lang === "fr" &&
		document.querySelector("header.top.branded .logo").naturalWidth > 0 &&
		getComputedStyle(document.querySelector("header.top")).backgroundColor === "rgb(31, 95, 168)"`))
	if err != nil || !branded {
		shot(owner, "failed")
		t.Fatalf("the French page under the demo's brand (lang fr, logo loaded, header #1f5fa8): %v, %v", branded, err)
	}
	shot(owner, "drafts-in-french-branded")
	do(owner, "back to English", chromedp.Navigate(base+"/orders?view=drafts&lang=en"), chromedp.WaitVisible(chromedp.ID("orders")))

	ids := map[string]connect.OrderID{}
	page, err := th.svc.Orders(ctx, dispatcherActor(), connect.ListOrdersParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Orders {
		ids[o.Ref] = o.ID
	}
	row := func(ref string) string { return `tr[data-order="` + string(ids[ref]) + `"]` }

	// 4. Submit the drafts, then withdraw one.
	do(owner, "submit",
		chromedp.Navigate(base+"/orders?view=drafts"),
		chromedp.Click(chromedp.ID("select-all")),
		chromedp.Click(chromedp.ID("submit-selected")),
		chromedp.WaitVisible(chromedp.CSS(`#tab-active[aria-current="page"]`)),
	)
	if got := text(owner, "#flash"); !strings.Contains(got, "3 orders submitted for delivery") {
		t.Fatalf("flash %q", got)
	}
	do(owner, "withdraw", chromedp.Click(chromedp.CSS(row("E2E-3")+" button.withdraw")), chromedp.WaitNotPresent(chromedp.CSS(row("E2E-3"))))
	shot(owner, "submitted-one-withdrawn")

	// The client watches: the active list in one tab, an order's page in another.
	do(owner, "watch the list", chromedp.Navigate(base+"/orders?view=active"), chromedp.WaitVisible(chromedp.CSS(`body[data-live="connected"]`)),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	detail, cancelDetail := chromedp.NewContext(owner)
	defer cancelDetail()
	do(detail, "watch the order", chromedp.Navigate(base+"/orders/"+string(ids["E2E-1"])), chromedp.WaitVisible(chromedp.CSS(`body[data-live="connected"]`)),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// The recipient's tracking page, from a link the team made on the order's
	// page: the recipient's words, no sign-in, and the order followed as it
	// moves (the page reads itself again every 20 s), in a browser of its own.
	linkTab, cancelLinkTab := chromedp.NewContext(owner)
	defer cancelLinkTab()
	do(linkTab, "make a tracking link", chromedp.Navigate(base+"/orders/"+string(ids["E2E-1"])),
		chromedp.Click(chromedp.ID("create-tracking")), chromedp.WaitVisible(chromedp.CSS("#tracking-links input.secret")))
	trackURL, err := chromedp.Run(linkTab, chromedp.Value(chromedp.CSS("#tracking-links input.secret")))
	if err != nil || !strings.HasPrefix(trackURL, base+"/track/") {
		t.Fatalf("tracking link %q: %v", trackURL, err)
	}
	recipient, cancelRecipient := chromedp.NewContext(owner, chromedp.WithNewBrowserContext())
	defer cancelRecipient()
	do(recipient, "the recipient opens the link", chromedp.Navigate(trackURL), chromedp.WaitVisible(chromedp.ID("track-status")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	if got := text(recipient, "#track-status"); got != "Order received" {
		t.Fatalf("the tracking page says %q", got)
	}
	if signIn, err := chromedp.Run(recipient, chromedp.Evaluate[bool](`!!document.querySelector('a[href*="signin"]')`)); err != nil || signIn {
		t.Fatalf("the tracking page offers to sign in (%v)", err)
	}
	shot(recipient, "tracking-received")

	// 5. The dispatcher builds a route of the two stops left and starts it.
	disp, cancelDisp := chromedp.NewContext(owner)
	defer cancelDisp()
	do(disp, "dispatcher signs in",
		chromedp.Navigate(base+"/demo/login?next=/demo/routes"),
		chromedp.SendKeys(chromedp.ID("email"), dispatcherEmail),
		chromedp.SendKeys(chromedp.ID("password"), th.state.DispatcherPassword),
		chromedp.Click(chromedp.ID("dispatcher-signin")),
		chromedp.WaitVisible(chromedp.ID("build-route")),
	)
	if n, err := chromedp.Run(disp, chromedp.Evaluate[int](`document.querySelectorAll('#unassigned input[name=order]').length`)); err != nil || n != 2 {
		t.Fatalf("unassigned stops: %d %v", n, err)
	}
	do(disp, "build the route",
		chromedp.Click(chromedp.CSS(`input[name=order][value="`+string(ids["E2E-1"])+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=order][value="`+string(ids["E2E-2"])+`"]`)),
		chromedp.Click(chromedp.ID("build")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	until(owner, "scheduled in the list", `document.querySelector('`+row("E2E-1")+` [data-col=status]').textContent.includes('Scheduled')`)
	until(detail, "withdraw gone once on a route", `!!document.querySelector('#order-status .status-scheduled') && !document.querySelector('#withdraw-order')`)
	shot(disp, "route-built")
	// The help article's first way to invite: a stop with no client, its
	// Client field, "Add new client"; the stop becomes the new client's.
	do(disp, "a stop with no client",
		chromedp.Click(chromedp.CSS(`#no-client tr[data-ref="WALK-IN-1"] a.no-client`)),
		chromedp.WaitVisible(chromedp.ID("client-field")),
	)
	shot(disp, "stop-with-no-client")
	do(disp, "add new client for the stop",
		chromedp.Click(chromedp.ID("add-new-client")),
		chromedp.WaitVisible(chromedp.ID("new-client")),
		chromedp.SendKeys(chromedp.ID("client-name"), "Harbour Café"),
		chromedp.Click(chromedp.ID("invite-client")),
		chromedp.WaitVisible(chromedp.ID("invite-link")),
	)
	shot(disp, "stop-linked-to-new-client")
	do(disp, "back to the routes", chromedp.Navigate(base+"/demo/routes"), chromedp.WaitVisible(chromedp.CSS(`section.route button.start-route`)))
	if n, err := chromedp.Run(disp, chromedp.Evaluate[int](`document.querySelectorAll('#no-client tr[data-ref]').length`)); err != nil || n != 0 {
		t.Fatalf("stops still with no client: %d %v", n, err)
	}
	do(disp, "start the route",
		chromedp.Click(chromedp.CSS(`section.route button.start-route`)),
		chromedp.WaitVisible(chromedp.CSS(`section.stop[data-ref="E2E-1"] form.complete-form`)),
	)
	until(owner, "ETA in the list", `(() => { const r = document.querySelector('`+row("E2E-1")+`');
		return r.querySelector('[data-col=status]').textContent.includes('En route') && !!r.querySelector('[data-col=eta] time'); })()`)
	until(detail, "ETA on the order", `!!document.querySelector('#order-eta time')`)
	shot(owner, "en-route-live")
	until(recipient, "the ETA window on the tracking page", `document.querySelector('#track-status').dataset.status === 'en_route' &&
		/–/.test(document.querySelector('#track-eta').textContent) && document.querySelector('#track-status').textContent === 'Out for delivery'`)
	shot(recipient, "tracking-en-route-live")
	shot(detail, "order-en-route-live")

	// 6. The driver completes E2E-1 with a photo and a signature, and fails E2E-2.
	stop1 := `section.stop[data-ref="E2E-1"]`
	do(disp, "photo", chromedp.SetUploadFiles(chromedp.CSS(stop1+" input.photo-input"), []string{photoPath}))
	box, err := chromedp.Run(disp, chromedp.Evaluate[[]float64](`(() => { const c = document.querySelector('`+stop1+` canvas.signature-pad');
		c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	if err != nil || len(box) != 4 {
		t.Fatalf("signature pad: %v %v", box, err)
	}
	x, y := box[0]+30, box[1]+box[3]/2
	sign := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 12; i++ {
		sign = append(sign, chromedp.MouseEvent(chromedp.MouseMoved, x+float64(i*20), y+float64((i%3-1)*25), chromedp.ButtonLeft))
	}
	sign = append(sign, chromedp.MouseEvent(chromedp.MouseReleased, x+240, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	do(disp, "signature", sign...)
	do(disp, "recipient",
		chromedp.SetValue(chromedp.CSS(stop1+" input.recipient-input"), "Rita Doe"),
		chromedp.SetValue(chromedp.CSS(stop1+" input.notes-input"), "Left at the front door"),
	)
	shot(disp, "driver-completing")
	do(disp, "complete", chromedp.Click(chromedp.CSS(stop1+" button.complete")), chromedp.WaitNotPresent(chromedp.CSS(stop1+" form.complete-form")))
	stop2 := `section.stop[data-ref="E2E-2"]`
	retry(disp, "fail",
		chromedp.SetAttributeValue(chromedp.CSS(stop2+" details:nth-of-type(2)"), "open", ""),
		chromedp.SetValue(chromedp.CSS(stop2+" input.reason-input"), "Nobody home"),
		chromedp.Click(chromedp.CSS(stop2+" button.fail")),
		chromedp.WaitNotPresent(chromedp.CSS(stop2+" form.fail-form")),
	)
	shot(disp, "driver-done")

	// 7. The client sees it all arrive, without reloading.
	until(owner, "delivered and failed in the list", `document.querySelector('`+row("E2E-1")+` [data-col=status]').textContent.includes('Delivered') &&
		document.querySelector('`+row("E2E-2")+` [data-col=status]').textContent.includes('Failed')`)
	until(detail, "proof on the order", `(() => { const p = document.querySelector('#proof'); if (!p) return false;
		const sig = p.querySelector('img.signature'), photo = p.querySelector('img.photo'), who = p.querySelector('#proof-recipient');
		return !!sig && sig.complete && sig.naturalWidth > 0 && !!photo && photo.complete && photo.naturalWidth > 0 &&
			!!who && who.textContent === 'Rita Doe' && document.querySelector('#order-status').textContent.includes('Delivered'); })()`)
	for _, c := range []context.Context{owner, detail} {
		if kept, err := chromedp.Run(c, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !kept {
			t.Fatalf("the page reloaded (%v)", err)
		}
	}
	shot(owner, "client-list-live")
	shot(detail, "client-proof-live")
	until(recipient, "delivered on the tracking page", `document.querySelector('#track-status').dataset.status === 'delivered' && !!document.querySelector('#track-done')`)
	if kept, err := chromedp.Run(recipient, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !kept {
		t.Fatalf("the tracking page reloaded (%v)", err)
	}
	shot(recipient, "tracking-delivered-live")

	o, err := th.svc.Order(ctx, dispatcherActor(), ids["E2E-1"])
	if err != nil || o.Proof == nil || o.Proof.SignatureURL == "" || len(o.Proof.PhotoURLs) != 1 {
		t.Fatalf("stored proof: %+v %v", o, err)
	}

	// The proof of delivery and the package labels, downloaded as the browser
	// fetches the order page's links, are kept beside the screenshots: the
	// proof reads back with who received it and both images, each label's QR
	// code decodes to the order.
	download := func(c context.Context, sel, name string) []byte {
		t.Helper()
		b64, err := chromedp.Run(c, chromedp.Evaluate[string](`(() => { const a = document.querySelector('`+sel+`');
			return fetch(a.href).then(r => { if (!r.ok) throw new Error('status ' + r.status); return r.arrayBuffer(); }).then(buf => {
				const u = new Uint8Array(buf); let s = '';
				for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
				return btoa(s); }); })()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("downloading %s: %v", sel, err)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return b
	}
	proofText := strings.Join(pdfread.Text(t, download(detail, "#proof-pdf", "proof-of-delivery.pdf")), " ")
	if !strings.Contains(proofText, "Received by Rita Doe") || !strings.Contains(proofText, "E2E-1") {
		t.Fatalf("the proof PDF reads:\n%s", proofText)
	}
	for _, page := range pdfread.Images(t, download(detail, "#labels-a4", "labels-a4.pdf")) {
		for _, img := range page {
			if code, err := pdfread.QR(img); err != nil || code != string(ids["E2E-1"]) {
				t.Fatalf("a label's code reads %q (%v), not E2E-1's id", code, err)
			}
		}
	}

	// 8. A workbook of two weeks, each a sheet with a title above its header: the
	// preview says what it read and skipped, and the client adds the second week.
	do(owner, "upload a workbook",
		chromedp.Navigate(base+"/imports/new"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{weeksWorkbook(t, files)}),
		chromedp.Click(chromedp.ID("upload")),
		chromedp.WaitVisible(chromedp.ID("mapping")),
	)
	if got := text(owner, "#read-from"); !strings.Contains(got, "Week 49") || !strings.Contains(got, "row 3") {
		t.Fatalf("columns step says %q", got)
	}
	do(owner, "preview the first week", chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("sheets")))
	if read, skipped, warnings := text(owner, "#rows-read"), text(owner, "#skipped-rows"), text(owner, "#warnings"); read != "2" ||
		!strings.Contains(skipped, "Orders for week 49") || !strings.Contains(warnings, `Sheet "Week 50" has 2 rows with the same columns`) {
		t.Fatalf("preview: %s rows read; skipped %q; warnings %q", read, skipped, warnings)
	}
	shot(owner, "import-workbook-preview")
	do(owner, "add the second week",
		chromedp.Click(chromedp.ID("sheet-1")),
		chromedp.Click(chromedp.ID("read-sheets")),
		chromedp.WaitVisible(chromedp.ID("mapping")),
	)
	do(owner, "preview both weeks", chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("rows-read")))
	if got := text(owner, "#rows-read"); got != "4" {
		t.Fatalf("both weeks: %s rows read", got)
	}
	shot(owner, "import-two-sheets-preview")
	do(owner, "import both weeks", chromedp.Click(chromedp.ID("run-import")), chromedp.WaitVisible(chromedp.ID("import-success")))
	if got := text(owner, "#import-success"); !strings.Contains(got, "Draft orders successfully imported: 4") {
		t.Fatalf("import result %q", got)
	}
	shot(owner, "import-two-sheets-result")

	// 10. Keyboard only: a spreadsheet imported and its drafts submitted with
	// Tab, Enter and Space alone, each control reached in the page's order and
	// its focus visible. (The file itself is chosen in the system's dialog,
	// which the test fills in.)
	kbPath := filepath.Join(files, "keyboard.csv")
	if err := os.WriteFile(kbPath, []byte("Id,Address Line 1,City,Recipient Name\nKB-1,10 Main St,Springfield,Kim\nKB-2,11 Main St,Springfield,Lee\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	focused := func(c context.Context) string {
		t.Helper()
		id, err := chromedp.Run(c, chromedp.Evaluate[string](`document.activeElement ? (document.activeElement.id || document.activeElement.className) : ""`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	tabTo := func(c context.Context, id string) {
		t.Helper()
		for range 60 {
			do(c, "Tab", chromedp.KeyEvent(kb.Tab))
			if focused(c) != id {
				continue
			}
			outline, err := chromedp.Run(c, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
			if err != nil || outline == "none" {
				t.Errorf("#%s has the focus, but no outline shows it (%q, %v)", id, outline, err)
			}
			return
		}
		shot(c, "keyboard-failed")
		t.Fatalf("#%s is not reached by Tab within 60 presses", id)
	}
	do(owner, "keyboard: the import page", chromedp.Navigate(base+"/imports/new"), chromedp.WaitVisible(chromedp.ID("file")))
	do(owner, "keyboard: first Tab", chromedp.KeyEvent(kb.Tab))
	if got := focused(owner); got != "skip-link" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	tabTo(owner, "file")
	do(owner, "keyboard: choose the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{kbPath}))
	tabTo(owner, "upload")
	do(owner, "keyboard: upload", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("mapping")))
	tabTo(owner, "preview")
	do(owner, "keyboard: preview", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("rows-valid")))
	tabTo(owner, "run-import")
	do(owner, "keyboard: import", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("import-success")))
	if got := text(owner, "#import-success"); !strings.Contains(got, "Draft orders successfully imported: 2") {
		t.Fatalf("keyboard import result %q", got)
	}
	shot(owner, "keyboard-imported")
	do(owner, "keyboard: the drafts", chromedp.Navigate(base+"/orders?view=drafts&q=KB-"), chromedp.WaitVisible(chromedp.ID("orders")))
	tabTo(owner, "select-all")
	do(owner, "keyboard: select all", chromedp.KeyEvent(" "))
	tabTo(owner, "submit-selected")
	do(owner, "keyboard: submit", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#tab-active[aria-current="page"]`)))
	if got := text(owner, "#flash"); !strings.Contains(got, "2 orders submitted for delivery") {
		t.Fatalf("keyboard submit: flash %q", got)
	}
	shot(owner, "keyboard-submitted")

	// 11. Lists that scale: 20,000 drafts (2,000 under the race detector)
	// uploaded, then searched and filtered, and every matching draft submitted
	// in one run with its progress, the drafts the search leaves out untouched.
	n := 20_000
	if raceDetector {
		n = 2_000
	}
	var bulk strings.Builder
	bulk.WriteString("Id,Address Line 1,City,Recipient Name\n")
	for i := range n {
		fmt.Fprintf(&bulk, "BULK-%05d,%d Elm St,Springfield,Rita\n", i+1, i+1)
	}
	for i := range 30 {
		fmt.Fprintf(&bulk, "KEEP-%02d,%d Oak St,Springfield,Bob\n", i+1, i+1)
	}
	bulkPath := filepath.Join(files, "bulk.csv")
	if err := os.WriteFile(bulkPath, []byte(bulk.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	do(owner, "upload the big file",
		chromedp.Navigate(base+"/imports/new"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{bulkPath}),
		chromedp.Click(chromedp.ID("upload")),
		chromedp.WaitVisible(chromedp.ID("mapping")),
	)
	do(owner, "preview the big file", chromedp.Click(chromedp.ID("preview")), chromedp.WaitVisible(chromedp.ID("run-import")))
	do(owner, "import the big file", chromedp.Click(chromedp.ID("run-import")), chromedp.WaitVisible(chromedp.ID("import-success")))
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	if got := digits(text(owner, "#import-success")); got != strconv.Itoa(n+30) {
		t.Fatalf("imported %s drafts, want %d", got, n+30)
	}
	do(owner, "search and filter the drafts",
		chromedp.Navigate(base+"/orders?view=drafts"),
		chromedp.SendKeys(chromedp.ID("order-q"), "BULK-"),
		chromedp.SetValue(chromedp.ID("order-source"), "spreadsheet"),
		chromedp.Click(chromedp.CSS("#order-search button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("clear-filter")),
		chromedp.Click(chromedp.ID("select-all")),
		chromedp.WaitVisible(chromedp.ID("submit-matching")),
	)
	// A search is not counted ahead (at 10M orders a count would cost more
	// than the page): the button offers "all matching", the run counts them.
	if got := text(owner, "#submit-matching"); got != "Submit all matching drafts" {
		t.Fatalf("the select-all-matching button says %q", got)
	}
	shot(owner, "drafts-all-matching")
	do(owner, "submit every matching draft", chromedp.Click(chromedp.ID("submit-matching")), chromedp.WaitVisible(chromedp.ID("bulk-done")))
	if got := digits(text(owner, "#bulk-done")); got != strconv.Itoa(n) {
		t.Fatalf("the run submitted %s drafts, want %d", got, n)
	}
	shot(owner, "drafts-all-matching-submitted")
	for search, want := range map[string]int{"BULK-": 0, "KEEP-": 30} {
		left, err := th.svc.Orders(ctx, dispatcherActor(), connect.ListOrdersParams{View: connect.ViewDrafts, Search: search, Limit: 100})
		if err != nil || len(left.Orders) != want {
			t.Fatalf("%s drafts left after the run: %d, want %d (%v)", search, len(left.Orders), want, err)
		}
	}

	// 9. On a phone (390 px wide): every main page fits the screen, the tables
	// turned into a card per row; a page wider than the screen would scroll
	// sideways.
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	fits := func(c context.Context, name, path, ready string) {
		t.Helper()
		do(c, "open "+name+" on a phone", chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		width, err := chromedp.Run(c, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		shot(c, "phone-"+name)
		if width > 390 {
			t.Errorf("%s (%s) is %d px wide on a 390 px screen", name, path, width)
		}
	}
	do(owner, "phone viewport", phone)
	for _, p := range []struct{ name, path, ready string }{
		{"home", "/home", "main"},
		{"orders-active", "/orders?view=active", "#orders"},
		{"orders-completed", "/orders?view=completed", "#orders"},
		{"orders-drafts", "/orders?view=drafts", "#orders"},
		{"order", "/orders/" + string(ids["E2E-1"]), "#proof"},
		{"import", "/imports/new", "#file"},
		{"team", "/settings/team", "#members"},
		{"integrations", "/settings/integrations", "main"},
	} {
		fits(owner, p.name, p.path, p.ready)
	}
	do(disp, "phone viewport", phone)
	for _, p := range []struct{ name, path, ready string }{
		{"console-clients", "/dispatch/clients", "#clients"},
		{"console-client", "/dispatch/clients/" + string(clients[0].Client.ID), "main"},
		{"console-stops", "/dispatch/stops", "#stops"},
		{"console-order", "/dispatch/orders/" + string(ids["E2E-1"]), "#proof"},
	} {
		fits(disp, p.name, p.path, p.ready)
	}
}

// weeksWorkbook writes a workbook of two sheets, a week each, with a merged title
// row and a blank row above the header, into dir, and returns its path.
func weeksWorkbook(t *testing.T, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, week := range []string{"Week 49", "Week 50"} {
		if i == 0 {
			must(t, f.SetSheetName("Sheet1", week))
		} else if _, err := f.NewSheet(week); err != nil {
			t.Fatal(err)
		}
		must(t, f.SetCellValue(week, "A1", "Orders for "+strings.ToLower(week)))
		must(t, f.MergeCell(week, "A1", "E1"))
		must(t, f.SetSheetRow(week, "A3", &[]any{"Id", "Address Line 1", "City", "Zip", "Recipient Name"}))
		for r := range 2 {
			ref := fmt.Sprintf("E2E-%s-%d", week[5:], r+1)
			must(t, f.SetSheetRow(week, fmt.Sprintf("A%d", r+4), &[]any{ref, fmt.Sprintf("%d Main St", r+10), "Springfield", "02134", "Rita"}))
		}
	}
	path := filepath.Join(dir, "weeks.xlsx")
	must(t, f.SaveAs(path))
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
