// Package resultdir writes result folders that are one complete run or
// nothing.
//
// A run writes its files into a staging folder beside the destination,
// named DEST.incomplete-XXXX, and Commit swaps the finished folder into
// place in one step (Linux renameat2 with RENAME_EXCHANGE; elsewhere two
// renames, undone on the next Create if a kill falls between them). A run
// killed at any moment therefore leaves the destination holding the previous
// complete run, untouched, and its own staging folder, which the next
// Create for the same destination removes.
//
// Create checks, before any work, that the destination can be written: its
// parent accepts a new folder, and an existing destination is a folder that
// microstim wrote (Marker), empty, writable and on the parent's file system.
// Anything else — a read-only mount, a folder of someone else's files — is
// refused with an *Error naming the folder and the reason. A failed run
// calls Abort, which removes the staging folder and every parent folder that
// Create made, so a failing command leaves nothing behind.
//
// A folder is a result folder only if it holds Marker, a file that opens
// with MarkerTag and carries a random id; no other file name counts, so a
// user's folder that happens to hold a manifest.json is never replaced.
//
// A staging folder in use is locked (flock) by its process; Create removes
// only staging folders whose lock it can take, and refuses with a
// *BusyError a destination that another live process is staging, so two
// runs never write one destination at once. Lock holds a folder written in
// place (a resumable sweep) the same way.
package resultdir
