package connect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// fingerprint returns what an import knows a row without an Id by: a hash of its
// order's fields as the glossary writes them (FieldSpec.Format), each without
// case and with its runs of white space made one space, so that the same row
// read again, from the same file or one saved again by another tool, has the
// same fingerprint. The Id is left out (the row has none), and so is what the
// row does not say (the depot, the client).
func fingerprint(in *OrderInput) string {
	h := sha256.New()
	for i := range fieldTable {
		spec := &fieldTable[i]
		if spec.Field == FieldRef {
			continue
		}
		v := strings.ToLower(strings.Join(strings.Fields(spec.Format(in)), " "))
		if v == "" {
			continue
		}
		h.Write([]byte(spec.Field))
		h.Write([]byte{0})
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// fingerprintClaims matches an import's rows without an Id to the orders
// already stored with their fingerprints, as multisets: when a file holds the
// same row three times and two such orders were stored before the import, two
// rows are already imported and the third is new. The storing goroutine owns it.
type fingerprintClaims map[clientFingerprint]*fingerprintCount

type clientFingerprint struct {
	client ClientID
	fp     string
}

type fingerprintCount struct {
	before  int // orders with the fingerprint stored before the import
	claimed int // rows of the import matched to them so far
}

// taken returns the indexes (ascending) of the orders without a Ref whose row
// was imported before, looking up in st the fingerprints it has not seen yet.
// The count before the import is read when a fingerprint is first seen, so the
// orders the import stores itself are never taken for earlier ones.
func (c fingerprintClaims) taken(ctx context.Context, st Store, account AccountID, orders []*Order) ([]int, error) {
	unseen := map[ClientID][]string{}
	for _, o := range orders {
		if o.Ref != "" || o.Fingerprint == "" {
			continue
		}
		k := clientFingerprint{o.Client, o.Fingerprint}
		if _, ok := c[k]; !ok {
			c[k] = &fingerprintCount{}
			unseen[o.Client] = append(unseen[o.Client], o.Fingerprint)
		}
	}
	for client, fps := range unseen {
		counts, err := st.ExistingFingerprints(ctx, Scope{Account: account, Client: client}, fps)
		if err != nil {
			return nil, err
		}
		for fp, n := range counts {
			if k := (clientFingerprint{client, fp}); c[k] != nil {
				c[k].before = n
			}
		}
	}
	var out []int
	for i, o := range orders {
		if o.Ref != "" || o.Fingerprint == "" {
			continue
		}
		if n := c[clientFingerprint{o.Client, o.Fingerprint}]; n.claimed < n.before {
			n.claimed++
			out = append(out, i)
		}
	}
	return out, nil
}

// importedBeforeReason says why a row without an Id is refused as a duplicate.
const importedBeforeReason = "the same order (every field alike, without an Id) was already imported; " +
	"give the row an Id to import it again"
