package ttp

import (
	"context"
	"testing"

	"github.com/decnet/decnet/internal/ttp/attack"
)

func TestTheShippedPackLoadsCleanAndValidatesAgainstTheBuiltInCatalogue(t *testing.T) {
	s, err := NewStack(context.Background(), StackOptions{Catalog: attack.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if errs := s.Store.Errors(); len(errs) > 0 {
		t.Fatalf("the shipped pack has bad files: %v", errs)
	}
	if n := len(s.Store.Rules()); n < 75 {
		t.Errorf("%d rules loaded, want the whole pack", n)
	}
	kinds := s.Tagger.Handles()
	for _, k := range KnownKinds {
		found := false
		for _, h := range kinds {
			found = found || h == k
		}
		if !found {
			t.Errorf("no tagger claims source kind %s", k)
		}
	}
}
