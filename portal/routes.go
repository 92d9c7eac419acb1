package portal

import (
	"net/http"
)

// register mounts every route. Patterns are relative to the prefix.
func (s *server) register() {
	form := func(h http.Handler) http.Handler { return s.formBody(maxFormBytes, h) }
	upload := func(h http.Handler) http.Handler { return limited(maxUploadBytes, h) }
	pw := s.passwordSignIn // the portal's own sign-in, which the host may turn off

	// Public.
	s.handle("GET /{$}", s.public(s.root))
	s.handle("GET /static/", http.HandlerFunc(s.serveStatic))
	s.handle("GET /signin", pw(s.public(s.signInPage)))
	s.handle("POST /signin", pw(form(s.public(s.signIn))))
	s.handle("GET /signin/choose", pw(s.public(s.choosePage)))
	s.handle("POST /signin/choose", pw(form(s.public(s.choose))))
	s.handle("GET /signin/code", pw(s.public(s.codePage)))
	s.handle("POST /signin/code", pw(form(s.public(s.code))))
	s.handle("GET /signin/enroll", pw(s.public(s.enrollPage)))
	s.handle("POST /signin/enroll", pw(form(s.public(s.enroll))))
	s.handle("POST /signout", form(s.public(s.signOut)))
	s.handle("GET /signin/forgot", pw(s.public(s.forgotPage)))
	s.handle("POST /signin/forgot", pw(form(s.public(s.forgot))))
	s.handle("GET /reset/{token}", pw(s.public(s.resetPage)))
	s.handle("POST /reset/{token}", pw(form(s.public(s.reset))))
	s.handle("GET /invite/{token}", s.public(s.invitePage))
	s.handle("POST /invite/{token}", form(s.public(s.acceptInvite)))
	s.handle("GET /track/{token}", s.public(s.trackPage))
	s.handle("GET /track/{token}/live", s.public(s.trackLive))
	s.handle("GET /track/{token}/proof/{file}", s.public(s.trackedProofFile))
	s.handle("GET /track/{token}/proof.pdf", s.public(s.trackedProofPDF))
	s.handle("GET /proof/{order}/{file}", s.public(s.proofFile))
	s.handle("GET /help/glossary", s.public(s.glossaryPage))

	// Client portal.
	s.handle("GET /home", s.member(s.home))
	s.handle("GET /orders", s.member(s.ordersPage))
	s.handle("POST /orders/submit", form(s.member(s.submitOrders)))
	s.handle("POST /orders/submit-matching", form(s.member(s.startBulk("submit"))))
	s.handle("POST /orders/withdraw-matching", form(s.member(s.startBulk("withdraw"))))
	s.handle("POST /orders/delete-matching", form(s.member(s.startBulk("delete"))))
	s.handle("GET /orders/new", s.member(s.newOrderPage))
	s.handle("POST /orders/new", form(s.member(s.createOrder)))
	s.handle("GET /orders/export.csv", s.member(s.exportOrders("csv")))
	s.handle("GET /orders/export.xlsx", s.member(s.exportOrders("xlsx")))
	s.handle("GET /orders/labels.pdf", s.member(s.selectionLabels))
	s.handle("GET /orders/proofs.zip", s.member(s.proofExport))
	s.handle("GET /orders/template.xlsx", s.member(s.template("xlsx")))
	s.handle("GET /orders/template.csv", s.member(s.template("csv")))
	s.handle("GET /orders/shopify", s.member(s.shopifyOrdersPage))
	s.handle("POST /orders/shopify", form(s.member(s.importShopify)))
	s.handle("GET /orders/{id}", s.member(s.orderPage))
	s.handle("GET /orders/{id}/row", s.member(s.orderRow))
	s.handle("GET /orders/{id}/live", s.member(s.orderLive))
	s.handle("GET /orders/{id}/labels.pdf", s.member(s.orderLabels))
	s.handle("GET /orders/{id}/proof.pdf", s.member(s.orderProof))
	s.handle("GET /orders/{id}/edit", s.member(s.editOrderPage))
	s.handle("POST /orders/{id}/edit", form(s.member(s.updateOrder)))
	s.handle("POST /orders/{id}/delete", form(s.member(s.askMember(confirmation{Question: "Delete this draft?",
		Detail: "The draft and what it holds are deleted for good.", Yes: "Delete the draft"}, s.deleteOrder))))
	s.handle("POST /orders/{id}/submit", form(s.member(s.submitOrder)))
	s.handle("POST /orders/{id}/withdraw", form(s.member(s.withdrawOrder)))
	s.handle("POST /orders/{id}/tracking-links", form(s.member(s.createTrackingLink)))
	s.handle("POST /orders/{id}/tracking-links/{link}/revoke", form(s.member(s.askMember(confirmation{Question: "Revoke this tracking link?",
		Detail: "Whoever has the link can no longer open it; a new link can be made.", Yes: "Revoke the link"}, s.revokeTrackingLink))))
	s.handle("GET /events", s.member(s.events))
	s.handle("GET /statements", s.member(s.statementPage))
	s.handle("GET /statements.pdf", s.member(s.statementPDF))

	s.handle("GET /imports/new", s.member(s.importPage))
	s.handle("POST /imports", upload(s.member(s.uploadImport)))
	s.handle("GET /imports/{id}", s.member(s.mappingPage))
	s.handle("POST /imports/{id}/mapping", form(s.member(s.saveMapping)))
	s.handle("POST /imports/{id}/sheets", form(s.member(s.saveSheets)))
	s.handle("GET /imports/{id}/preview", s.member(s.previewPage))
	s.handle("POST /imports/{id}/run", form(s.member(s.runImport)))
	s.handle("GET /imports/{id}/progress", s.member(s.progressPage))
	s.handle("GET /imports/{id}/events", s.member(s.progressEvents))
	s.handle("GET /imports/{id}/status", s.member(s.progressStatus))
	s.handle("GET /imports/{id}/result", s.member(s.resultPage))
	s.handle("GET /imports/{id}/refused.csv", s.member(s.refusedFile))
	s.handle("GET /imports/{id}/labels.pdf", s.member(s.importLabels))

	s.handle("GET /settings", s.member(s.settingsRoot))
	s.handle("GET /settings/team", s.member(s.teamPage))
	s.handle("POST /settings/team/invites", form(s.member(s.inviteMember)))
	s.handle("POST /settings/team/invites/{id}/resend", form(s.member(s.resendMemberInvite)))
	s.handle("POST /settings/team/invites/{id}/revoke", form(s.member(s.askMember(confirmation{Question: "Revoke this invitation?",
		Detail: "Its link stops working; you can invite the person again.", Yes: "Revoke the invitation"}, s.revokeMemberInvite))))
	s.handle("POST /settings/team/members/{id}/role", form(s.member(s.changeRole)))
	s.handle("POST /settings/team/members/{id}/remove", form(s.member(s.askMember(confirmation{Question: "Remove this member from the team?",
		Detail: "They are signed out everywhere and can no longer sign in to this team.", Yes: "Remove the member"}, s.removeMember))))
	s.handle("POST /settings/team/members/{member}/two-factor/reset", form(s.member(s.askMember(confirmation{Question: "Reset this member's two-factor sign-in?",
		Detail: "Their authenticator and recovery codes stop working; they set two-factor sign-in up again.", Yes: "Reset two-factor sign-in"}, s.resetMemberTwoFactor))))
	s.handle("POST /settings/team/transfer", form(s.member(s.askMember(confirmation{Question: "Hand the team's ownership over?",
		Detail: "You become an admin; only the new owner can hand it back.", Yes: "Transfer ownership"}, s.transferOwnership))))
	s.handle("GET /settings/account", s.member(s.accountPage))
	s.handle("POST /settings/account/password", form(s.member(s.changePassword)))
	s.handle("POST /settings/account/sessions/{id}/end", form(s.member(s.endOneSession)))
	s.handle("POST /settings/account/sessions/end-others", form(s.member(s.endOtherSessions)))
	s.handle("POST /settings/account/two-factor", form(s.member(s.beginTwoFactor)))
	s.handle("POST /settings/account/two-factor/confirm", form(s.member(s.confirmTwoFactor)))
	s.handle("POST /settings/account/two-factor/disable", form(s.member(s.disableTwoFactor)))
	s.handle("GET /settings/integrations", s.member(s.integrationsPage))
	s.handle("POST /settings/integrations/fulfilment", form(s.member(s.updateFulfillment)))
	s.handle("POST /settings/integrations/shopify/disconnect", form(s.member(s.askMember(confirmation{Question: "Disconnect the Shopify store?",
		Detail: "Orders no longer come from the store, and delivered ones are no longer marked fulfilled in it.", Yes: "Disconnect Shopify"}, s.disconnectShopify))))
	s.handle("POST /settings/integrations/api-keys", form(s.member(s.createAPIKey)))
	s.handle("POST /settings/integrations/api-keys/{id}/revoke", form(s.member(s.askMember(confirmation{Question: "Revoke this API key?",
		Detail: "Every program using it is refused from now on.", Yes: "Revoke the key"}, s.revokeAPIKey))))
	s.handle("POST /settings/integrations/webhooks", form(s.member(s.addWebhook)))
	s.handle("GET /settings/integrations/webhooks/{id}", s.member(s.webhookPage))
	s.handle("POST /settings/integrations/webhooks/{id}", form(s.member(s.updateWebhook)))
	s.handle("POST /settings/integrations/webhooks/{id}/test", form(s.member(s.testWebhook)))
	s.handle("POST /settings/integrations/webhooks/{id}/rotate", form(s.member(s.rotateWebhook)))
	s.handle("POST /settings/integrations/webhooks/{id}/delete", form(s.member(s.askMember(confirmation{Question: "Delete this webhook?",
		Detail: "Its endpoint is told nothing more, and its delivery log is deleted.", Yes: "Delete the webhook"}, s.deleteWebhook))))

	if s.cfg.ShopifyInstall != nil {
		s.handle("/shopify/", form(s.member(func(w http.ResponseWriter, r *http.Request, _ *viewer) error {
			s.cfg.ShopifyInstall.ServeHTTP(w, r)
			return nil
		})))
		// The App URL Shopify opens carries Shopify's signature, not a session:
		// the handler checks it before sending the merchant on to sign in.
		s.handle("GET /shopify/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			noStore(w)
			s.cfg.ShopifyInstall.ServeHTTP(w, r)
		}))
	}
	if s.cfg.ShopifyWebhooks != nil {
		s.handle("POST /shopify/webhooks", s.cfg.ShopifyWebhooks)
	}

	// Dispatcher console.
	s.handle("GET /dispatch/{$}", s.dispatcher(s.consoleRoot))
	s.handle("GET /dispatch/clients", s.dispatcher(s.clientsPage))
	s.handle("POST /dispatch/clients", form(s.dispatcher(s.inviteClient)))
	s.handle("GET /dispatch/clients/{id}", s.dispatcher(s.clientPage))
	s.handle("POST /dispatch/clients/{id}", form(s.dispatcher(s.updateClient)))
	s.handle("GET /dispatch/clients/{id}/statement", s.dispatcher(s.clientStatementPage))
	s.handle("GET /dispatch/clients/{id}/statement.pdf", s.dispatcher(s.clientStatementPDF))
	s.handle("GET /dispatch/clients/{id}/proofs.zip", s.dispatcher(s.clientProofExport))
	s.handle("POST /dispatch/clients/{id}/disable", form(s.dispatcher(s.askDispatcher(confirmation{Question: "Disable this client?",
		Detail: "Its team is signed out and cannot sign in, and its API keys are refused, until you enable it again.", Yes: "Disable the client"}, s.disableClient))))
	s.handle("POST /dispatch/clients/{id}/enable", form(s.dispatcher(s.enableClient)))
	s.handle("POST /dispatch/clients/{id}/members/{member}/two-factor/reset", form(s.dispatcher(s.resetClientMemberTwoFactor)))
	s.handle("POST /dispatch/invites/{id}/resend", form(s.dispatcher(s.resendClientInvite)))
	s.handle("POST /dispatch/invites/{id}/revoke", form(s.dispatcher(s.askDispatcher(confirmation{Question: "Revoke this invitation?",
		Detail: "Its link stops working; you can send a new one.", Yes: "Revoke the invitation"}, s.revokeClientInvite))))
	s.handle("GET /dispatch/stops", s.dispatcher(s.stopsPage))
	s.handle("POST /dispatch/stops/{id}/move", form(s.dispatcher(s.moveStop)))
	s.handle("POST /dispatch/stops/{id}/cancel", form(s.dispatcher(s.askDispatcher(confirmation{Question: "Cancel this stop?",
		Detail: "The order is cancelled for good and its client sees why.", Yes: "Cancel the stop"}, s.cancelStop))))
	s.handle("GET /dispatch/deliveries", s.dispatcher(s.deliveriesPage))
	s.handle("POST /dispatch/deliveries/{id}/retry", form(s.dispatcher(s.retryDelivery)))
	s.handle("POST /dispatch/deliveries/{id}/discard", form(s.dispatcher(s.askDispatcher(confirmation{Question: "Discard this delivery?",
		Detail: "It is never sent; retry it instead to send it again.", Yes: "Discard the delivery"}, s.discardDelivery))))
	s.handle("GET /dispatch/stops/import", s.dispatcher(s.stopsImportPage))
	s.handle("POST /dispatch/stops/import", upload(s.dispatcher(s.importStops)))

	// JSON API (documented in openapi.yaml; TestOpenAPICoversRoutes keeps them equal).
	s.handle("GET /api/v1/client", s.api(s.apiClient))
	s.handle("GET /api/v1/orders", s.api(s.apiListOrders))
	s.handle("POST /api/v1/orders", form(s.api(s.apiCreateOrder)))
	s.handle("POST /api/v1/orders/submit", form(s.api(s.apiSubmit)))
	s.handle("POST /api/v1/orders/submit-matching", form(s.api(s.apiBulk("submit"))))
	s.handle("POST /api/v1/orders/withdraw-matching", form(s.api(s.apiBulk("withdraw"))))
	s.handle("POST /api/v1/orders/delete-matching", form(s.api(s.apiBulk("delete"))))
	s.handle("GET /api/v1/orders/{id}", s.api(s.apiGetOrder))
	s.handle("GET /api/v1/orders/{id}/proof.pdf", s.api(s.apiProof))
	s.handle("GET /api/v1/orders/{id}/labels.pdf", s.api(s.apiLabels))
	s.handle("PUT /api/v1/orders/{id}", form(s.api(s.apiUpdateOrder)))
	s.handle("DELETE /api/v1/orders/{id}", form(s.api(s.apiDeleteOrder)))
	s.handle("POST /api/v1/orders/{id}/withdraw", form(s.api(s.apiWithdraw)))
	s.handle("POST /api/v1/imports", upload(s.api(s.apiImport)))
	s.handle("GET /api/v1/events", s.api(s.apiEvents))
	s.handle("GET /api/v1/webhooks", s.api(s.apiListWebhooks))
	s.handle("POST /api/v1/webhooks", form(s.api(s.apiCreateWebhook)))
	s.handle("GET /api/v1/webhooks/{id}", s.api(s.apiGetWebhook))
	s.handle("PUT /api/v1/webhooks/{id}", form(s.api(s.apiUpdateWebhook)))
	s.handle("DELETE /api/v1/webhooks/{id}", form(s.api(s.apiDeleteWebhook)))
	s.handle("POST /api/v1/webhooks/{id}/rotate-secret", form(s.api(s.apiRotateWebhookSecret)))
	s.handle("POST /api/v1/webhooks/{id}/test", form(s.api(s.apiTestWebhook)))
	s.handle("GET /api/v1/webhooks/{id}/deliveries", s.api(s.apiWebhookDeliveries))
	s.handle("GET /api/v1/openapi.yaml", http.HandlerFunc(s.serveOpenAPI))
	s.handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNotFoundAPI)
	}))
}
