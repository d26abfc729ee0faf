// Go net/http client failures, logged as a Go service would (log.Printf), then a panic.
package main

import (
	"log"
	"net/http"
	"time"
)

func main() {
	c := &http.Client{Timeout: 700 * time.Millisecond}
	for _, u := range []string{
		"http://127.0.0.1:18999/x",                               // nothing listens: refused
		"http://ledger.finance.svc.cluster.local.invalid:8080/x", // never resolves
		"http://127.0.0.1:18081/slow",                            // answers after 3 s: client timeout
		"http://127.0.0.1:18998/x",                               // closes without answering: EOF
		"https://127.0.0.1:18081/x",                              // plain HTTP server spoken to over TLS
	} {
		resp, err := c.Get(u)
		if err != nil {
			log.Printf("ERROR call to %s failed: %v", u, err)
			continue
		}
		resp.Body.Close()
	}
	var m map[string]int
	m["orders"]++
}
