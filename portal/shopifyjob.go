package portal

import (
	"context"
	"fmt"
	"net/http"

	"github.com/dispatchkit/connect"
)

// shopifyJobThreshold is the size of a Shopify bulk import (in order ids and
// names) above which it runs as a background job with the import's progress
// page, rather than inside the request: Shopify's rate limit reads a few
// hundred orders a second at best, and a request of 5,000 would time out.
const shopifyJobThreshold = 100

// startShopifyImport runs a Shopify bulk import on a goroutine of its own, as
// startImport does a spreadsheet's, and sends the member to its progress page;
// the result page and the refused rows file follow, as for a spreadsheet.
func (s *server) startShopifyImport(w http.ResponseWriter, r *http.Request, v *viewer, refs []string, total int) error {
	u, err := s.uploads.job(r.Context(), v.Actor, fmt.Sprintf("%d Shopify orders", total))
	if err != nil {
		return err
	}
	refused, err := s.uploads.newSpill(u, u.Path+".refused")
	if err != nil {
		s.uploads.remove(r.Context(), u)
		return err
	}
	job := newImportJob(total)
	a := v.Actor
	a.AccessMemo = nil // the request's, which ends before the job
	s.runJob(r.Context(), u, job, func(ctx context.Context) {
		res, err := s.recovered(ctx, a, func() (*connect.ImportResult, error) {
			return s.svc.ImportShopifyOrders(ctx, a, refs, connect.ImportOptions{Refused: refused.add, MaxErrors: maxImportErrors,
				Progress: job.progressed})
		})
		res, err = s.finishImport(ctx, u, refused, res, err)
		job.finish(res, err)
		if err != nil && res == nil {
			s.log.WarnContext(ctx, "portal: Shopify import failed", "client", a.Client, "err", err)
		}
	})
	s.redirect(w, r, s.path("/imports/%s/progress", u.ID))
	return nil
}
