// A Go HTTP server: a httputil.ReverseProxy to a refused upstream, and a handler that panics.
package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

type order struct{ id string }

func main() {
	target, _ := url.Parse("http://127.0.0.1:18999")
	mux := http.NewServeMux()
	mux.Handle("/proxy/", httputil.NewSingleHostReverseProxy(target))
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		var o *order
		w.Write([]byte(o.id))
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:18097")
	go http.Serve(ln, mux)
	time.Sleep(100 * time.Millisecond)
	for _, p := range []string{"/proxy/x", "/panic"} {
		if resp, err := http.Get("http://127.0.0.1:18097" + p); err == nil {
			resp.Body.Close()
		}
	}
}
