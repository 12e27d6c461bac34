//! Which requests an Action's wasm can park for the shim, and what it needs for none.
//!
//! A task parks a request (`fetch`, a timer) by handing it to the shim through an import
//! (`host.fetch`, `host.sleep`); the shim performs it, then hands the answer back through the
//! wasm's `postlogin_resume` export (crates/postlogin/src/host/runtime.rs). The linker keeps an
//! import only if code that calls it is kept: a module without it never parks that kind. The
//! shim then carries no code to perform it, and a module that can park nothing has no
//! `postlogin_resume` either.

#[cfg(test)]
use crate::wasm::exports;
use crate::wasm::{for_each_export_in, imports, sections, write_leb, write_name, write_section};

/// The kinds of parked request: the shim's imports that park them.
pub const KINDS: [&str; 2] = ["fetch", "sleep"];

pub fn can_park(wasm: &[u8]) -> bool {
    imports(wasm)
        .iter()
        .any(|(module, name)| module == "host" && KINDS.contains(&name.as_str()))
}

/// The module without its `postlogin_resume` export when it can park nothing (wasm-opt then
/// drops what only it used); otherwise, or when the module cannot be read, the module unchanged.
pub fn without_unused_resume(module: &[u8]) -> Vec<u8> {
    if can_park(module) {
        return module.to_vec();
    }
    without_export(module, "postlogin_resume").unwrap_or_else(|| module.to_vec())
}

fn without_export(module: &[u8], dropped: &str) -> Option<Vec<u8>> {
    let mut out = module.get(..8)?.to_vec();
    for (id, payload) in sections(module)? {
        if id != 7 {
            write_section(&mut out, id, payload);
            continue;
        }
        let mut kept = Vec::new();
        let complete = for_each_export_in(payload, |name, rest| {
            if name != dropped {
                kept.push((name, rest));
            }
        })?;
        if !complete {
            return None;
        }
        let mut section = Vec::new();
        write_leb(&mut section, kept.len() as u32);
        for (name, rest) in kept {
            write_name(&mut section, name);
            section.extend_from_slice(rest);
        }
        write_section(&mut out, 7, &section);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::test_module::with_functions;

    /// `with_functions`' module, its one import `host`.`import` instead, plus an export
    /// section exporting each function by its name.
    fn exporting(functions: &[(&str, &[u8])], import: &str) -> Vec<u8> {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        for (id, payload) in sections(&with_functions(functions)).unwrap() {
            if id != 2 {
                write_section(&mut module, id, payload);
                continue;
            }
            let mut imports = vec![1];
            write_name(&mut imports, "host");
            write_name(&mut imports, import);
            imports.extend([0, 0]);
            write_section(&mut module, 2, &imports);
        }
        let mut section = Vec::new();
        write_leb(&mut section, functions.len() as u32);
        for (index, (name, _)) in functions.iter().enumerate() {
            write_name(&mut section, name);
            section.push(0);
            write_leb(&mut section, index as u32 + 1);
        }
        write_section(&mut module, 7, &section);
        module
    }

    const BODY: &[u8] = &[0, 0x0b];

    #[test]
    fn a_module_that_parks_nothing_loses_only_resume() {
        let module = exporting(
            &[
                ("onExecutePostLogin", BODY),
                ("postlogin_resume", BODY),
                ("postlogin_cancel", BODY),
            ],
            "call",
        );
        assert!(!can_park(&module));
        let stripped = without_unused_resume(&module);
        assert_eq!(
            exports(&stripped),
            ["onExecutePostLogin", "postlogin_cancel"]
        );
        assert!(sections(&stripped).is_some());
    }

    #[test]
    fn a_module_that_imports_a_kind_keeps_resume() {
        for kind in KINDS {
            let module = exporting(&[("postlogin_resume", BODY)], kind);
            assert!(can_park(&module));
            assert_eq!(without_unused_resume(&module), module);
        }
    }

    #[test]
    fn an_unreadable_module_is_left_alone() {
        let module = b"\0asm\x01\0\0\0\x07\x05\x09".to_vec();
        assert_eq!(without_unused_resume(&module), module);
        assert!(exports(b"not wasm").is_empty());
    }
}
