package connect_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/connecttest"
)

// team is a world with one person of each role in the client's team.
type team struct {
	*world
	admin, member connect.Actor
	host, shopify connect.Actor
	emails        int
}

// newEmail returns an address no one in the world has yet.
func (tm *team) newEmail() string {
	tm.emails++
	return fmt.Sprintf("person%d@example.com", tm.emails)
}

func newTeam(t *testing.T) *team {
	w := newWorldWith(t, func(c *connect.Config) { keepProofFiles(c); withWebhooks(c); withNotices(c) })
	return &team{world: w,
		admin:   w.join(w.owner, "admin@example.com", connect.RoleAdmin),
		member:  w.join(w.owner, "member@example.com", connect.RoleMember),
		host:    connect.AsRouteSync(w.acct),
		shopify: connect.AsShopifyWebhook()}
}

// operations maps each Service operation to a call on objects the caller's tenant
// owns, and who may make it.
var operations = []struct {
	name    string
	allowed []string // of owner, admin, member, dispatcher, host, shopify
	// notFound lists who is refused with not_found rather than forbidden, because
	// the object belongs to another tenant from their point of view.
	notFound []string
	call     func(tm *team, a connect.Actor) error
}{
	{"InviteClient", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.InviteClient(tm.ctx, a, connect.InviteClientParams{Name: "New"})
		return err
	}},
	{"Clients", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Clients(tm.ctx, a)
		return err
	}},
	{"ClientsPage", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ClientsPage(tm.ctx, a, connect.ClientsParams{})
		return err
	}},
	{"AccountLocation", []string{"owner", "admin", "member", "dispatcher", "host"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.AccountLocation(tm.ctx, a)
		return err
	}},
	{"Client", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Client(tm.ctx, a, tm.client.ID)
		return err
	}},
	{"UpdateClient", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		name := "Renamed"
		_, err := tm.svc.UpdateClient(tm.ctx, a, tm.client.ID, connect.ClientChanges{Name: &name})
		return err
	}},
	{"DisableClient", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.DisableClient(tm.ctx, a, tm.client.ID)
		return err
	}},
	{"ChangeClients", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		res, err := tm.svc.ChangeClients(tm.ctx, a, connect.ClientSelection{IDs: []connect.ClientID{tm.client.ID}},
			connect.ClientsChange{Action: connect.ClientsSetDepot, Depot: "south"}, connect.BulkOptions{})
		return bulkDid(res, err)
	}},
	{"UpdateFulfillment", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.UpdateFulfillment(tm.ctx, a, connect.FulfillmentSettings{AutoFulfill: true})
		return err
	}},
	{"Members", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Members(tm.ctx, a, tm.client.ID)
		return err
	}},
	{"Membership", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, _, err := tm.svc.Membership(tm.ctx, a)
		return err
	}},
	{"InviteMember", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.InviteMember(tm.ctx, a, connect.InviteMemberParams{Email: "new@example.com", Role: connect.RoleMember})
		return err
	}},
	{"Invites", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Invites(tm.ctx, a, tm.client.ID)
		return err
	}},
	{"RevokeMemberInvite", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		inv, err := tm.svc.InviteMember(tm.ctx, tm.owner, connect.InviteMemberParams{Email: "new@example.com", Role: connect.RoleMember})
		if err != nil {
			return err
		}
		_, err = tm.svc.RevokeInvite(tm.ctx, a, inv.Invite.ID)
		return err
	}},
	{"ResendClientInvite", []string{"dispatcher"}, []string{"owner", "admin", "member"}, func(tm *team, a connect.Actor) error {
		inv, err := tm.svc.InviteClient(tm.ctx, tm.disp, connect.InviteClientParams{Name: "New"})
		if err != nil {
			return err
		}
		_, err = tm.svc.ResendInvite(tm.ctx, a, inv.Invite.ID)
		return err
	}},
	{"RemoveMember", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		other := tm.join(tm.owner, tm.newEmail(), connect.RoleMember)
		return tm.svc.RemoveMember(tm.ctx, a, other.Member)
	}},
	{"ChangeRole", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		other := tm.join(tm.owner, tm.newEmail(), connect.RoleMember)
		_, err := tm.svc.ChangeRole(tm.ctx, a, other.Member, connect.RoleAdmin)
		return err
	}},
	{"ResetMemberTwoFactor", []string{"owner", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		other := tm.join(tm.owner, tm.newEmail(), connect.RoleMember)
		_, err := tm.svc.ResetMemberTwoFactor(tm.ctx, a, tm.client.ID, other.Member)
		return err
	}},
	{"TransferOwnership", []string{"owner"}, nil, func(tm *team, a connect.Actor) error {
		other := tm.join(tm.owner, tm.newEmail(), connect.RoleMember)
		_, err := tm.svc.TransferOwnership(tm.ctx, a, other.Member)
		return err
	}},
	{"CreateOrder", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.CreateOrder(tm.ctx, a, connect.OrderInput{Address: connect.Address{Line1: "1 High St"}})
		return err
	}},
	{"UpdateDraft", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		_, err := tm.svc.UpdateDraft(tm.ctx, a, o.ID, 0, o.OrderInput)
		return err
	}},
	{"DeleteDraft", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.DeleteDraft(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID, 0)
	}},
	{"SubmitOrders", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SubmitOrders(tm.ctx, a, []connect.OrderID{tm.draft(tm.owner, tm.newEmail()).ID})
		return err
	}},
	{"Withdraw", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			return err
		}
		_, err := tm.svc.Withdraw(tm.ctx, a, o.ID)
		return err
	}},
	{"SubmitMatching", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		res, err := tm.svc.SubmitMatching(tm.ctx, a, connect.ListOrdersParams{Search: o.Ref}, connect.BulkOptions{})
		return bulkDid(res, err)
	}},
	{"WithdrawMatching", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			return err
		}
		res, err := tm.svc.WithdrawMatching(tm.ctx, a, connect.ListOrdersParams{Search: o.Ref}, connect.BulkOptions{})
		return bulkDid(res, err)
	}},
	{"DeleteMatching", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		res, err := tm.svc.DeleteMatching(tm.ctx, a, connect.ListOrdersParams{Search: o.Ref}, connect.BulkOptions{})
		return bulkDid(res, err)
	}},
	{"CancelOrder", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			return err
		}
		_, err := tm.svc.CancelOrder(tm.ctx, a, o.ID, "")
		return err
	}},
	{"Orders", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Orders(tm.ctx, a, connect.ListOrdersParams{})
		return err
	}},
	{"Imports", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Imports(tm.ctx, a, connect.ImportsParams{})
		return err
	}},
	{"OrderStats", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.OrderStats(tm.ctx, a, connect.OrderStatsParams{})
		return err
	}},
	{"Statement", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Statement(tm.ctx, a, connect.StatementParams{Client: tm.client.ID})
		return err
	}},
	{"ProofDocuments", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ProofDocuments(tm.ctx, a, connect.ProofExportParams{Client: tm.client.ID}, func(*connect.ProofDocument) error { return nil })
		return err
	}},
	{"Order", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Order(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		return err
	}},
	{"EnableClient", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.EnableClient(tm.ctx, a, tm.client.ID)
		return err
	}},
	{"ResendInvite", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		inv, err := tm.svc.InviteMember(tm.ctx, tm.owner, connect.InviteMemberParams{Email: tm.newEmail(), Role: connect.RoleMember})
		if err != nil {
			return err
		}
		_, err = tm.svc.ResendInvite(tm.ctx, a, inv.Invite.ID)
		return err
	}},
	{"StartSession", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.StartSession(tm.ctx, a, connect.StartSessionParams{})
		return err
	}},
	{"Sessions", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Sessions(tm.ctx, a)
		return err
	}},
	{"EndSession", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		// The caller's own session (a caller that cannot have one is refused here).
		is, err := tm.svc.StartSession(tm.ctx, a, connect.StartSessionParams{})
		if err != nil {
			return err
		}
		return tm.svc.EndSession(tm.ctx, a, is.Session.ID)
	}},
	{"EndOtherSessions", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.EndOtherSessions(tm.ctx, a)
		return err
	}},
	{"ChangePassword", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.ChangePassword(tm.ctx, a, "", "a long enough password")
	}},
	{"SetLanguage", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SetLanguage(tm.ctx, a, "fr")
		return err
	}},
	{"TwoFactorStatus", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.TwoFactorStatus(tm.ctx, a)
		return err
	}},
	{"BeginTwoFactor", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.BeginTwoFactor(tm.ctx, a)
		return err
	}},
	{"ConfirmTwoFactor", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, _, err := tm.enrollTwoFactor(a)
		return err
	}},
	{"VerifyTwoFactor", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, codes, err := tm.enrollTwoFactor(a)
		if err != nil {
			return err
		}
		return tm.svc.VerifyTwoFactor(tm.ctx, a, codes[0])
	}},
	{"DisableTwoFactor", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, codes, err := tm.enrollTwoFactor(a)
		if err != nil {
			return err
		}
		return tm.svc.DisableTwoFactor(tm.ctx, a, codes[0])
	}},
	{"PreviewImport", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.PreviewImport(tm.ctx, a, &rowsSource{}, connect.ImportOptions{})
		return err
	}},
	{"Import", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Import(tm.ctx, a, &rowsSource{}, connect.ImportOptions{})
		return err
	}},
	{"SaveImportMapping", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SaveImportMapping(tm.ctx, a, map[string]connect.Field{"Postcode": connect.FieldZip})
		return err
	}},
	{"CreateStops", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.CreateStops(tm.ctx, a, []connect.StopInput{{ClientNumber: string(tm.client.Number), Input: connect.OrderInput{Address: connect.Address{Line1: "1 Depot Rd"}}}})
		return err
	}},
	{"ImportStops", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ImportStops(tm.ctx, a, &rowsSource{}, connect.ImportOptions{})
		return err
	}},
	{"PreviewStops", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.PreviewStops(tm.ctx, a, &rowsSource{}, connect.ImportOptions{})
		return err
	}},
	{"ApplyRouteEvents", []string{"host"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ApplyRouteEvents(tm.ctx, a, nil)
		return err
	}},
	{"Outbox", []string{"dispatcher", "host"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Outbox(tm.ctx, a, connect.ListOutboxParams{})
		return err
	}},
	{"RetryOutbox", []string{"dispatcher", "host"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.RetryOutbox(tm.ctx, a, tm.pendingEntry())
	}},
	{"DiscardOutbox", []string{"dispatcher", "host"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.DiscardOutbox(tm.ctx, a, tm.pendingEntry())
	}},
	{"UnassignedStops", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, _, err := tm.svc.UnassignedStops(tm.ctx, a, "", "", 0)
		return err
	}},
	{"StopsPage", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, _, err := tm.svc.StopsPage(tm.ctx, a, connect.ListOrdersParams{Search: "x"})
		return err
	}},
	{"CancelMatching", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			return err
		}
		res, err := tm.svc.CancelMatching(tm.ctx, a, connect.ListOrdersParams{Search: o.Ref}, "not coming", connect.BulkOptions{})
		return bulkDid(res, err)
	}},
	{"ShopifyNotices", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ShopifyNotices(tm.ctx, a, 0)
		return err
	}},
	{"MoveToDepot", []string{"dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
			return err
		}
		_, err := tm.svc.MoveToDepot(tm.ctx, a, o.ID, "south")
		return err
	}},
	{"Subscribe", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		ctx, cancel := context.WithCancel(tm.ctx)
		defer cancel()
		_, err := tm.svc.Subscribe(ctx, a, connect.SubscribeParams{})
		return err
	}},
	{"Follow", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		f, err := tm.svc.Follow(tm.ctx, a, connect.FollowParams{Deliver: func([]connect.OrderEvent) bool { return true }})
		if err == nil {
			f.Stop()
		}
		return err
	}},
	{"AddWebhook", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.AddWebhook(tm.ctx, a, connect.WebhookInput{URL: "https://hooks.example/" + tm.newEmail(), Events: connect.WebhookEventTypes()})
		return err
	}},
	{"Webhooks", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Webhooks(tm.ctx, a)
		return err
	}},
	{"Webhook", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Webhook(tm.ctx, a, tm.webhook().ID)
		return err
	}},
	{"UpdateWebhook", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.UpdateWebhook(tm.ctx, a, tm.webhook().ID, connect.WebhookInput{URL: "https://hooks.example/new", Events: connect.WebhookEventTypes(), Paused: true})
		return err
	}},
	{"RotateWebhookSecret", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.RotateWebhookSecret(tm.ctx, a, tm.webhook().ID, 0)
		return err
	}},
	{"SendTestWebhook", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SendTestWebhook(tm.ctx, a, tm.webhook().ID)
		return err
	}},
	{"WebhookDeliveries", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.WebhookDeliveries(tm.ctx, a, tm.webhook().ID)
		return err
	}},
	{"DeleteWebhook", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.DeleteWebhook(tm.ctx, a, tm.webhook().ID)
	}},
	{"AddressBook", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.AddressBook(tm.ctx, a, connect.AddressBookParams{Search: "high"})
		return err
	}},
	{"AddressEntry", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.AddressEntry(tm.ctx, a, tm.addressEntry().ID)
		return err
	}},
	{"AddAddressEntry", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.AddAddressEntry(tm.ctx, a, connect.AddressEntryInput{Address: connect.Address{Line1: tm.newEmail()}})
		return err
	}},
	{"UpdateAddressEntry", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.UpdateAddressEntry(tm.ctx, a, tm.addressEntry().ID, 0, connect.AddressEntryInput{Address: connect.Address{Line1: tm.newEmail()}})
		return err
	}},
	{"DeleteAddressEntry", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.DeleteAddressEntry(tm.ctx, a, tm.addressEntry().ID)
	}},
	{"SetAddressBookSaving", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SetAddressBookSaving(tm.ctx, a, true)
		return err
	}},
	{"RepeatOrder", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.RepeatOrder(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		return err
	}},
	{"CreateSchedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.CreateSchedule(tm.ctx, a, connect.ScheduleInput{Template: connect.OrderInput{Address: connect.Address{Line1: "1 High St"}},
			Weekdays: []time.Weekday{time.Monday}, At: 9 * 60})
		return err
	}},
	{"Schedules", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Schedules(tm.ctx, a)
		return err
	}},
	{"Schedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.Schedule(tm.ctx, a, tm.schedule().ID)
		return err
	}},
	{"ScheduleRuns", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ScheduleRuns(tm.ctx, a, tm.schedule().ID)
		return err
	}},
	{"PauseSchedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.PauseSchedule(tm.ctx, a, tm.schedule().ID)
		return err
	}},
	{"UpdateSchedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		sc := tm.schedule()
		_, err := tm.svc.UpdateSchedule(tm.ctx, a, sc.ID, sc.Version, connect.ScheduleInput{Template: sc.Template,
			Weekdays: []time.Weekday{time.Friday}, At: 8 * 60})
		return err
	}},
	{"ResumeSchedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ResumeSchedule(tm.ctx, a, tm.schedule().ID)
		return err
	}},
	{"DeleteSchedule", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		return tm.svc.DeleteSchedule(tm.ctx, a, tm.schedule().ID)
	}},
	{"CreateAPIKey", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.CreateAPIKey(tm.ctx, a, "k")
		return err
	}},
	{"APIKeys", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.APIKeys(tm.ctx, a)
		return err
	}},
	{"RevokeAPIKey", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		k, err := tm.svc.CreateAPIKey(tm.ctx, tm.owner, "k")
		if err != nil {
			return err
		}
		_, err = tm.svc.RevokeAPIKey(tm.ctx, a, k.Key.ID)
		return err
	}},
	{"CreateTrackingLink", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.CreateTrackingLink(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		return err
	}},
	{"StoreProofFile", []string{"host"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.StoreProofFile(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID, bytes.NewReader(connecttest.PNG))
		return err
	}},
	{"OpenProofFile", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.OpenProofFile(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID, strings.Repeat("ab", 16))
		if connect.ErrorCode(err) == connect.NotFound {
			return nil // allowed: the draft has no proof
		}
		return err
	}},
	{"PackageLabels", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.PackageLabels(tm.ctx, a, []connect.OrderID{tm.draft(tm.owner, tm.newEmail()).ID})
		return err
	}},
	{"ProofDocument", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ProofDocument(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		if connect.ErrorCode(err) == connect.Conflict {
			return nil // allowed: the draft has no proof yet
		}
		return err
	}},
	{"NotifySettings", []string{"owner", "admin", "member"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.NotifySettings(tm.ctx, a)
		return err
	}},
	{"SetNotifySettings", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.SetNotifySettings(tm.ctx, a, connect.NotifySettingsInput{Events: connect.NotifyEvents(), Email: true})
		return err
	}},
	{"OrderNotices", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.OrderNotices(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		return err
	}},
	{"TrackingLinks", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.TrackingLinks(tm.ctx, a, tm.draft(tm.owner, tm.newEmail()).ID)
		return err
	}},
	{"RevokeTrackingLink", []string{"owner", "admin", "member", "dispatcher"}, nil, func(tm *team, a connect.Actor) error {
		o := tm.draft(tm.owner, tm.newEmail())
		l, err := tm.svc.CreateTrackingLink(tm.ctx, tm.owner, o.ID)
		if err != nil {
			return err
		}
		_, err = tm.svc.RevokeTrackingLink(tm.ctx, a, o.ID, l.Link.ID)
		return err
	}},
	{"LinkShopify", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.LinkShopify(tm.ctx, a, "green.myshopify.com")
		return err
	}},
	{"UnlinkShopify", []string{"owner", "admin"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.UnlinkShopify(tm.ctx, a)
		return err
	}},
	{"ShopifyUninstalled", []string{"shopify"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ShopifyUninstalled(tm.ctx, a, "green.myshopify.com")
		return err
	}},
	{"ShopifyOrderUpdated", []string{"shopify"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ShopifyOrderUpdated(tm.ctx, a, connect.ShopifyOrderChange{Shop: "green.myshopify.com", OrderID: "gid://shopify/Order/1"})
		return err
	}},
	{"ShopifyOrderCancelled", []string{"shopify"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ShopifyOrderCancelled(tm.ctx, a, connect.ShopifyOrderChange{Shop: "green.myshopify.com", OrderID: "gid://shopify/Order/1"})
		return err
	}},
	{"RedactShopifyData", []string{"shopify"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.RedactShopifyData(tm.ctx, a, connect.RedactParams{Shop: "green.myshopify.com", Email: "ada@example.com"})
		return err
	}},
	{"ShopifyDataRequest", []string{"shopify"}, nil, func(tm *team, a connect.Actor) error {
		_, err := tm.svc.ShopifyDataRequest(tm.ctx, a, connect.DataRequestParams{Shop: "green.myshopify.com", Email: "ada@example.com", RequestID: "1"})
		return err
	}},
}

