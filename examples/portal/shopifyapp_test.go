package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/dispatchkit/connect/shopify"
)

// shopifyApp is the part of shopify.app.toml the portal depends on.
type shopifyApp struct {
	ClientID       string `toml:"client_id"`
	ApplicationURL string `toml:"application_url"`
	AccessScopes   struct {
		Scopes string `toml:"scopes"`
	} `toml:"access_scopes"`
	Auth struct {
		RedirectURLs []string `toml:"redirect_urls"`
	} `toml:"auth"`
	Webhooks struct {
		APIVersion    string `toml:"api_version"`
		Subscriptions []struct {
			Topics           []string `toml:"topics"`
			ComplianceTopics []string `toml:"compliance_topics"`
			URI              string   `toml:"uri"`
		} `toml:"subscriptions"`
	} `toml:"webhooks"`
}

// TestShopifyAppTOML checks the example app configuration against what the
// adapter and this portal do: a configuration that drifts (a scope the
// adapter needs and does not ask for, a callback the portal does not mount,
// a compliance topic left out) fails here rather than on a merchant's store.
func TestShopifyAppTOML(t *testing.T) {
	t.Parallel()
	var app shopifyApp
	md, err := toml.DecodeFile("shopify.app.toml", &app)
	if err != nil {
		t.Fatal(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Logf("keys the test does not check: %v", und)
	}
	if app.ClientID == "" {
		t.Error("client_id is empty")
	}
	if got := strings.Split(app.AccessScopes.Scopes, ","); !slices.Equal(got, shopify.Scopes()) {
		t.Errorf("access_scopes.scopes = %v, want the adapter's %v", got, shopify.Scopes())
	}
	pathOf := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" {
			t.Errorf("%q is not an https URL", raw)
			return ""
		}
		return u.Path
	}
	if len(app.Auth.RedirectURLs) != 1 || pathOf(app.Auth.RedirectURLs[0]) != "/shopify/callback" {
		t.Errorf("auth.redirect_urls = %v, want the portal's /shopify/callback", app.Auth.RedirectURLs)
	}
	if pathOf(app.ApplicationURL) != "/shopify/app" {
		t.Errorf("application_url = %q, want the portal's App URL handler, /shopify/app", app.ApplicationURL)
	}
	if app.Webhooks.APIVersion != shopify.APIVersion {
		t.Errorf("webhooks.api_version = %q, want the adapter's %s", app.Webhooks.APIVersion, shopify.APIVersion)
	}
	var topics, compliance []string
	for _, s := range app.Webhooks.Subscriptions {
		if pathOf(s.URI) != "/shopify/webhooks" {
			t.Errorf("a subscription goes to %q, want the portal's /shopify/webhooks", s.URI)
		}
		topics = append(topics, s.Topics...)
		compliance = append(compliance, s.ComplianceTopics...)
	}
	for _, want := range []string{shopify.TopicAppUninstalled, shopify.TopicOrdersUpdated, shopify.TopicOrdersCancelled} {
		if !slices.Contains(topics, want) {
			t.Errorf("no subscription to %s", want)
		}
	}
	for _, want := range []string{shopify.TopicCustomersDataRequest, shopify.TopicCustomersRedact, shopify.TopicShopRedact} {
		if !slices.Contains(compliance, want) {
			t.Errorf("no compliance subscription to %s", want)
		}
	}
}
