// Package testutil holds the assertions shared by microstim's tests.
package testutil
