package shopify_test

import (
	"context"
	"encoding/base64"
	"log"
	"net/http"
	"os"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/shopify"
	"github.com/dispatchkit/connect/storage"
)

// A host wires the adapter between its store and the Service, then mounts the
// install and webhook handlers beside its portal. The sealing key (32 bytes)
// and the app's credentials come from the host's secrets, never the database.
func ExampleNew() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite:connect.db")
	if err != nil {
		log.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(os.Getenv("SHOPIFY_TOKEN_KEY"))
	sealer, err := shopify.NewSealer(key)
	if err != nil {
		log.Fatal(err)
	}
	// The portal's sign-in: who is making this request.
	var session func(r *http.Request) (connect.Actor, bool)

	shop, err := shopify.New(shopify.Config{
		ClientID: os.Getenv("SHOPIFY_CLIENT_ID"), Secret: os.Getenv("SHOPIFY_CLIENT_SECRET"),
		Tokens: store, Once: store, Clients: store, // the store keeps tokens and single-use keys
		Sealer:      sealer,
		Session:     session,
		RedirectURL: "https://portal.example/shopify/callback",
		ReturnURL:   "https://portal.example/settings/integrations",
	})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := connect.New(connect.Config{Store: store, Shopify: shop,
		TrackingURL: func(token string) string { return "https://portal.example/track/" + token }})
	if err != nil {
		log.Fatal(err)
	}
	install, err := shop.InstallHandler(svc)
	if err != nil {
		log.Fatal(err)
	}
	webhooks, err := shop.WebhookHandler(svc)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /settings/shopify/install", install.Start) // the Connect store button
	mux.HandleFunc("GET /shopify/callback", install.Callback)       // the app's redirection URL
	mux.Handle("POST /shopify/webhooks", webhooks)                  // every webhook topic's URL
	go svc.RunOutbox(ctx, connect.OutboxOptions{})                  // fulfillments reach Shopify from here
	log.Fatal(http.ListenAndServe(":8080", mux))
}
