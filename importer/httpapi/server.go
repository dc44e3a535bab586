package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"userimport/importer"
)

// DefaultListen is the address the service listens on unless told
// otherwise: this machine only.
const DefaultListen = "127.0.0.1:8080"

// shutdownTimeout bounds how long Serve waits for requests in flight once
// its context is done.
const shutdownTimeout = 10 * time.Second

// Listen is where and how the service listens.
type Listen struct {
	Addr              string
	CertFile, KeyFile string // TLS when both are set
	// InsecureHTTP allows plain HTTP on an address other machines reach,
	// for a service behind a TLS proxy.
	InsecureHTTP bool
}

// Server is a bound listener and its HTTP server.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	scheme string
}

// Check applies the listener rules of SPEC §10 to l: a certificate needs
// its key and the other way round; plain HTTP on an address that is not a
// loopback address is refused (EINVALID, saying what to do) unless
// InsecureHTTP is set, in which case the returned warning says so.
func Check(l Listen) (warning string, err error) {
	if (l.CertFile == "") != (l.KeyFile == "") {
		return "", importer.Errorf(importer.EINVALID, "--tls-cert and --tls-key go together: give both files, or neither")
	}
	if l.CertFile != "" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return "", importer.Errorf(importer.EINVALID, "--listen %q: use HOST:PORT, e.g. %s", l.Addr, DefaultListen)
	}
	if loopback(host) {
		return "", nil
	}
	if !l.InsecureHTTP {
		return "", importer.Errorf(importer.EINVALID,
			"--listen %s: other machines could reach this address, and passwords must not cross a network in clear: "+
				"give --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1, or add --insecure-http when a TLS proxy is in front", l.Addr)
	}
	return fmt.Sprintf("listening on %s with plain HTTP (--insecure-http): only a TLS proxy in front may reach it", l.Addr), nil
}

// loopback says whether host names only this machine. A name other than
// localhost is not resolved: it counts as reachable by others.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewServer checks l (see Check), loads the certificate, and binds the
// address, so that a taken port or a bad certificate is reported before
// the service says it is up.
func NewServer(l Listen, h http.Handler, log *zap.Logger) (*Server, error) {
	if _, err := Check(l); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{
		scheme: "http",
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          zap.NewStdLog(log.Named("http")),
		},
	}
	if l.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(l.CertFile, l.KeyFile)
		if err != nil {
			return nil, importer.Errorf(importer.EINVALID, "--tls-cert %s, --tls-key %s: %v", l.CertFile, l.KeyFile, err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.scheme = "https"
	}
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return nil, importer.Errorf(importer.EINVALID, "--listen %s: %v", l.Addr, err)
	}
	if s.srv.TLSConfig != nil {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.ln = ln
	return s, nil
}

// URL is the server's base URL, with the port it was given.
func (s *Server) URL() string { return s.scheme + "://" + s.ln.Addr().String() }

// Close closes the listener of a server that will not Serve.
func (s *Server) Close() error { return s.ln.Close() }

// Serve answers requests until ctx is done, then closes the listener, lets
// requests in flight finish (for up to ten seconds), and returns nil. It
// returns an error when serving fails for another reason.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shut down the HTTP server: %w", err)
	}
	return nil
}
