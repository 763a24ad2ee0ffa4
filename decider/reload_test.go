package decider

import (
	"os"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/internal/notify"
	"github.com/jitgate/jitgate/schemas"
)

const allowAllPolicy = `version: 1
rules:
  - name: everything
    when: "true"
    then: allow
`

func TestNewRejectsBadConfig(t *testing.T) {
	good := func(t *testing.T) (Config, Deps) {
		return Config{Bus: unitBus, Instance: "d1", PolicyFile: writePolicy(t, testPolicy), DecisionKey: key, HoldsKey: holdsKey},
			Deps{Publisher: &fakePublisher{}, Logger: testLogger(t)}
	}
	cases := []struct {
		name   string
		change func(*Config, *Deps)
		want   string
	}{
		{"no instance", func(c *Config, _ *Deps) { c.Instance = "" }, "instance"},
		{"no policy", func(c *Config, _ *Deps) { c.PolicyFile = "" }, "policy"},
		{"short key", func(c *Config, _ *Deps) { c.DecisionKey = key[:15] }, "decision key"},
		{"no holds key", func(c *Config, _ *Deps) { c.HoldsKey = nil }, "holds key"},
		{"no brokers", func(c *Config, _ *Deps) { c.Bus = bus.Config{} }, "brokers"},
		{"no publisher", func(_ *Config, d *Deps) { d.Publisher = nil }, "publisher"},
		{"bad webhook", func(c *Config, _ *Deps) { c.Webhook = notify.Config{URL: "http://hooks.example/x", Secret: key} }, "https"},
		{"missing policy file", func(c *Config, _ *Deps) { c.PolicyFile += ".missing" }, "no such file"},
		{"bad policy names the rule", func(c *Config, _ *Deps) {
			c.PolicyFile = writePolicy(t, "version: 1\nrules:\n  - name: typo\n    when: servce == \"s3\"\n    then: allow\n")
		}, "typo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, deps := good(t)
			tc.change(&cfg, &deps)
			d, err := New(cfg, deps)
			if err == nil || d != nil {
				t.Fatalf("New = %v, %v; want an error", d, err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	t.Run("good", func(t *testing.T) {
		cfg, deps := good(t)
		d, err := New(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		// The group derives from the topic prefix ("unit." here).
		if d.cfg.Group != "unit-decider" || d.cfg.ExpireEvery <= 0 || d.cfg.ReloadEvery <= 0 {
			t.Fatalf("defaults %+v", d.cfg)
		}
	})
}

func TestReloadKeepsPolicyOnBadFile(t *testing.T) {
	u := newUnit(t, testPolicy)
	path := u.d.cfg.PolicyFile
	h1 := u.d.Policy().Hash()
	loaded := func() []*schemas.PolicyLoaded {
		var out []*schemas.PolicyLoaded
		for _, d := range decodeOuts(t, u.pub.published()) {
			p, ok := d.p.(*schemas.PolicyLoaded)
			if !ok || d.out.Topic != schemas.TopicPolicy || d.out.Key != p.Hash {
				t.Fatalf("published %s on %s key %q", d.out.Envelope.Type, d.out.Topic, d.out.Key)
			}
			out = append(out, p)
		}
		return out
	}
	if n := len(loaded()); n != 0 {
		t.Fatalf("%d policy.loaded before Run", n)
	}
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	steps := []struct {
		name    string
		src     string
		bad     bool   // the reload fails
		wantErr string // and its error contains this
		policy  string // which policy is in force after: "v1" or "v2"
		loaded  int    // policy.loaded events published so far
	}{
		{name: "same content", src: testPolicy, policy: "v1"},
		{name: "not yaml", src: "version: 1\nrules: [", bad: true, policy: "v1"},
		{name: "unknown name", src: "version: 1\nrules:\n  - name: oops\n    when: nope == 1\n    then: allow\n", bad: true, wantErr: "oops", policy: "v1"},
		{name: "bad version", src: "version: 2\nrules: []\n", bad: true, wantErr: "version", policy: "v1"},
		{name: "good v2", src: allowAllPolicy, policy: "v2", loaded: 1},
		{name: "bad again", src: "rules: 3", bad: true, policy: "v2", loaded: 1},
		{name: "back to v1", src: testPolicy, policy: "v1", loaded: 2},
	}
	var h2 string
	for _, st := range steps {
		write(st.src)
		err := u.d.Reload()
		if st.bad != (err != nil) {
			t.Fatalf("%s: reload error %v", st.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), st.wantErr) {
			t.Fatalf("%s: error %q does not mention %q", st.name, err, st.wantErr)
		}
		hash := u.d.Policy().Hash()
		switch st.policy {
		case "v1":
			if hash != h1 {
				t.Fatalf("%s: policy %s in force, want v1 %s", st.name, hash, h1)
			}
		case "v2":
			if hash == h1 || (h2 != "" && hash != h2) {
				t.Fatalf("%s: policy %s in force, want v2", st.name, hash)
			}
			h2 = hash
		}
		got := loaded()
		if len(got) != st.loaded {
			t.Fatalf("%s: %d policy.loaded, want %d", st.name, len(got), st.loaded)
		}
		if n := len(got); n > 0 {
			last := got[n-1]
			if last.Hash != hash || last.Source != path || last.By != "decider-1" || last.Rules != len(u.d.Policy().Rules()) {
				t.Fatalf("%s: policy.loaded %+v, want hash %s", st.name, last, hash)
			}
		}
		// Decisions follow the policy in force.
		dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, putObject)))
		wantOutcome := schemas.Deny
		if st.policy == "v2" {
			wantOutcome = schemas.Allow
		}
		if dec.Outcome != wantOutcome || dec.PolicyHash != hash {
			t.Fatalf("%s: decision %s under %s, want %s under %s", st.name, dec.Outcome, dec.PolicyHash, wantOutcome, hash)
		}
	}
}

func TestPolicyLoadedPublishFailureIsNotFatal(t *testing.T) {
	u := newUnit(t, testPolicy)
	u.pub.failures = 1
	if err := os.WriteFile(u.d.cfg.PolicyFile, []byte(allowAllPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := u.d.Reload(); err != nil {
		t.Fatalf("reload failed because policy.loaded could not be recorded: %v", err)
	}
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, putObject))); dec.Outcome != schemas.Allow {
		t.Fatalf("decision %s; the new policy is not in force", dec.Outcome)
	}
}
