//! Panics that trap at once, as nightly's `panic_immediate_abort` would make them.
//!
//! Under `panic = "abort"` a panic still goes through std's panic machinery, which formats the
//! message (`core::fmt`, `Debug` for `char` and its Unicode tables…) for a hook that, in the
//! wasm, prints nowhere; and the shim never shows a panic message anyway (it could quote data).
//! A stable toolchain cannot opt out, so the compiler does it on the module: the body of every
//! panic entry point below becomes a single `unreachable`, and wasm-opt then drops what only
//! they used. Each of them is a `-> !` function in core, alloc or std: it never returns, so
//! trapping at its entry changes nothing but what happens before the trap. A panic still traps,
//! and the shim still turns that into a failed login and a fresh instance.

use std::collections::BTreeSet;

use crate::contributors::{count_imported_functions, function_names, readable};
use crate::wasm::{sections, write_leb, write_section, Reader};

/// The diverging panic entry points, by name without crate disambiguators (`core::…`), as the
/// name section of wasm-bindgen's output spells them.
const PANIC_ENTRY_POINTS: &[&str] = &[
    "core::panicking::panic_fmt",
    "core::panicking::panic_nounwind_fmt",
    "core::panicking::panic",
    "core::panicking::panic_nounwind",
    "core::panicking::panic_bounds_check",
    "core::panicking::panic_display",
    "core::panicking::panic_explicit",
    "core::panicking::assert_failed",
    "core::panicking::assert_failed_inner",
    "core::str::slice_error_fail",
    "core::str::slice_error_fail_rt",
    "core::slice::index::slice_index_fail",
    "core::slice::index::slice_start_index_len_fail",
    "core::slice::index::slice_end_index_len_fail",
    "core::slice::index::slice_index_order_fail",
    "core::option::unwrap_failed",
    "core::option::expect_failed",
    "core::result::unwrap_failed",
    "core::cell::panic_already_borrowed",
    "core::cell::panic_already_mutably_borrowed",
    "alloc::raw_vec::capacity_overflow",
    "alloc::raw_vec::handle_error",
    "alloc::alloc::handle_alloc_error",
    "std::panicking::begin_panic_handler",
    "std::panicking::rust_panic_with_hook",
    "std::panicking::panic_with_hook",
    "__rustc::rust_begin_unwind",
];

/// Also `-> !`: `core::panicking::panic_const::panic_const_add_overflow` and its siblings.
const PANIC_CONST_PREFIX: &str = "core::panicking::panic_const::panic_const_";

/// A function body that is only `unreachable`: no locals, `unreachable`, `end`.
const TRAP: [u8; 3] = [0x00, 0x00, 0x0b];

/// The module with every panic entry point trapping at once, and how many there were; the
/// module unchanged (and 0) when it has no name section to find them by.
pub fn trap_at_once(module: &[u8]) -> (Vec<u8>, usize) {
    match rewrite(module) {
        Some((rewritten, count)) if count > 0 => (rewritten, count),
        _ => (module.to_vec(), 0),
    }
}

fn rewrite(module: &[u8]) -> Option<(Vec<u8>, usize)> {
    let sections = sections(module)?;
    let mut imported = 0;
    let mut names = Default::default();
    for (id, payload) in &sections {
        match id {
            2 => imported = count_imported_functions(payload)?,
            0 => {
                if let Some(found) = function_names(payload) {
                    names = found;
                }
            }
            _ => {}
        }
    }
    let entry_points: BTreeSet<usize> = names
        .iter()
        .filter(|(_, name)| is_panic_entry_point(&readable(name)))
        .map(|(index, _)| *index)
        .collect();
    let mut out = module[..8].to_vec();
    let mut count = 0;
    for (id, payload) in sections {
        let rewritten;
        let payload = if id == 10 {
            let (code, trapped) = rewrite_code(payload, imported, &entry_points)?;
            count = trapped;
            rewritten = code;
            rewritten.as_slice()
        } else {
            payload
        };
        write_section(&mut out, id, payload);
    }
    Some((out, count))
}

fn rewrite_code(
    section: &[u8],
    imported: usize,
    entry_points: &BTreeSet<usize>,
) -> Option<(Vec<u8>, usize)> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let bodies = reader.leb()?;
    let mut out = Vec::with_capacity(section.len());
    write_leb(&mut out, bodies);
    let mut count = 0;
    for index in 0..bodies as usize {
        let size = reader.leb()? as usize;
        let mut body = reader.take(size)?;
        if entry_points.contains(&(imported + index)) {
            body = &TRAP;
            count += 1;
        }
        write_leb(&mut out, u32::try_from(body.len()).ok()?);
        out.extend_from_slice(body);
    }
    Some((out, count))
}

fn is_panic_entry_point(name: &str) -> bool {
    PANIC_ENTRY_POINTS.contains(&name)
        || name
            .strip_prefix(PANIC_CONST_PREFIX)
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::test_module;

    /// Bodies named after `functions`, each 4 bytes of its position.
    fn module(functions: &[&str]) -> Vec<u8> {
        let bodies: Vec<[u8; 4]> = (0..functions.len()).map(|i| [i as u8; 4]).collect();
        let named: Vec<(&str, &[u8])> = functions
            .iter()
            .zip(&bodies)
            .map(|(name, body)| (*name, body.as_slice()))
            .collect();
        test_module::with_functions(&named)
    }

    fn bodies(module: &[u8]) -> Vec<Vec<u8>> {
        let code = sections(module)
            .unwrap()
            .into_iter()
            .find(|(id, _)| *id == 10)
            .unwrap()
            .1;
        let mut reader = Reader { bytes: code, at: 0 };
        (0..reader.leb().unwrap())
            .map(|_| {
                let size = reader.leb().unwrap() as usize;
                reader.take(size).unwrap().to_vec()
            })
            .collect()
    }

    #[test]
    fn only_the_panic_entry_points_trap() {
        let original = module(&[
            "core[c5930c85a12de822]::panicking::panic_fmt::h0123456789abcdef",
            "postlogin::json::parse::h0123456789abcdef",
            "std[a543996e6e7dbf1e]::panicking::panic_count::increase::h0123456789abcdef",
            "core[c5930c85a12de822]::panicking::panic_const::panic_const_add_overflow",
            "__rustc[b7974e8690430dd9]::rust_begin_unwind",
        ]);
        let (rewritten, count) = trap_at_once(&original);
        assert_eq!(count, 3);
        assert_eq!(
            bodies(&rewritten),
            [
                TRAP.to_vec(),
                vec![1; 4],
                vec![2; 4], // returns normally: never touched
                TRAP.to_vec(),
                TRAP.to_vec(),
            ]
        );
        // Everything else is byte for byte the same.
        let others = |module: &[u8]| -> Vec<(u8, Vec<u8>)> {
            sections(module)
                .unwrap()
                .into_iter()
                .filter(|(id, _)| *id != 10)
                .map(|(id, payload)| (id, payload.to_vec()))
                .collect()
        };
        assert_eq!(others(&rewritten), others(&original));
    }

    #[test]
    fn a_module_without_names_or_entry_points_is_left_alone() {
        let plain = module(&["postlogin::json::parse"]);
        assert_eq!(trap_at_once(&plain), (plain.clone(), 0));
        assert_eq!(trap_at_once(b"not wasm"), (b"not wasm".to_vec(), 0));
    }
}
