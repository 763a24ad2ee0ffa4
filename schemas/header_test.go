package schemas

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestHeadersRoundTrip(t *testing.T) {
	h := http.Header{"X-B": {"2", "3"}, "Authorization": {"secret"}, "X-A": {"1"}}
	got := HeadersFrom(h, func(name string) bool { return strings.EqualFold(name, "authorization") })
	want := []Header{{"X-A", "1"}, {"X-B", "2"}, {"X-B", "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HeadersFrom = %v, want %v", got, want)
	}
	back := HTTPHeader(got)
	if back.Get("Authorization") != "" || !reflect.DeepEqual(back["X-B"], []string{"2", "3"}) {
		t.Fatalf("HTTPHeader = %v", back)
	}
	if all := HeadersFrom(h, nil); len(all) != 4 {
		t.Fatalf("a nil skip dropped headers: %v", all)
	}
}
