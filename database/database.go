package database

import (
	"context"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// DB is an open hashwatch database: the store and the rooms over it. The
// fields are set by Open and never change; each is safe for concurrent
// use.
type DB struct {
	Store    *store.DB
	Index    *index.Index
	Alerts   *alerts.Store
	Accounts *accounts.Store
	Takedown *takedown.Store
	Crawl    *crawlstate.Store

	// borrowed handles do not own the file: Close leaves it open.
	borrowed bool
}

// Open opens or creates the database at path (see store.Open), migrating
// an older schema with the rooms' migrations (a migration in
// opts.Migrations replaces the room's for the same version), and opens
// every room over it.
func Open(path string, opts store.Options) (*DB, error) {
	ms := index.Migrations()
	for v, m := range opts.Migrations {
		ms[v] = m
	}
	opts.Migrations = ms
	st, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	ix, err := index.Open(st, index.Options{OnWithdraw: alerts.CloseCase})
	if err != nil {
		st.Close()
		return nil, err
	}
	al, err := alerts.Open(st, ix)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &DB{
		Store:    st,
		Index:    ix,
		Alerts:   al,
		Accounts: accounts.New(st),
		Takedown: takedown.New(st, al),
		Crawl:    crawlstate.New(st),
	}, nil
}

// Close releases the file. The DB must not be used afterwards. On a
// borrowed handle it does nothing.
func (db *DB) Close() error {
	if db.borrowed {
		return nil
	}
	return db.Store.Close()
}

// Borrow returns a handle on the same open database whose Close does
// nothing, for code that closes what it opens (a CLI command) run inside
// the process that owns the file (serve answering the command line): the
// owner closes the file, once, when it is done.
func (db *DB) Borrow() *DB {
	b := *db
	b.borrowed = true
	return &b
}

// Verify checks the whole file: the store's page structure, schema and
// audit log, then each room's values and the cross-references between
// them (see store.DB.Verify). It returns a report listing problems rather
// than failing on the first.
func (db *DB) Verify(ctx context.Context) (store.Report, error) {
	return db.Store.Verify(ctx, Checks()...)
}

// Checks are the rooms' parts of Verify, in the order they run.
func Checks() []store.Check {
	return []store.Check{
		index.Verify, alerts.Verify, crawlstate.Verify, accounts.Verify,
		alerts.VerifyIndex, alerts.VerifyQuarantine, takedown.Verify, alerts.VerifyRecords,
	}
}
