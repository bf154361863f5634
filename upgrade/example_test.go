package upgrade_test

import (
	"context"
	"errors"
	"fmt"

	"dustm/stm"
	"dustm/upgrade"
)

// Version 1 of a bank: balances are whole euros.
type AccountV1 struct{ Balance int }

// Version 2: balances are cents, and every account has a currency.
type AccountV2 struct {
	Cents    int64
	Currency string
}

// Bank is the program's code: each version supplies its own.
type Bank struct {
	Version  string
	Transfer func(tx upgrade.Tx, from, to *upgrade.Object, euros int) error
	// Audit checks the bank's invariant, as this version states it.
	Audit func(tx upgrade.Tx, accounts []*upgrade.Object) error
}

var bankV1 = &Bank{
	Version: "v1",
	Transfer: func(tx upgrade.Tx, from, to *upgrade.Object, euros int) error {
		a, b := upgrade.Get[*AccountV1](tx, from), upgrade.Get[*AccountV1](tx, to)
		if a.Balance < euros {
			return errors.New("insufficient funds")
		}
		from.Store(tx, &AccountV1{Balance: a.Balance - euros})
		to.Store(tx, &AccountV1{Balance: b.Balance + euros})
		return nil
	},
	Audit: func(tx upgrade.Tx, accounts []*upgrade.Object) error {
		total := 0
		for _, a := range accounts {
			total += upgrade.Get[*AccountV1](tx, a).Balance
		}
		if total != 100*len(accounts) {
			return fmt.Errorf("total %d euros", total)
		}
		return nil
	},
}

var bankV2 = &Bank{
	Version: "v2",
	Transfer: func(tx upgrade.Tx, from, to *upgrade.Object, euros int) error {
		a, b := upgrade.Get[*AccountV2](tx, from), upgrade.Get[*AccountV2](tx, to)
		cents := int64(euros) * 100
		if a.Cents < cents {
			return errors.New("insufficient funds")
		}
		from.Store(tx, &AccountV2{Cents: a.Cents - cents, Currency: a.Currency})
		to.Store(tx, &AccountV2{Cents: b.Cents + cents, Currency: b.Currency})
		return nil
	},
	// The invariant, rewritten by the upgrade: the total in cents, all in euros.
	Audit: func(tx upgrade.Tx, accounts []*upgrade.Object) error {
		var total int64
		for _, a := range accounts {
			acc := upgrade.Get[*AccountV2](tx, a)
			if acc.Currency != "EUR" {
				return fmt.Errorf("currency %q", acc.Currency)
			}
			total += acc.Cents
		}
		if total != 100*100*int64(len(accounts)) {
			return fmt.Errorf("total %d cents", total)
		}
		return nil
	},
}

// A bank runs version 1, is upgraded to version 2 while it holds money, and keeps running:
// accounts are converted from euros to cents when version 2 first touches them.
func Example() {
	s := stm.New(stm.Options{})
	defer s.Close()
	e := upgrade.New(s, bankV1)
	defer e.Close()
	account := e.NewClass("Account")
	accounts := make([]*upgrade.Object, 4)
	for i := range accounts {
		accounts[i] = e.NewObjectLatest(account, nil, &AccountV1{Balance: 100})
	}
	code := func(tx upgrade.Tx) *Bank { return tx.Code().(*Bank) }

	_ = e.Atomic(func(tx upgrade.Tx) error { return code(tx).Transfer(tx, accounts[0], accounts[1], 30) })

	m, err := e.Upgrade(context.Background(), upgrade.Upgrade{
		Name: "cents",
		Code: bankV2,
		Transformers: map[*upgrade.Class]upgrade.Transformer{
			account: upgrade.Convert(func(a *AccountV1) (*AccountV2, error) {
				return &AccountV2{Cents: int64(a.Balance) * 100, Currency: "EUR"}, nil
			}),
		},
	}, upgrade.Options{Strategy: upgrade.LazySweep})
	if err != nil {
		fmt.Println(err)
		return
	}

	_ = e.Atomic(func(tx upgrade.Tx) error { return code(tx).Transfer(tx, accounts[1], accounts[2], 50) })
	_ = e.ReadOnly(func(tx upgrade.Tx) error {
		fmt.Println("running", code(tx).Version, "audit:", code(tx).Audit(tx, accounts))
		var cents []int64
		for _, a := range accounts {
			cents = append(cents, upgrade.Get[*AccountV2](tx, a).Cents)
		}
		fmt.Println(cents)
		return nil
	})
	<-m.Done()
	fmt.Println("all converted:", m.Stats().Complete)
	// Output:
	// running v2 audit: <nil>
	// [7000 8000 15000 10000]
	// all converted: true
}
