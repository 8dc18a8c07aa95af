// Package database opens hashwatch's one bbolt file with every room over
// it: the fingerprint index, alerts, accounts, takedown notices and the
// crawl state. It holds no logic of its own beyond wiring the rooms
// together (the withdrawal hook, the migrations, the order of Verify's
// checks); what each room guarantees is in its own package documentation.
package database
