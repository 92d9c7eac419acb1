package connect

import "fmt"

// ActorKind says what kind of caller an Actor is.
type ActorKind int

// The kinds of actor.
const (
	ActorNobody     ActorKind = iota // the zero Actor: refused everywhere
	ActorDispatcher                  // a dispatcher of the account, authenticated by the host
	ActorMember                      // a member of a client's team
	ActorRouteSync                   // the host's route sync, reporting what happened on routes
	ActorAPIKey                      // a client's own system, with one of the client's API keys
	ActorShopify                     // Shopify's webhooks, whose signature the Shopify adapter checked
)

// String names the kind for messages.
func (k ActorKind) String() string {
	switch k {
	case ActorDispatcher:
		return "dispatcher"
	case ActorMember:
		return "client member"
	case ActorRouteSync:
		return "route sync"
	case ActorAPIKey:
		return "API key"
	case ActorShopify:
		return "Shopify webhook"
	}
	return "anonymous caller"
}

// Actor is who is calling. Every Service method takes one and scopes everything it
// reads and writes by it. The host authenticates its dispatchers and route sync
// itself and builds their actors; a member actor names a member, and the Service
// looks the member up on every call, so a removed member or a disabled client is
// refused at once and a role change applies at once.
type Actor struct {
	Kind    ActorKind
	Account AccountID
	Client  ClientID // member and API key actors only
	Member  MemberID // member actors only
	APIKey  APIKeyID // API key actors only
	// Session is the sign-in session a member acts through (OpenSession sets
	// it); "" for an actor the host makes itself. With it, every check of the
	// actor checks the session too: one ended elsewhere is refused at once.
	Session SessionID
	// User is the host's name for a dispatcher (an email or login), written into
	// order history. Empty for other kinds.
	User string

	// AccessMemo, when set, lets the Service's reads for this actor share one
	// check of it against the Store (see AccessMemo): for the actor of one request
	// that changes nothing, never longer. nil: every call checks.
	AccessMemo *AccessMemo
}

// AsDispatcher returns the actor of a dispatcher of the account, whom the host has
// authenticated. user names the person in order history.
func AsDispatcher(account AccountID, user string) Actor {
	return Actor{Kind: ActorDispatcher, Account: account, User: user}
}

// AsMember returns the actor of a member of a client's team.
func AsMember(account AccountID, client ClientID, member MemberID) Actor {
	return Actor{Kind: ActorMember, Account: account, Client: client, Member: member}
}

// AsRouteSync returns the actor of the host's route sync for the account: the
// host's system reporting what happened on its routes (ApplyRouteEvents), not a
// person. A dispatcher's own actions use AsDispatcher.
func AsRouteSync(account AccountID) Actor {
	return Actor{Kind: ActorRouteSync, Account: account}
}

// AsShopifyWebhook returns the actor of Shopify's webhooks (app uninstalled, privacy
// requests), once the Shopify adapter has checked a webhook's signature: the
// signature is its credential. It belongs to no account: a shop may be linked to
// clients of several accounts, and what it may do reaches only those.
func AsShopifyWebhook() Actor { return Actor{Kind: ActorShopify} }

// String describes the actor for order history and logs.
func (a Actor) String() string {
	switch a.Kind {
	case ActorDispatcher:
		return fmt.Sprintf("dispatcher %s", a.User)
	case ActorMember:
		return fmt.Sprintf("member %s", a.Member)
	case ActorRouteSync:
		return "route sync"
	case ActorAPIKey:
		return fmt.Sprintf("API key %s", a.APIKey)
	case ActorShopify:
		return "Shopify"
	}
	return "nobody"
}

// Scope is the tenant a Store call is limited to: always an account, and a client
// when the caller is a client's member (or a dispatcher looking at one client).
type Scope struct {
	Account AccountID
	Client  ClientID // "" for every client of the account
}

// caller is an actor the Service has checked against the Store: for a member (or
// API key), its current role and its client.
type caller struct {
	Actor
	role   Role    // members and API keys only
	client *Client // members and API keys only: their client, active
	member *Member // members only: their membership
}

// team reports whether the caller acts for a client (a member or an API key).
func (c caller) team() bool { return c.Kind == ActorMember || c.Kind == ActorAPIKey }

// scope returns the tenant the caller may see.
func (c caller) scope() Scope { return Scope{Account: c.Account, Client: c.Actor.Client} }

// history names the caller in order history.
func (c caller) history() string {
	if c.team() && c.client != nil {
		return fmt.Sprintf("%s (%s)", c.Actor.String(), c.role)
	}
	return c.Actor.String()
}

// lifecycleKind is who the caller is in the lifecycle table: an API key acts for its
// client's team.
func (c caller) lifecycleKind() ActorKind {
	if c.Kind == ActorAPIKey {
		return ActorMember
	}
	return c.Kind
}
