package connect_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
)

// The main flow: a dispatcher invites a client, its owner signs up, adds an order
// and submits it for delivery.
func Example() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	svc, err := connect.New(connect.Config{
		Store:     store,
		InviteURL: func(token string) string { return "https://portal.example/invite/" + token },
	})
	if err != nil {
		panic(err)
	}

	// The host authenticated this dispatcher of account "acct-42".
	dispatcher := connect.AsDispatcher("acct-42", "ana@dispatch.example")
	inv, err := svc.InviteClient(ctx, dispatcher, connect.InviteClientParams{
		Name: "Green Grocer",
		Settings: connect.ClientSettings{
			AllowUpload:    true,
			RequiredFields: connect.RequireFields(connect.FieldZip),
			DefaultDepot:   "north",
		},
	})
	if err != nil {
		panic(err)
	}

	// The client opens the link and signs up: it becomes its team's owner.
	acc, err := svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Gita", Email: "gita@grocer.example"})
	if err != nil {
		panic(err)
	}
	owner := acc.Actor
	fmt.Println("role:", acc.Member.Role, "client number digits:", len(acc.Client.Number))

	// An order without the zip the dispatcher requires is refused, field by field.
	_, err = svc.CreateOrder(ctx, owner, connect.OrderInput{Address: connect.Address{Line1: "1 High St"}})
	fmt.Println(err)

	o, err := svc.CreateOrder(ctx, owner, connect.OrderInput{
		Ref: "GG-1001", Address: connect.Address{Line1: "1 High St", Zip: "LS1 1AA"},
	})
	if err != nil {
		panic(err)
	}
	submitted, err := svc.SubmitOrders(ctx, owner, []connect.OrderID{o.ID})
	if err != nil {
		panic(err)
	}
	fmt.Println(submitted[0].Ref, submitted[0].Status, "at depot", submitted[0].Depot)
	// Output:
	// role: owner client number digits: 8
	// invalid: Zip is required
	// GG-1001 submitted at depot north
}

// A member of one client never sees another client's orders: they are not found.
func ExampleService_Order_isolation() {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "sqlite::memory:")
	defer store.Close()
	svc, _ := connect.New(connect.Config{Store: store})
	d := connect.AsDispatcher("acct-42", "ana")
	signUp := func(name string) connect.Actor {
		inv, _ := svc.InviteClient(ctx, d, connect.InviteClientParams{Name: name, Settings: connect.ClientSettings{AllowUpload: true}})
		acc, _ := svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: name, Email: "owner@" + name + ".example"})
		return acc.Actor
	}
	grocer, bakery := signUp("grocer"), signUp("bakery")
	o, _ := svc.CreateOrder(ctx, grocer, connect.OrderInput{Address: connect.Address{Line1: "1 High St"}})
	_, err := svc.Order(ctx, bakery, o.ID)
	fmt.Println(errors.Is(err, connect.ErrNotFound))
	// Output: true
}

// A page of a portal makes several reads for one member: with an AccessMemo on
// the actor of the request, the Service looks the member up once for all of them.
func ExampleAccessMemo() {
	ctx := context.Background()
	store, _ := storage.Open(ctx, "sqlite::memory:")
	defer store.Close()
	svc, _ := connect.New(connect.Config{Store: store})
	d := connect.AsDispatcher("acct-42", "ana")
	inv, _ := svc.InviteClient(ctx, d, connect.InviteClientParams{Name: "Green Grocer"})
	acc, _ := svc.AcceptInvite(ctx, inv.Token, connect.SignUp{Name: "Gina", Email: "gina@grocer.example"})

	viewer := acc.Actor
	viewer.AccessMemo = new(connect.AccessMemo) // for one GET request, never longer
	client, member, _ := svc.Membership(ctx, viewer)
	team, _ := svc.Members(ctx, viewer, "")
	fmt.Println(client.Name, member.Role, len(team))
	// Output: Green Grocer owner 1
}