func TestEachRoleDoesExactlyWhatItMay(t *testing.T) {
	for _, op := range operations {
		for _, who := range []string{"owner", "admin", "member", "dispatcher", "host", "shopify"} {
			t.Run(op.name+"/"+who, func(t *testing.T) {
				t.Parallel()
				tm := newTeam(t)
				actor := map[string]connect.Actor{"owner": tm.owner, "admin": tm.admin, "member": tm.member,
					"dispatcher": tm.disp, "host": tm.host, "shopify": tm.shopify}[who]
				err := op.call(tm, actor)
				allowed := false
				for _, a := range op.allowed {
					allowed = allowed || a == who
				}
				if allowed && err != nil {
					t.Fatalf("%s may %s, got %v", who, op.name, err)
				}
				want := connect.Forbidden
				for _, a := range op.notFound {
					if a == who {
						want = connect.NotFound
					}
				}
				if !allowed {
					connecttest.WantCode(t, err, want)
				}
			})
		}
	}
}

func TestTheZeroActorIsRefused(t *testing.T) {
	tm := newTeam(t)
	for _, op := range operations {
		if err := op.call(tm, connect.Actor{}); connect.ErrorCode(err) != connect.Forbidden {
			t.Errorf("%s as nobody: %v, want forbidden", op.name, err)
		}
	}
}

