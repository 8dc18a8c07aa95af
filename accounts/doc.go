// Package accounts is the console's accounts room: users with their roles
// and preferences, login sessions and scoped API tokens.
//
// # Guarantees
//
//   - Secrets only as hashes: passwords (bcrypt), session and API tokens
//     (SHA-256); a token's secret is shown once, when it is made.
//   - Every change takes a store.Actor and writes its audit record in its
//     own transaction; a failed login costs the same bcrypt time whether or
//     not the user exists.
//   - A password change ends the user's other sessions in the same
//     transaction.
package accounts
