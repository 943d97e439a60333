// Package redistest starts a real redis-server for tests: on a free
// loopback port, in a temporary directory, without persistence, stopped
// when the test ends. Tests can stop it and start it again on the same
// port, to see what their code does while Redis is down and after it
// returns, and can ask for a password (requirepass) or an ACL user.
//
// redis-server comes from the operating system (Debian's redis-server
// package). When it cannot be started, Start skips the test; with CI=true
// in the environment it fails the test instead, so that a CI machine
// missing the package is noticed rather than silently testing less.
//
// Only tests import this package.
package redistest
