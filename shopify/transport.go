package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dispatchkit/connect"
)

// Shopify's error codes (errors[].extensions.code) the client acts on.
const (
	codeThrottled    = "THROTTLED"
	codeMaxCost      = "MAX_COST_EXCEEDED"
	codeAccessDenied = "ACCESS_DENIED"
)

// ErrUnauthorized is the cause of the Forbidden error a request gets when
// Shopify refuses its access token (HTTP 401): expired, revoked, or the app
// uninstalled. errors.Is(err, ErrUnauthorized) tells it from other refusals,
// so a caller holding a refresh token knows that refreshing may help.
var ErrUnauthorized = errors.New("shopify: the access token was refused (HTTP 401)")

// maxAnswer bounds how much of an answer the client reads: a page of 250
// orders is well under a megabyte.
const maxAnswer = 32 << 20

// MakeRequest sends one GraphQL operation and decodes the answer into resp.Data.
// It is what genqlient's generated functions call.
//
// Before sending, it waits (honouring ctx) until the shop's bucket estimate has
// the points the query requests. It retries, with exponential backoff and at
// most ClientConfig.MaxAttempts tries in all, what Shopify did not run: THROTTLED
// answers (after waiting for the bucket to refill), HTTP 429 (after
// Retry-After), and for queries also HTTP 5xx and network errors. A mutation is
// not retried after a 5xx other than 503 or a network error, since it may have
// run.
//
// Errors:
//   - Forbidden: HTTP 401 (the store uninstalled the app or revoked access;
//     wrapping [ErrUnauthorized]) or 403, or an ACCESS_DENIED error with no data (a scope is missing);
//   - Unavailable: HTTP 402 (store frozen), 423 (store locked), and throttling,
//     5xx or network errors that outlasted the retries; ctx's end (wrapped);
//   - NotFound: HTTP 404 (no such store);
//   - Internal: MAX_COST_EXCEEDED (wrapping [ErrMaxCostExceeded]: a smaller
//     page may pass), an invalid query, or an answer that does not decode;
//   - *[PartialError], with resp.Data filled in, when Shopify answered part of
//     the query: errors alongside data, such as protected customer data withheld.
func (c *Client) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) (err error) {
	body, err := json.Marshal(req)
	if err != nil {
		return connect.Errorf(connect.Internal, "shopify: encoding %s: %w", req.OpName, err)
	}
	cost, err := QueryCost(req.Query, req.Variables)
	if err != nil {
		c.log.Debug("shopify: cannot compute the query's cost; not waiting for the bucket", "op", req.OpName, "err", err)
	}
	mutation := isMutation(req.Query)
	ctx, r := c.tel.request(ctx, c.shop, req.OpName, mutation, cost, c.now())
	defer func() { r.end(ctx, c.now(), err) }()

	var wait time.Duration
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		r.attempts = attempt
		if attempt > 1 {
			wait = max(wait, c.backoffFor(attempt))
			c.log.Info("shopify: retrying", "shop", c.shop, "op", req.OpName, "attempt", attempt, "wait", wait, "after", last)
			r.retried(ctx, attempt, last)
			r.waited(ctx, "retry", wait)
			if err := c.sleep(ctx, wait); err != nil {
				return ended(ctx, err)
			}
		}
		before := c.now()
		reserved, err := c.waitForPoints(ctx, cost)
		r.waited(ctx, "bucket", c.now().Sub(before))
		if err != nil {
			return ended(ctx, err)
		}
		v := c.try(ctx, body, req, resp, mutation, reserved)
		r.answered(v.cost)
		if !v.settled {
			c.bucket.release(reserved)
		}
		if !v.retry {
			return v.err
		}
		last, wait = v.err, v.wait
	}
	return last
}

// verdict is the outcome of one try: done (err may be nil), or worth retrying
// after at least wait, with err as the reason should the tries run out.
// settled says the answer settled the try's reserved points in the bucket.
type verdict struct {
	retry   bool
	wait    time.Duration
	err     error
	settled bool
	cost    *Cost // the answer's extensions.cost, if any
}

func done(err error) verdict { return verdict{err: err} }

