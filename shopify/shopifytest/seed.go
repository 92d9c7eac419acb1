package shopifytest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Seed adds n open, unfulfilled orders with realistic data and returns them:
// names, emails and phones; shipping addresses in and around Austin, Texas, with
// coordinates (about 1 in 20 without, as when Shopify could not geocode); one
// to four line items with SKUs; a delivery note on some; created over the last
// 30 days, one after another. About 1 in 40 orders ships nowhere (no address).
// The data is the same for the same shop and n, so tests can name orders.
func (s *Shop) Seed(n int) []Order {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	rng := rand.New(rand.NewPCG(uint64(len(s.orders)), uint64(n)))
	now := s.srv.now()
	out := make([]Order, 0, n)
	for i := range n {
		first, last := pick(rng, firstNames), pick(rng, lastNames)
		st := pick(rng, streets)
		o := Order{
			CreatedAt: now.Add(-30 * 24 * time.Hour).Add(time.Duration(i+1) * 30 * 24 * time.Hour / time.Duration(n+1)).Truncate(time.Second),
			Email:     fmt.Sprintf("%s.%s%d@example.com", lower(first), lower(last), rng.IntN(100)),
			Phone:     fmt.Sprintf("+1512555%04d", rng.IntN(10000)),
		}
		if rng.IntN(4) == 0 {
			o.Note = pick(rng, notes)
		}
		if rng.IntN(40) != 0 {
			a := &Address{
				FirstName: first, LastName: last,
				Address1:     fmt.Sprintf("%d %s", 100+rng.IntN(9800), st.name),
				City:         st.city,
				Province:     "Texas",
				ProvinceCode: "TX",
				Zip:          st.zip,
				Country:      "United States",
				CountryCode:  "US",
				Phone:        o.Phone,
			}
			if rng.IntN(5) == 0 {
				a.Address2 = fmt.Sprintf("Apt %d", 1+rng.IntN(400))
			}
			if rng.IntN(8) == 0 {
				a.Company = pick(rng, companies)
			}
			if rng.IntN(20) != 0 {
				lat := st.lat + (rng.Float64()-0.5)*0.01
				lng := st.lng + (rng.Float64()-0.5)*0.01
				a.Latitude, a.Longitude = &lat, &lng
			}
			o.ShippingAddress = a
		}
		for range 1 + rng.IntN(4) {
			p := pick(rng, products)
			o.LineItems = append(o.LineItems, LineItem{Name: p.name, SKU: p.sku, Quantity: 1 + rng.IntN(3)})
		}
		out = append(out, s.addOrder(o).clone())
	}
	return out
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// emailPart is a name as the local part of an email address: lower case ASCII.
var emailPart = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "'", "")

func lower(s string) string { return emailPart.Replace(strings.ToLower(s)) }

var firstNames = []string{"Ava", "Ben", "Carmen", "Dmitri", "Elena", "Farah", "Grace", "Hiro", "Isabel", "Jamal", "Kai", "Lucía", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tomás"}

var lastNames = []string{"Nguyen", "Garcia", "Smith", "Okafor", "Müller", "Patel", "Johnson", "Kim", "Hernández", "O'Brien", "Rossi", "Cohen", "Silva", "Williams", "Tanaka"}

var companies = []string{"Blue Bell Dental", "Eastside Yoga", "Lone Star Legal", "Greenway Architects"}

var notes = []string{
	"Leave at the back door, please.",
	"Gate code 4417.",
	"Call on arrival; the bell is broken.",
	"Gift — please don't include the receipt.",
	"Deliver after 5 pm.",
}

type street struct {
	name, city, zip string
	lat, lng        float64
}

var streets = []street{
	{"Congress Ave", "Austin", "78701", 30.2747, -97.7404},
	{"S Lamar Blvd", "Austin", "78704", 30.2509, -97.7663},
	{"E Cesar Chavez St", "Austin", "78702", 30.2580, -97.7290},
	{"Burnet Rd", "Austin", "78757", 30.3466, -97.7384},
	{"Manchaca Rd", "Austin", "78745", 30.2112, -97.7952},
	{"E Riverside Dr", "Austin", "78741", 30.2376, -97.7261},
	{"N Lamar Blvd", "Austin", "78751", 30.3163, -97.7283},
	{"Main St", "Round Rock", "78664", 30.5083, -97.6789},
	{"W Pecan St", "Pflugerville", "78660", 30.4394, -97.6200},
	{"Ranch Rd 620", "Lakeway", "78734", 30.3638, -97.9795},
}

type product struct{ name, sku string }

var products = []product{
	{"Ceramic Pour-Over Set", "CPO-001"},
	{"Organic Coffee Beans 1 lb", "OCB-1LB"},
	{"Linen Tea Towel", "LTT-NAT"},
	{"Cast Iron Skillet 10\"", "CIS-10"},
	{"Beeswax Candle", "BWC-S"},
	{"Hand-thrown Mug", "HTM-BLU"},
	{"Olive Wood Spoon", "OWS-01"},
	{"Wool Throw Blanket", "WTB-GRY"},
	{"Sourdough Starter Kit", "SSK-01"},
	{"Glass Storage Jar", ""},
}
