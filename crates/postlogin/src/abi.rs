//! How text crosses between the shim and the wasm. This module and the shim's `instantiate`
//! (action-shim/template.js) are the two halves of it; there is no generated glue in between,
//! so an Action carries none.
//!
//! - Text in: the shim asks [`alloc`] for exactly as many bytes as the UTF-8 text takes, writes
//!   it there with `Buffer.write` (UTF-8) and passes `(ptr, len)`; the wasm owns it from then.
//!   An HTTP answer's body comes the same way as the bytes it came in ([`take_answer`]).
//! - Text out of an export: the export returns the address of a `[ptr, len]` pair; the text stays
//!   alive until the next export call that answers text. `[0, id]` is no text but the id of the
//!   task that waits ([`Reply::Waiting`]): no text needs reading and parsing for it.
//! - Text out of an import: the shim writes the text in as above, stores its address at the
//!   `out` address the wasm passed, and returns its length. `host.member`, which answers a
//!   code, stores the length after the address instead (`runtime::event_member`).
//!
//! wasm-bindgen still processes the module (wasm-pack runs it; it exports `postlogin_configure`):
//! it adds an externref table the shim initialises and nothing else the shim uses.

use std::cell::RefCell;

use crate::host::runtime::Global;

/// Room for `len` bytes of text the shim is about to write; see [`take`]. Exported under a
/// prefixed name, as are `resume`, `cancel` and `configure`: a crate an Action links that
/// exports a plain `alloc` (a common name for it) must not clash with ours.
#[unsafe(export_name = "postlogin_alloc")]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut room = Vec::<u8>::with_capacity(len);
    let at = room.as_mut_ptr();
    std::mem::forget(room);
    at
}

/// The text the shim wrote at `ptr`; empty text comes as `(0, 0)`, without an `alloc`.
///
/// # Safety
/// Unless `len` is 0, `ptr` comes from `alloc(len)` and holds `len` bytes of UTF-8 the shim
/// wrote (see the module's notes); each `ptr` is taken once.
pub unsafe fn take(ptr: *mut u8, len: usize) -> String {
    // SAFETY: as the caller promises; the bytes are UTF-8 (see above).
    unsafe { String::from_utf8_unchecked(take_bytes(ptr, len)) }
}

/// An HTTP answer's body, which the shim copied in as the bytes it came in: as text, decoded as
/// `response.text()` decodes it (each sequence that is not UTF-8 becomes U+FFFD). Most answers
/// are UTF-8 and are taken as they are.
///
/// # Safety
/// As for [`take`], except that the bytes may be anything.
pub unsafe fn take_answer(ptr: *mut u8, len: usize) -> String {
    // SAFETY: as the caller promises.
    String::from_utf8(unsafe { take_bytes(ptr, len) })
        .unwrap_or_else(|not_utf8| crate::text::decode_lossy(not_utf8.as_bytes()))
}

/// The `len` bytes the shim wrote at `ptr`, owned; nothing is allocated for none.
///
/// # Safety
/// Unless `len` is 0, `ptr` comes from `alloc(len)` and is taken once.
unsafe fn take_bytes(ptr: *mut u8, len: usize) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    // SAFETY: a Vec of capacity `len` was allocated at `ptr` and forgotten (`alloc`).
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// What the previous export call answered, alive until the next one.
static ANSWER: Global<RefCell<String>> = Global::new(String::new());
static ANSWER_AT: Global<RefCell<[usize; 2]>> = Global::new([0, 0]);

/// What an export answers the shim.
pub enum Reply {
    /// The login's outcome, as JSON text.
    Text(String),
    /// The id of the login's task, which waits on requests it parked.
    Waiting(usize),
}

/// Hands `reply` to the shim as an export's answer: the address of its `[ptr, len]` (text is
/// never at address 0: an empty `String` points at 1, any other above the stack).
pub fn answer(reply: Reply) -> *const [usize; 2] {
    let pair = match reply {
        Reply::Text(text) => {
            let pair = [text.as_ptr() as usize, text.len()];
            ANSWER.with_borrow_mut(|kept| *kept = text);
            pair
        }
        Reply::Waiting(task) => [0, task],
    };
    ANSWER_AT.with_borrow_mut(|at| {
        *at = pair;
        at as *const [usize; 2]
    })
}

/// The text an import answered: `call(out)` returns its length and stores its address at `out`.
pub fn received(call: impl FnOnce(*mut *mut u8) -> usize) -> String {
    let mut at = std::ptr::null_mut();
    let len = call(&mut at);
    // SAFETY: the shim wrote the answer as text into `alloc(len)`, at the address it stored.
    unsafe { take(at, len) }
}