func TestMembersOfAnotherClientGetNotFound(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "MINE")
	_, stranger := w.signUpClient(w.disp, "Other Shop", connect.ClientSettings{AllowUpload: true})
	_, err := w.svc.Order(w.ctx, stranger, o.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.UpdateDraft(w.ctx, stranger, o.ID, 0, o.OrderInput)
	connecttest.WantCode(t, err, connect.NotFound)
	connecttest.WantCode(t, w.svc.DeleteDraft(w.ctx, stranger, o.ID, 0), connect.NotFound)
	_, err = w.svc.SubmitOrders(w.ctx, stranger, []connect.OrderID{o.ID})
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Client(w.ctx, stranger, w.client.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Members(w.ctx, stranger, w.client.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	connecttest.WantCode(t, w.svc.RemoveMember(w.ctx, stranger, w.owner.Member), connect.NotFound)
	page, err := w.svc.Orders(w.ctx, stranger, connect.ListOrdersParams{Client: w.client.ID})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("stranger's list: %+v, %v", page, err)
	}
	// A member actor that claims the other client is refused outright.
	forged := connect.AsMember(w.acct, w.client.ID, stranger.Member)
	_, err = w.svc.Order(w.ctx, forged, o.ID)
	connecttest.WantCode(t, err, connect.Forbidden)
}

func TestDispatchersOfAnotherAccountGetNotFound(t *testing.T) {
	w := newWorld(t)
	o := w.draft(w.owner, "MINE")
	other := connect.AsDispatcher("acct-2", "eve@other.example")
	_, err := w.svc.Order(w.ctx, other, o.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Client(w.ctx, other, w.client.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.DisableClient(w.ctx, other, w.client.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.CancelOrder(w.ctx, other, o.ID, "")
	connecttest.WantCode(t, err, connect.NotFound)
	_, err = w.svc.Members(w.ctx, other, w.client.ID)
	connecttest.WantCode(t, err, connect.NotFound)
	list, err := w.svc.Clients(w.ctx, other)
	if err != nil || len(list) != 0 {
		t.Fatalf("other account's clients: %v, %v", list, err)
	}
	page, err := w.svc.Orders(w.ctx, other, connect.ListOrdersParams{})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("other account's orders: %+v, %v", page, err)
	}
}

// withoutActor lists the Service's exported methods that take no Actor: their
// credential is a token or a verified signature, or they run the library itself.
var withoutActor = map[string]bool{
	"AcceptInvite": true, "Invitation": true, "SignIn": true, "AuthenticateAPIKey": true, "Track": true, "OpenTrackedProofFile": true, "TrackedProofDocument": true,
	"RunOutbox": true, "DeliverOutbox": true, "RunSchedules": true, "RunScheduler": true, "Close": true, "WithStore": true, "OpenSession": true, "SignOut": true,
	"RequestPasswordReset": true, "PasswordResetFor": true, "ResetPassword": true, "IdentifyMember": true,
	"NotifyChannels": true,
}

// needsShopify lists operations that refuse before the role check when the world
// has no Shopify port; TestDeliveredShopifyOrdersAreFulfilledWhenTheClientAsks covers them.
var needsShopify = map[string]bool{"ShopifyOrders": true, "ImportShopifyOrders": true}

func TestTheRoleMatrixCoversEveryOperation(t *testing.T) {
	listed := map[string]bool{}
	for _, op := range operations {
		listed[op.name] = true
	}
	aliases := map[string]string{"RevokeMemberInvite": "RevokeInvite", "ResendClientInvite": "ResendInvite"}
	for name, method := range aliases {
		if listed[name] {
			listed[method] = true
		}
	}
	typ := reflect.TypeOf(&connect.Service{})
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if !listed[name] && !withoutActor[name] && !needsShopify[name] {
			t.Errorf("Service.%s has no row in the role matrix: add one to operations", name)
		}
	}
}

// addressEntry has the owner add an address book entry of the team's client.
func (tm *team) addressEntry() *connect.AddressEntry {
	tm.t.Helper()
	e, err := tm.svc.AddAddressEntry(tm.ctx, tm.owner, connect.AddressEntryInput{Address: connect.Address{Line1: tm.newEmail()}})
	if err != nil {
		tm.t.Fatal(err)
	}
	return e
}

// schedule has the owner make a recurring schedule of the team's client.
func (tm *team) schedule() *connect.Schedule {
	tm.t.Helper()
	sc, err := tm.svc.CreateSchedule(tm.ctx, tm.owner, connect.ScheduleInput{Template: connect.OrderInput{Address: connect.Address{Line1: tm.newEmail()}},
		Weekdays: []time.Weekday{time.Monday}, At: 9 * 60})
	if err != nil {
		tm.t.Fatal(err)
	}
	return sc
}

// webhook has the owner add a webhook endpoint of the team's client.
func (tm *team) webhook() *connect.WebhookEndpoint {
	tm.t.Helper()
	issued, err := tm.svc.AddWebhook(tm.ctx, tm.owner, connect.WebhookInput{URL: "https://hooks.example/" + tm.newEmail(), Events: connect.WebhookEventTypes()})
	if err != nil {
		tm.t.Fatal(err)
	}
	return issued.Webhook
}

// pendingEntry submits a new order of the team and returns its outbox entry
// (the route sync's), still to deliver.
func (tm *team) pendingEntry() string {
	tm.t.Helper()
	o := tm.draft(tm.owner, tm.newEmail())
	if _, err := tm.svc.SubmitOrders(tm.ctx, tm.owner, []connect.OrderID{o.ID}); err != nil {
		tm.t.Fatal(err)
	}
	page, err := tm.svc.Outbox(tm.ctx, tm.disp, connect.ListOutboxParams{View: connect.OutboxViewPending, Limit: 1})
	if err != nil || len(page.Entries) == 0 || page.Entries[0].Order != o.ID {
		tm.t.Fatalf("the submitted order's outbox entry: %v, %v", page, err)
	}
	return page.Entries[0].ID
}

// bulkDid is a bulk action's error, or one saying it did not act on the one
// order it was aimed at.
func bulkDid(res *connect.BulkResult, err error) error {
	if err != nil {
		return err
	}
	if res.Matched != 1 || res.Done != 1 {
		return fmt.Errorf("the bulk action matched %d and did %d; want 1 and 1: %+v", res.Matched, res.Done, res.Refusals)
	}
	return nil
}
