package main

import (
	"net"
	"net/http"
	"testing"
	"time"
)

func TestTheConsoleListenerCapsItsConnections(t *testing.T) {
	ln, err := listen("127.0.0.1:0", 2)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ReadHeaderTimeout: time.Minute}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	// Two slow clients that never finish their headers hold both slots.
	var slow []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
		slow = append(slow, c)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := client.Get("http://" + addr + "/"); err == nil {
		resp.Body.Close()
		t.Fatal("a third connection was served while two held the cap of 2")
	}
	slow[0].Close()
	client.Timeout = 5 * time.Second
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("once a slot was free: %v", err)
	}
	resp.Body.Close()
	slow[1].Close()
}
