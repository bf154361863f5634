package kv

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dustm/measure"
	"dustm/upgrade"
)

// TestUpgradeUnderLoad upgrades a loaded server with each scenario and strategy while
// concurrent clients run the workload: no lost INCR, read-your-writes, the sum of the
// transferred values constant in every MULTI/EXEC read, and the new version's commands after.
func TestUpgradeUnderLoad(t *testing.T) {
	for _, sc := range []string{"expiry", "hash-encoding", "keystats"} {
		for _, strat := range []string{"lazy", "lazy+sweep", "eager"} {
			t.Run(sc+"/"+strat, func(t *testing.T) {
				_, addr := testServer(t, Config{Backend: "stm", Preload: 2000, Sweepers: 1})
				ctx := context.Background()
				c := client(t, addr, 8)
				var once sync.Once
				upgraded := make(chan error, 1)
				incrs := workload(ctx, t, c, 4, 40, func(r int) {
					if r == 10 {
						once.Do(func() {
							go func() { upgraded <- c.Do(ctx, "DUSTM.UPGRADE", sc, strat).Err() }()
						})
					}
				})
				if err := <-upgraded; err != nil {
					t.Fatalf("DUSTM.UPGRADE %s %s: %v", sc, strat, err)
				}
				if got, err := c.Get(ctx, "counter").Int64(); err != nil || got != incrs {
					t.Errorf("counter = %d, %v; want %d (no lost INCR)", got, err, incrs)
				}
				info := c.Info(ctx).Val()
				if !strings.Contains(info, "dustm_program:v2 ("+sc+")") {
					t.Errorf("INFO after the upgrade: %q", info)
				}
				if got := c.HGetAll(ctx, "hash:000000000049").Val(); len(got) != 4 || got["f1"] != "xxx" {
					t.Errorf("a preloaded hash after the upgrade: %v", got)
				}
				checkVersion2(ctx, t, c, sc)
			})
		}
	}
}

func checkVersion2(ctx context.Context, t *testing.T, c *redis.Client, sc string) {
	t.Helper()
	switch sc {
	case "expiry":
		run(t, ctx, c, []step{
			{a("SET", "e", "v", "EX", "100"), "OK", false}, {a("TTL", "e"), int64(100), false},
			{a("PERSIST", "e"), int64(1), false}, {a("TTL", "e"), int64(-1), false}, {a("TTL", "nope"), int64(-2), false},
			{a("EXPIRE", "key:000000000001", "100"), int64(1), false}, {a("GET", "key:000000000001"), "xxx", false},
			{a("INCR", "key:000000000002"), errText("ERR value is not an integer or out of range"), false},
			{a("SET", "n", "1", "PX", "1"), "OK", false},
		})
		time.Sleep(5 * time.Millisecond)
		run(t, ctx, c, []step{{a("GET", "n"), nilReply{}, false}, {a("EXISTS", "n"), int64(0), false}})
	case "keystats":
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Do(ctx, "DUSTM.KEYSTATS").Slice()
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for i := 1; i < len(got); i += 2 {
			sum += got[i].(int64)
		}
		if sum != n || len(got) != 10 || got[0] != "string" {
			t.Errorf("DUSTM.KEYSTATS = %v (sum %d); DBSIZE %d", got, sum, n)
		}
	}
}

// failing is a test scenario whose transformer fails on the string "poison".
func failing(st *stmStore, cur *Code) (upgrade.Upgrade, error) {
	code := cur.derive("failing")
	return upgrade.Upgrade{Name: "failing", Code: code, Transformers: map[*upgrade.Class]upgrade.Transformer{
		st.classes[tString]: upgrade.Convert(func(s *Str) (*Str, error) {
			if string(s.B) == "poison" {
				return nil, errors.New("poisoned string")
			}
			return &Str{B: s.B}, nil
		}),
	}}, nil
}

func TestFailingUpgradeKeepsVersion1(t *testing.T) {
	scen := Scenarios()
	scen["failing"] = failing
	_, addr := testServer(t, Config{Backend: "stm", Preload: 500, Scenarios: scen})
	ctx := context.Background()
	c := client(t, addr, 2)
	if err := c.Set(ctx, "p", "poison", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]any{a("DUSTM.UPGRADE", "failing", "eager"), a("DUSTM.UPGRADE", "failing", "lazy", "DRYRUN")} {
		err := c.Do(ctx, args...).Err()
		if err == nil || !strings.Contains(err.Error(), "upgrade failed, still running v1") || !strings.Contains(err.Error(), "poisoned string") {
			t.Errorf("%v: %v; want the transformer's failure", args, err)
		}
		if info := c.Info(ctx).Val(); !strings.Contains(info, "dustm_program:v1\r") {
			t.Errorf("%v: INFO after a failed upgrade: %q", args, info)
		}
		run(t, ctx, c, []step{{a("GET", "p"), "poison", false}, {a("GET", "key:000000000001"), "xxx", false}})
	}
	// Lazy without a dry run commits; the poisoned key's commands fail, the others are served.
	if err := c.Do(ctx, "DUSTM.UPGRADE", "failing", "lazy").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "p").Err(); err == nil || !strings.Contains(err.Error(), "poisoned string") {
		t.Errorf("GET of the poisoned key after a lazy upgrade: %v; want the conversion's failure", err)
	}
	run(t, ctx, c, []step{{a("GET", "key:000000000001"), "xxx", false}})
	for _, args := range [][]any{a("DUSTM.UPGRADE", "nope", "lazy"), a("DUSTM.UPGRADE", "expiry", "fast")} {
		if err := c.Do(ctx, args...).Err(); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestUpgradeRefusedWithoutEngine(t *testing.T) {
	for _, b := range []string{"stm-plain", "mutex"} {
		if _, err := New(Config{Backend: b, Upgrade: "expiry"}); err == nil || !errors.Is(err, ErrConfig) {
			t.Errorf("%s --upgrade: %v", b, err)
		}
		_, addr := testServer(t, Config{Backend: b})
		if err := client(t, addr, 1).Do(context.Background(), "DUSTM.UPGRADE", "expiry", "lazy").Err(); err == nil || !strings.Contains(err.Error(), "no upgrade support") {
			t.Errorf("%s: DUSTM.UPGRADE: %v", b, err)
		}
	}
}

// TestScheduledUpgrade runs --upgrade at --upgrade-at and checks the result document's parts.
func TestScheduledUpgrade(t *testing.T) {
	srv, addr := testServer(t, Config{Backend: "stm", Preload: 1000, Upgrade: "expiry", Migration: upgrade.Eager, UpgradeAt: 50 * time.Millisecond})
	c := client(t, addr, 1)
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	// The program version is visible as soon as the upgrade commits; its run is recorded when
	// Upgrade returns, a moment later: wait for both.
	var u *measure.Upgrade
	for !strings.Contains(c.Info(ctx).Val(), "dustm_program:v2") || u == nil || u.CommittedS == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled upgrade did not happen within 10 s: %+v", u)
		}
		c.Get(ctx, "key:000000000001")
		time.Sleep(10 * time.Millisecond)
		u = srv.upg.result(srv.meter.start)
	}
	if u == nil || u.Scenario != "expiry" || u.Strategy != "eager" || u.CommittedS == nil || u.Error != "" || u.ConversionsStopped == 0 {
		t.Errorf("upgrade result: %+v", u)
	}
}
