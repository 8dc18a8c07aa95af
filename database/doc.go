// Package database opens hashwatch's one bbolt file with every room over
// it: the centres, the fingerprint index, alerts, accounts, takedown
// notices and the crawl state. It holds no logic of its own beyond wiring
// the rooms together (the withdrawal and case-move hooks, the migrations —
// schema 3's hands everything to the national centre, each room rewriting
// its own values — and the order of Verify's checks); what each room
// guarantees is in its own package documentation.
package database
