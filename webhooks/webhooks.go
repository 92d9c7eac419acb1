// Package webhooks posts connect's webhooks to clients' endpoints over HTTPS: a
// connect.WebhookSender for Config.Webhooks.
//
// A client names the URL, so every request is a request the client chose to
// have the host's network make (SSRF): the Sender never connects to a
// loopback, private, link-local, shared (CGNAT), multicast, reserved or
// unspecified address. The check is made on the address actually dialled, at
// connect time (after DNS), so a name that resolves to 10.0.0.1, or changes
// between the URL's check and the request (DNS rebinding), is refused all the
// same; redirects are not followed (a 3xx is the endpoint's answer, a failure);
// proxies from the environment are not used. Config.AllowLoopback lets tests and
// the example post to http:// and 127.0.0.1, and nothing else private.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/dispatchkit/connect"
)

// Resolver looks up a host's addresses (net.Resolver is one).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config is what New needs. The zero value is the production default.
type Config struct {
	// AllowLoopback allows http:// URLs and loopback addresses (127.0.0.0/8,
	// ::1): for tests and a demo on one machine, never in production. Private,
	// link-local and the other refused ranges stay refused.
	AllowLoopback bool
	// Timeout bounds one request, from dialling to the end of the response.
	// 0: 10 seconds.
	Timeout time.Duration
	// Resolver finds the addresses of a URL's host. nil: net.DefaultResolver.
	Resolver Resolver
	// UserAgent is sent with every request. "": "dispatchkit-connect-webhooks/1".
	UserAgent string
}

// Sender posts webhooks. It is safe for concurrent use.
type Sender struct {
	cfg    Config
	client *http.Client
}

// maxResponse is how much of a response is read (then the connection may be
// reused); the rest is dropped.
const maxResponse = 64 << 10

// New returns a Sender.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "dispatchkit-connect-webhooks/1"
	}
	s := &Sender{cfg: cfg}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: s.control}
	transport := &http.Transport{
		Proxy: nil, // a proxy would dial for us, unchecked
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return s.dial(ctx, dialer, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	s.client = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // the 3xx is the answer
		},
	}
	return s
}

// CheckWebhookURL refuses a URL the Sender would not post to, as far as the URL
// tells: not https (http only with AllowLoopback), no host, or a host that is
// an address of a refused range. A name is checked when it is dialled.
func (s *Sender) CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return connect.Errorf(connect.Invalid, "must be a full URL such as https://example.com/webhooks")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.cfg.AllowLoopback {
			return connect.Errorf(connect.Invalid, "must start with https://")
		}
	default:
		return connect.Errorf(connect.Invalid, "must start with https://")
	}
	if u.Fragment != "" {
		return connect.Errorf(connect.Invalid, "must not have a #fragment")
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if why := s.refused(addr); why != "" {
			return connect.Errorf(connect.Invalid, "must not be %s address (%s)", why, addr)
		}
	} else if host == "localhost" || len(host) > 10 && host[len(host)-10:] == ".localhost" {
		if !s.cfg.AllowLoopback {
			return connect.Errorf(connect.Invalid, "must not be a loopback address (%s)", host)
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return connect.Errorf(connect.Invalid, "has a port out of range (%s)", p)
		}
	}
	return nil
}

// SendWebhook posts one request and returns the response's status code.
func (s *Sender) SendWebhook(ctx context.Context, r connect.WebhookRequest) (connect.WebhookResponse, error) {
	if err := s.CheckWebhookURL(r.URL); err != nil {
		return connect.WebhookResponse{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return connect.WebhookResponse{}, connect.Errorf(connect.Invalid, "webhook URL: %v", err)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	res, err := s.client.Do(req)
	if err != nil {
		var refused *refusedError
		if errors.As(err, &refused) {
			return connect.WebhookResponse{}, refused
		}
		return connect.WebhookResponse{}, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponse))
	return connect.WebhookResponse{Status: res.StatusCode}, nil
}

// refusedError is a connection the Sender would not make.
type refusedError struct {
	host string
	addr netip.Addr
	why  string
}

func (e *refusedError) Error() string {
	if e.host != "" && e.host != e.addr.String() {
		return fmt.Sprintf("refused to connect to %s: it is %s address (%s)", e.host, e.why, e.addr)
	}
	return fmt.Sprintf("refused to connect to %s: it is %s address", e.addr, e.why)
}

// dial resolves the host with the Resolver and dials its first allowed
// address (the dialer's Control checks it again, on the socket).
func (s *Sender) dial(ctx context.Context, d *net.Dialer, network, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = s.cfg.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	var firstErr error
	for _, a := range addrs {
		a = a.Unmap()
		if why := s.refused(a); why != "" {
			if firstErr == nil {
				firstErr = &refusedError{host: host, addr: a, why: why}
			}
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s has no address", host)
	}
	return nil, firstErr
}

// control refuses a socket about to connect to a refused address: the check
// on what is really dialled, whatever resolved it.
func (s *Sender) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused to connect to %s: not an address", address)
	}
	if why := s.refused(ap.Addr().Unmap()); why != "" {
		return &refusedError{addr: ap.Addr().Unmap(), why: why}
	}
	return nil
}

// refused returns what kind of refused address a is ("a private"), or "".
func (s *Sender) refused(a netip.Addr) string {
	a = a.Unmap()
	if a.IsLoopback() {
		if s.cfg.AllowLoopback {
			return ""
		}
		return "a loopback"
	}
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return "an unspecified"
	case a.IsPrivate():
		return "a private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast"
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return "a reserved"
		}
	}
	return ""
}

// reserved lists the other ranges no public endpoint has (RFC 6890 and later):
// "this network", shared address space (CGNAT), IETF protocol assignments,
// documentation, benchmarking, the 240/4 reserve and broadcast, NAT64 (which
// may reach private IPv4), discard, Teredo, documentation and 6to4 relays.
var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()