func (c *Client) try(ctx context.Context, body []byte, req *graphql.Request, resp *graphql.Response, mutation bool, reserved float64) verdict {
	token, err := c.token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return done(ended(ctx, err))
		}
		if connect.ErrorCode(err) != connect.Internal {
			return done(err) // the token source already said what is wrong
		}
		return done(connect.Errorf(connect.Unavailable, "shopify: no access token for %s: %w", c.shop, err))
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return done(connect.Errorf(connect.Internal, "shopify: %w", err))
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("X-Shopify-Access-Token", token)

	hresp, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return done(ended(ctx, err))
		}
		err = connect.Errorf(connect.Unavailable, "shopify: cannot reach %s: %w", c.shop, err)
		return verdict{retry: !mutation, err: err}
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, maxAnswer))
	if err != nil {
		if ctx.Err() != nil {
			return done(ended(ctx, err))
		}
		err = connect.Errorf(connect.Unavailable, "shopify: reading the answer from %s: %w", c.shop, err)
		return verdict{retry: !mutation, err: err}
	}

	if v := hresp.Header.Get("X-Shopify-API-Version"); v != "" && v != APIVersion && c.versionWarned.CompareAndSwap(false, true) {
		// Shopify answers a version it no longer supports with the oldest it
		// does: the answer may not have the shape the client was built for.
		c.log.Warn("shopify: Shopify answered with another API version than asked; move to a supported version (see APIVersion)",
			"shop", c.shop, "asked", APIVersion, "served", v)
	}
	switch s := hresp.StatusCode; {
	case s == http.StatusOK:
		return c.answer(raw, req, resp, reserved, mutation)
	case s == http.StatusUnauthorized:
		e := connect.Errorf(connect.Forbidden, "shopify: the store uninstalled the app or revoked access (%s)", c.shop)
		e.Err = ErrUnauthorized
		return done(e)
	case s == http.StatusPaymentRequired:
		return done(connect.Errorf(connect.Unavailable, "shopify: the store is frozen (unpaid) (%s)", c.shop))
	case s == http.StatusForbidden:
		return done(connect.Errorf(connect.Forbidden, "shopify: access to the store is forbidden (%s): %s", c.shop, snippet(raw)))
	case s == http.StatusNotFound:
		return done(connect.Errorf(connect.NotFound, "shopify: no such store, or API version %s is gone (%s)", APIVersion, c.shop))
	case s == http.StatusLocked:
		return done(connect.Errorf(connect.Unavailable, "shopify: the store is locked (%s)", c.shop))
	case s == http.StatusTooManyRequests:
		return verdict{retry: true, wait: retryAfter(hresp.Header), err: connect.Errorf(connect.Unavailable, "shopify: too many requests to %s (HTTP 429)", c.shop)}
	case s >= 500:
		err := connect.Errorf(connect.Unavailable, "shopify: %s answered HTTP %d", c.shop, s)
		return verdict{retry: !mutation || s == http.StatusServiceUnavailable, wait: retryAfter(hresp.Header), err: err}
	default:
		return done(connect.Errorf(connect.Internal, "shopify: %s answered HTTP %d: %s", c.shop, s, snippet(raw)))
	}
}

