package devcert

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

func TestEnsureServesTrustedHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := Ensure(dir)
	if err != nil || again != certFile {
		t.Fatalf("second Ensure: %v", err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	pem, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := cl.Get(srv.URL)
	if err != nil {
		t.Fatalf("client trusting only the dev cert: %v", err)
	}
	resp.Body.Close()
}
