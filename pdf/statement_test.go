package pdf_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/internal/pdfread"
	"github.com/dispatchkit/connect/pdf"
)

// The statement reads back (pdftotext) with the brand, the client, the month
// in the account's time zone, the counts by status, the on-time rate and the
// failures by reason, in all and for each depot.
func TestStatementPDFReadsBackWithItsCounts(t *testing.T) {
	t.Parallel()
	paris := must(time.LoadLocation("Europe/Paris"))(t)
	st := &connect.Statement{ClientName: "Green Grocer", ClientNumber: "40817", Brand: "Swift Couriers", Location: paris,
		From: time.Date(2026, 10, 1, 0, 0, 0, 0, paris), To: time.Date(2026, 11, 1, 0, 0, 0, 0, paris),
		Orders: 7, Counts: connect.StatusCounts{connect.StatusDelivered: 4, connect.StatusFailed: 3},
		OnTime: 3, WithETA: 4, Failures: []connect.FailureCount{{Reason: "nobody home", Count: 2}, {Reason: "wrong address", Count: 1}},
		Depots: []connect.DepotStatement{
			{Depot: "north", DepotName: "North Depot", Orders: 5, Counts: connect.StatusCounts{connect.StatusDelivered: 4, connect.StatusFailed: 1},
				OnTime: 3, WithETA: 4, Failures: []connect.FailureCount{{Reason: "nobody home", Count: 1}}},
			{Depot: "south", Orders: 2, Counts: connect.StatusCounts{connect.StatusFailed: 2},
				Failures: []connect.FailureCount{{Reason: "nobody home", Count: 1}, {Reason: "wrong address", Count: 1}}},
		}}
	var b bytes.Buffer
	if err := (pdf.Documents{}).WriteStatement(&b, st); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pdfread.Text(t, b.Bytes()), " ")
	for _, s := range []string{"Swift Couriers", "Statement for October 2026", "Green Grocer - Client ID 40817",
		"from 1 Oct 2026 to 31 Oct 2026, Europe/Paris", "All depots Orders 7 Delivered 4 Failed 3 On time 3 of 4 (75%)",
		"Failures by reason nobody home 2 wrong address 1", "Depot North Depot Orders 5 Delivered 4 Failed 1 On time 3 of 4 (75%)",
		"Depot south Orders 2 Failed 2 On time no deliveries with an ETA"} {
		if !strings.Contains(text, s) {
			t.Errorf("the statement lacks %q:\n%s", s, text)
		}
	}
}

// Each document reads back in the language asked for: its words, statuses
// and dates; what people typed stays as typed.
func TestDocumentsReadBackInTheClientsLanguage(t *testing.T) {
	t.Parallel()
	paris := must(time.LoadLocation("Europe/Paris"))(t)
	doc := proofDoc(t)
	doc.Location, doc.Language = paris, "fr-FR"
	var proof bytes.Buffer
	if err := (pdf.Documents{}).WriteProof(&proof, doc); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pdfread.Text(t, proof.Bytes()), " ")
	for _, s := range []string{"Preuve de livraison", "Reçu par Rita", "30 nov. 2026 15:05 CET", "Livrée", "Destinataire",
		"Notes du chauffeur Left in the porch", "fuseau horaire Europe/Paris", "Historique"} {
		if !strings.Contains(text, s) {
			t.Errorf("the French proof lacks %q:\n%s", s, text)
		}
	}
	st := &connect.Statement{ClientName: "Grüne Kiste", ClientNumber: "40817", Brand: "Swift Couriers", Location: paris, Language: "de",
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, paris), To: time.Date(2026, 4, 1, 0, 0, 0, 0, paris),
		Orders: 2, Counts: connect.StatusCounts{connect.StatusDelivered: 1, connect.StatusFailed: 1}, OnTime: 1, WithETA: 1,
		Failures: []connect.FailureCount{{Reason: "niemand da", Count: 1}}}
	var statement bytes.Buffer
	if err := (pdf.Documents{}).WriteStatement(&statement, st); err != nil {
		t.Fatal(err)
	}
	text = strings.Join(pdfread.Text(t, statement.Bytes()), " ")
	for _, s := range []string{"Abrechnung für März 2026", "Grüne Kiste - Kundennr. 40817", "vom 1. März 2026 bis 31. März 2026",
		"Zugestellt", "Fehlgeschlagen", "Pünktlich", "1 von 1 (100 %)", "niemand da"} {
		if !strings.Contains(text, s) {
			t.Errorf("the German statement lacks %q:\n%s", s, text)
		}
	}
	var labels bytes.Buffer
	if err := (pdf.Documents{}).WriteLabels(&labels, connect.LabelSheet4x6, []connect.PackageLabel{{Language: "es",
		Order: doc.Order.ID, Ref: "ORD-42", Client: "Verduras Sol", Recipient: connect.Recipient{Name: "Ana"},
		Address: doc.Order.Address, Depot: "norte", Package: 1, Packages: 2}}); err != nil {
		t.Fatal(err)
	}
	text = strings.Join(pdfread.Text(t, labels.Bytes()), " ")
	for _, s := range []string{"Bulto 1 de 2", "Pedido ORD-42", "De Verduras Sol", "Entregar a", "Depósito"} {
		if !strings.Contains(text, s) {
			t.Errorf("the Spanish label lacks %q:\n%s", s, text)
		}
	}
}
