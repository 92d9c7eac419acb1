package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pgtest"
	"github.com/shopspring/decimal"
)

// BenchmarkCreateOrders compares the two ways CreateOrders writes to PostgreSQL,
// multi-row INSERT and COPY, at several sizes: defaultCopyAt is where they cross.
//
//	CONNECT_TEST_POSTGRES_URL=… go test ./storage -run - -bench CreateOrders
func BenchmarkCreateOrders(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.Schema(b)) // skips without CONNECT_TEST_POSTGRES_URL
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	n := 0
	for _, size := range []int{1, 10, 50, 100, 200, 500, 1000, 10000} {
		for _, mode := range []string{"insert", "copy"} {
			b.Run(fmt.Sprintf("%s/%d", mode, size), func(b *testing.B) {
				st := *s
				st.copyAt = 1 << 30
				if mode == "copy" {
					st.copyAt = 0
				}
				rows := 0
				for b.Loop() {
					n++
					c := &connect.Client{ID: connect.ClientID(fmt.Sprintf("c%d", n)), Account: "bench", Status: connect.ClientActive}
					orders, events := benchOrders(c, size)
					if err := st.CreateOrders(ctx, connect.Scope{Account: c.Account}, orders, events); err != nil {
						b.Fatal(err)
					}
					rows += size
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func benchOrders(c *connect.Client, n int) ([]*connect.Order, []connect.OrderEvent) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	orders := make([]*connect.Order, n)
	events := make([]connect.OrderEvent, n)
	for i := range orders {
		o := &connect.Order{
			OrderInput: connect.OrderInput{
				Ref: fmt.Sprintf("R-%07d", i), StopType: connect.Delivery,
				Address: connect.Address{Line1: fmt.Sprintf("%d Main Street", i), City: "Springfield",
					Zip: "12345", Country: "US"},
				Recipient: connect.Recipient{Name: "Pat Doe", Phone: "+1 555 0100"},
				Size:      decimal.NewNullDecimal(decimal.New(int64(i%1000), -2)),
			},
			ID: connect.OrderID(fmt.Sprintf("%s-o%07d", c.ID, i)), Account: c.Account, Client: c.ID,
			Source: connect.SourceSpreadsheet, Depot: "depot-1", Status: connect.StatusDraft,
			CreatedAt: now, UpdatedAt: now,
		}
		orders[i] = o
		events[i] = connect.OrderEvent{Order: o.ID, Event: "create", To: o.Status, At: now, By: "member bench"}
	}
	return orders, events
}