// envelope is a GraphQL answer with data left raw, so that null data can be
// told from data with errors.
type envelope struct {
	Data       json.RawMessage `json:"data"`
	Errors     gqlerror.List   `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

func (c *Client) answer(raw []byte, req *graphql.Request, resp *graphql.Response, reserved float64, mutation bool) verdict {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return done(connect.Errorf(connect.Internal, "shopify: %s: the answer is not GraphQL JSON: %w", req.OpName, err))
	}
	resp.Extensions, resp.Errors = env.Extensions, env.Errors
	cost := costOf(env.Extensions)
	if cost == nil {
		return c.judge(env, nil, req, resp, mutation)
	}
	c.bucket.update(cost.ThrottleStatus, c.now(), reserved, cost.ActualQueryCost)
	v := c.judge(env, cost, req, resp, mutation)
	v.settled, v.cost = true, cost
	return v
}

// judge decides what an answer means.
func (c *Client) judge(env envelope, cost *Cost, req *graphql.Request, resp *graphql.Response, mutation bool) verdict {
	if hasCode(env.Errors, codeThrottled) {
		var wait time.Duration
		if cost != nil && cost.ThrottleStatus.RestoreRate > 0 {
			missing := float64(cost.RequestedQueryCost) - cost.ThrottleStatus.CurrentlyAvailable
			wait = time.Duration(max(missing, 0)/cost.ThrottleStatus.RestoreRate*1000+1) * time.Millisecond
		}
		return verdict{retry: true, wait: wait, err: connect.Errorf(connect.Unavailable, "shopify: %s is throttling requests; retry later", c.shop)}
	}
	if hasCode(env.Errors, codeMaxCost) {
		requested := 0
		if cost != nil {
			requested = cost.RequestedQueryCost
		}
		e := connect.Errorf(connect.Internal, "shopify: %s requests %d points, over Shopify's limit of %d: %v",
			req.OpName, requested, MaxQueryCost, env.Errors)
		e.Err = ErrMaxCostExceeded
		return done(e)
	}

	hasData := len(env.Data) > 0 && !bytes.Equal(bytes.TrimSpace(env.Data), []byte("null"))
	if !hasData {
		if len(env.Errors) == 0 {
			return done(connect.Errorf(connect.Internal, "shopify: %s: the answer has neither data nor errors", req.OpName))
		}
		if hasCode(env.Errors, codeAccessDenied) {
			return done(c.accessDenied(req.OpName, env.Errors))
		}
		return done(connect.Errorf(connect.Internal, "shopify: %s failed: %w", req.OpName, env.Errors))
	}
	// A mutation the app lacks the scope for answers its field null beside
	// an ACCESS_DENIED error: nothing was done, and retrying will not help.
	if mutation && hasCode(env.Errors, codeAccessDenied) {
		return done(c.accessDenied(req.OpName, env.Errors))
	}
	if resp.Data != nil {
		if err := json.Unmarshal(env.Data, resp.Data); err != nil {
			return done(connect.Errorf(connect.Internal, "shopify: %s: decoding the data: %w", req.OpName, err))
		}
	}
	if len(env.Errors) > 0 {
		return done(&PartialError{Errors: env.Errors})
	}
	return done(nil)
}

// accessDenied is the Forbidden error of an operation Shopify refused for a
// missing access scope, naming the scope when Shopify did.
func (c *Client) accessDenied(op string, errs gqlerror.List) error {
	var scopes []string
	for _, e := range errs {
		if errorCode(e) != codeAccessDenied {
			continue
		}
		text, _ := e.Extensions["requiredAccess"].(string)
		for _, m := range backquoted.FindAllStringSubmatch(text+" "+e.Message, -1) {
			if !slices.Contains(scopes, m[1]) {
				scopes = append(scopes, m[1])
			}
		}
	}
	if len(scopes) == 0 {
		if strings.Contains(errs.Error(), "protected-customer-data") {
			return connect.Errorf(connect.Forbidden, "shopify: Shopify has not approved this app for protected customer data, so it cannot read %s's orders: %w", c.shop, errs)
		}
		return connect.Errorf(connect.Forbidden, "shopify: the app may not do %s on %s: %w", op, c.shop, errs)
	}
	return connect.Errorf(connect.Forbidden, "shopify: %s has not granted the app the %s permission (%s needs it); the store's owner must link the store again in Settings → Integrations to grant it: %w",
		c.shop, strings.Join(scopes, ", "), op, errs)
}

// backquoted finds the scope names Shopify quotes in an access error
// ("Required access: `write_fulfillments` access scope.").
var backquoted = regexp.MustCompile("`([a-z_]+)`")

// waitForPoints sleeps until the bucket estimate has cost points, and reserves
// them; it returns the points reserved, to settle when the answer comes.
func (c *Client) waitForPoints(ctx context.Context, cost int) (float64, error) {
	for {
		d, reserved, settled := c.bucket.take(cost, c.now())
		if settled != nil {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-settled:
				continue
			}
		}
		if d == 0 {
			if err := ctx.Err(); err != nil {
				c.bucket.release(reserved)
				return 0, err
			}
			return reserved, nil
		}
		c.log.Debug("shopify: waiting for the rate-limit bucket", "shop", c.shop, "cost", cost, "wait", d)
		if err := c.sleep(ctx, d); err != nil {
			return 0, err
		}
	}
}

// backoffFor is the wait before try number attempt (≥ 2): Backoff doubled for
// each try after the second, capped at 30 s, with up to 20% jitter so that
// clients throttled together do not retry together.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff << min(attempt-2, 16)
	if d <= 0 || d > 30*time.Second {
		d = 30 * time.Second
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func costOf(ext map[string]any) *Cost {
	raw, ok := ext["cost"]
	if !ok {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	var c Cost
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return &c
}

func hasCode(errs gqlerror.List, code string) bool {
	for _, e := range errs {
		if errorCode(e) == code {
			return true
		}
	}
	return false
}

func errorCode(e *gqlerror.Error) string {
	c, _ := e.Extensions["code"].(string)
	return c
}

func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// ended turns the end of ctx into an Unavailable error that still matches
// context.Canceled or context.DeadlineExceeded with errors.Is.
func ended(ctx context.Context, err error) error {
	if cause := ctx.Err(); cause != nil {
		return connect.Errorf(connect.Unavailable, "shopify: gave up: %w", cause)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return connect.Errorf(connect.Unavailable, "shopify: gave up: %w", err)
	}
	return err
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func isMutation(query string) bool {
	if doc, err := parseQuery(query); err == nil && len(doc.Operations) == 1 {
		return doc.Operations[0].Operation == ast.Mutation
	}
	return strings.HasPrefix(strings.TrimSpace(query), "mutation")
}
