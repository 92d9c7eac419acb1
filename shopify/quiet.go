package shopify

import (
	"context"
	"errors"
	"time"

	"github.com/dispatchkit/connect"
)

// QuietAfter is how long a shop's token may go without a refresh before
// [Adapter.RefreshQuietShops] refreshes it: well inside the 90 days after
// which Shopify lets an unused refresh token expire (each refresh gives a new
// one, good for another 90 days), so that a shop whose clients import nothing
// for months keeps working without a new install.
const QuietAfter = 30 * 24 * time.Hour

// quietBatch bounds the shops one RefreshQuietShops call reads at a time.
const quietBatch = 100

// RefreshQuietShops refreshes the token of every shop (in any account) last
// saved more than olderThan ago (0: [QuietAfter]), as any use would, so its
// refresh token does not expire. The host calls it periodically, say daily,
// from one process or several: a shop another process refreshes meanwhile is
// left to it. It returns how many shops it refreshed; a shop that fails (its
// store uninstalled the app, Shopify is down) is logged and skipped, and its
// error joined into the one returned once the others are done.
func (a *Adapter) RefreshQuietShops(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		olderThan = QuietAfter
	}
	before := a.now().Add(-olderThan)
	refreshed := 0
	var errs []error
	seen := map[string]bool{}
	for {
		quiet, err := a.cfg.Tokens.ShopifyTokensSavedBeforeAnyAccount(ctx, before, quietBatch)
		if err != nil {
			return refreshed, err
		}
		progress := false
		for _, q := range quiet {
			if seen[q.Shop] {
				continue // failed earlier in this call
			}
			seen[q.Shop] = true
			progress = true
			did, err := a.refreshQuiet(ctx, q)
			if err != nil {
				a.log.WarnContext(ctx, "shopify: a quiet shop's token could not be refreshed", "shop", q.Shop, "saved", q.SavedAt, "err", err)
				errs = append(errs, err)
				continue
			}
			if did {
				refreshed++
			}
		}
		if !progress || len(quiet) < quietBatch {
			return refreshed, errors.Join(errs...)
		}
	}
}

// refreshQuiet refreshes one quiet shop's token through a client linked to
// it, and reports whether the token was one that expires.
func (a *Adapter) refreshQuiet(ctx context.Context, q connect.QuietShopifyShop) (bool, error) {
	s, err := a.session(ctx, q.Client)
	if err != nil {
		return false, err
	}
	if s.tok.RefreshToken == "" {
		return false, nil // a non-expiring token: nothing expires
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return true, s.refreshLocked(ctx, s.tok.AccessToken, true)
}
