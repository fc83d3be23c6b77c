//! A host's request to stop a run (a Python interpreter's Ctrl-C, where the process must live
//! on): every unit not yet started then fails with [`crate::SimError::Interrupted`], the units
//! already finished stay in the checkpoint, and a resume continues. The `verify` binary does not
//! use it (its Ctrl-C ends the process).

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Ask the running run (and any started before [`clear`]) to stop.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Forget a request (called before a run starts).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
