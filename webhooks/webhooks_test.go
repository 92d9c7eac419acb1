package webhooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dispatchkit/connect"
)

// fakeResolver answers every name with the same addresses.
type fakeResolver []string

func (f fakeResolver) LookupNetIP(_ context.Context, _, _ string) ([]netip.Addr, error) {
	out := make([]netip.Addr, len(f))
	for i, s := range f {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

// counting is a receiver that counts its requests and answers status.
func counting(t *testing.T, status int, tls bool) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { n.Add(1); w.WriteHeader(status) })
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &n
}

func post(s *Sender, url string) (connect.WebhookResponse, error) {
	return s.SendWebhook(context.Background(), connect.WebhookRequest{URL: url, Body: []byte(`{}`),
		Header: map[string]string{"webhook-id": "msg_1"}})
}

// TestLoopbackIsRefusedWithoutTheOption: a receiver on 127.0.0.1 is never
// reached by a production Sender, named by its address or by a name that
// resolves to it; with AllowLoopback it is.
func TestLoopbackIsRefusedWithoutTheOption(t *testing.T) {
	srv, hits := counting(t, http.StatusNoContent, false)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	prod := New(Config{Resolver: fakeResolver{"127.0.0.1"}})
	for _, url := range []string{srv.URL, "https://127.0.0.1" + port + "/hook", "https://hooks.example" + port + "/hook", "https://localhost" + port} {
		if _, err := post(prod, url); err == nil {
			t.Errorf("posting to %s: no error; want it refused", url)
		}
	}
	if _, err := post(prod, "https://hooks.example"+port); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("posting to a name of 127.0.0.1: %v; want a refusal naming loopback", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests; want none", n)
	}
	dev := New(Config{AllowLoopback: true, Resolver: fakeResolver{"127.0.0.1"}})
	res, err := post(dev, "http://hooks.example"+port+"/hook")
	if err != nil || res.Status != http.StatusNoContent || hits.Load() != 1 {
		t.Fatalf("with AllowLoopback: %+v, %v, %d requests; want 204 and one request", res, err, hits.Load())
	}
}

// TestNamesOfPrivateAddressesAreRefusedAtConnectTime: a name that resolves to
// 10.x is refused when dialled (the URL itself looked public), even with
// AllowLoopback; of several addresses, the refused ones are skipped.
func TestNamesOfPrivateAddressesAreRefusedAtConnectTime(t *testing.T) {
	s := New(Config{AllowLoopback: true, Resolver: fakeResolver{"10.1.2.3"}})
	if err := s.CheckWebhookURL("https://hooks.example/x"); err != nil {
		t.Fatalf("CheckWebhookURL of a name: %v; want it accepted until dialled", err)
	}
	_, err := post(s, "https://hooks.example/x")
	var refused *refusedError
	if !errors.As(err, &refused) || refused.addr != netip.MustParseAddr("10.1.2.3") || refused.why != "a private" {
		t.Fatalf("posting to a name of 10.1.2.3: %v; want a refusal of a private address", err)
	}
	srv, hits := counting(t, http.StatusOK, false)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	mixed := New(Config{AllowLoopback: true, Resolver: fakeResolver{"10.1.2.3", "169.254.169.254", "127.0.0.1"}})
	if res, err := post(mixed, "http://hooks.example"+port); err != nil || res.Status != 200 || hits.Load() != 1 {
		t.Fatalf("a name of a private, a link-local and the loopback address: %+v, %v; want the loopback one reached", res, err)
	}
}

// TestTheSocketIsCheckedWhateverResolvedIt: the dialer's check refuses every
// refused range on the address really dialled (an answer that changed after
// the Resolver's, DNS rebinding).
func TestTheSocketIsCheckedWhateverResolvedIt(t *testing.T) {
	s := New(Config{})
	for _, addr := range []string{"127.0.0.1:443", "10.0.0.1:443", "172.16.5.4:443", "192.168.1.1:443", "169.254.169.254:80",
		"100.64.0.1:443", "224.0.0.1:443", "0.0.0.0:443", "[::1]:443", "[fe80::1]:443", "[fc00::1]:443", "[::ffff:10.0.0.1]:443",
		"[ff02::1]:443", "[::]:443", "[64:ff9b::a00:1]:443"} {
		if err := s.control("tcp", addr, nil); err == nil {
			t.Errorf("control(%s): nil; want it refused", addr)
		}
	}
	for _, addr := range []string{"93.184.215.14:443", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443"} {
		if err := s.control("tcp", addr, nil); err != nil {
			t.Errorf("control(%s): %v; want a public address allowed", addr, err)
		}
	}
}

// TestURLsAreChecked: https with a host only, no refused address literal.
func TestURLsAreChecked(t *testing.T) {
	s := New(Config{})
	for _, url := range []string{"", "hooks.example/x", "http://hooks.example/x", "ftp://hooks.example", "https:///x",
		"https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest", "https://100.64.1.1", "https://0.0.0.0",
		"https://[::ffff:192.168.0.1]/", "https://localhost/x", "https://hooks.example:99999/", "https://hooks.example/#frag"} {
		if err := s.CheckWebhookURL(url); connect.ErrorCode(err) != connect.Invalid {
			t.Errorf("CheckWebhookURL(%q): %v; want invalid", url, err)
		}
	}
	for _, url := range []string{"https://hooks.example/x", "https://hooks.example:8443/x?client=1", "https://93.184.215.14/"} {
		if err := s.CheckWebhookURL(url); err != nil {
			t.Errorf("CheckWebhookURL(%q): %v; want it accepted", url, err)
		}
	}
}

// TestRedirectsAreNotFollowed: a 3xx is the answer; where it points is never
// requested.
func TestRedirectsAreNotFollowed(t *testing.T) {
	target, hits := counting(t, http.StatusOK, false)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	res, err := post(New(Config{AllowLoopback: true}), redirect.URL)
	if err != nil || res.Status != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Fatalf("posting to a redirect: %+v, %v, target hit %d times; want 307 and no request to the target", res, err, hits.Load())
	}
}

// TestTheRequestCarriesBodyAndHeaders: what the receiver gets.
func TestTheRequestCarriesBodyAndHeaders(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
	}))
	t.Cleanup(srv.Close)
	_, err := New(Config{AllowLoopback: true}).SendWebhook(context.Background(), connect.WebhookRequest{URL: srv.URL + "/in",
		Body: []byte(`{"type":"webhook.test"}`), Header: map[string]string{"webhook-id": "msg_1", "Content-Type": "application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/in" || got.Header.Get("Webhook-Id") != "msg_1" ||
		got.Header.Get("Content-Type") != "application/json" || string(body) != `{"type":"webhook.test"}` {
		t.Fatalf("the receiver got %s %s %v %q", got.Method, got.URL.Path, got.Header, body)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
