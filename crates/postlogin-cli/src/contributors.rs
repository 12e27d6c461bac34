//! Where the bytes of an Action's wasm go, by crate: function body sizes from the code section,
//! attributed through the name section of wasm-bindgen's output. That is the module before
//! wasm-opt (which strips names and shrinks everything by about half): the proportions are what
//! tell where to cut.

use std::collections::BTreeMap;

use crate::imports::skip_import_description;
use crate::wasm::{sections, Reader};

const HOW_MANY: usize = 20;

/// The largest contributors, largest first: crates by code size, and the data section.
pub fn top(module: &[u8]) -> Vec<(String, usize)> {
    let Some(sections) = sections(module) else {
        return Vec::new();
    };
    let mut imported_functions = 0;
    let mut bodies = Vec::new();
    let mut names = BTreeMap::new();
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    for (id, payload) in sections {
        match id {
            2 => imported_functions = count_imported_functions(payload).unwrap_or(0),
            10 => bodies = body_sizes(payload).unwrap_or_default(),
            11 => {
                *totals
                    .entry("(data: strings and tables)".into())
                    .or_default() += payload.len()
            }
            0 => {
                if let Some(found) = function_names(payload) {
                    names = found;
                }
            }
            _ => {}
        }
    }
    for (index, size) in bodies.into_iter().enumerate() {
        let owner = names
            .get(&(imported_functions + index))
            .map_or("(unnamed)", |name: &String| crate_of(name));
        *totals.entry(owner.to_owned()).or_default() += size;
    }
    let mut top: Vec<(String, usize)> = totals.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(HOW_MANY);
    top
}

/// `core[c59…]::fmt::write` → `core`; `<serde_json::Value as core::fmt::Debug>::fmt` →
/// `serde_json`; `<u64 as core::fmt::Display>::fmt` → `core` (a primitive's impl counts for the
/// trait's crate); `<char>::escape_debug_ext` → `core`; `__wbindgen_malloc` →
/// `(wasm-bindgen runtime)`.
fn crate_of(name: &str) -> &str {
    let head = name.trim_start_matches('<');
    if !head.contains("::") {
        return "(wasm-bindgen runtime)";
    }
    // `<Type as Trait>::…`: the type's crate, or the trait's when the type is a primitive.
    let (own, trait_path) = match head.split_once(" as ") {
        Some((own, rest)) if !own.contains('>') => (own, Some(rest)),
        _ => (head, None),
    };
    let own = own
        .trim_start_matches(['&', '*'])
        .trim_start_matches("mut ")
        .trim_start_matches("dyn ");
    let path = match (own.contains("::"), trait_path) {
        (false, Some(trait_path)) => trait_path,
        _ => own,
    };
    match path.split("::").next().unwrap_or_default() {
        primitive if primitive.ends_with('>') => "core",
        first => match first.split('[').next() {
            Some(owner) if !owner.is_empty() => owner,
            _ => "(other)",
        },
    }
}

fn count_imported_functions(section: &[u8]) -> Option<usize> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let mut functions = 0;
    for _ in 0..reader.leb()? {
        reader.name()?;
        reader.name()?;
        if *section.get(reader.at)? == 0 {
            functions += 1;
        }
        skip_import_description(&mut reader)?;
    }
    Some(functions)
}

fn body_sizes(section: &[u8]) -> Option<Vec<usize>> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    (0..reader.leb()?)
        .map(|_| {
            let size = reader.leb()? as usize;
            reader.take(size)?;
            Some(size)
        })
        .collect()
}

/// Subsection 1 of the custom section `name`: function index → name.
fn function_names(section: &[u8]) -> Option<BTreeMap<usize, String>> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    if reader.name()? != "name" {
        return None;
    }
    while reader.at < section.len() {
        let id = reader.byte()?;
        let size = reader.leb()? as usize;
        let payload = reader.take(size)?;
        if id == 1 {
            let mut names = Reader {
                bytes: payload,
                at: 0,
            };
            return (0..names.leb()?)
                .map(|_| Some((names.leb()? as usize, names.name()?.to_owned())))
                .collect();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::{write_leb, write_name};

    fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
        out.push(id);
        write_leb(out, payload.len() as u32);
        out.extend_from_slice(payload);
    }

    #[test]
    fn code_is_attributed_to_crates_through_the_name_section() {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let mut imports = vec![1];
        write_name(&mut imports, "g");
        write_name(&mut imports, "a");
        imports.extend([0, 0]);
        section(&mut module, 2, &imports);
        // Three bodies of 10, 30 and 5 bytes (functions 1, 2, 3 after the import).
        let mut code = vec![3];
        for size in [10u8, 30, 5] {
            code.push(size);
            code.extend(std::iter::repeat_n(0, size as usize));
        }
        section(&mut module, 10, &code);
        section(&mut module, 11, &[0; 7]);
        let mut names = Vec::new();
        write_name(&mut names, "name");
        let mut functions = vec![3];
        for (index, name) in [
            (1u8, "core[abc]::fmt::write"),
            (2, "<serde_json::Value as core::fmt::Debug>::fmt"),
            (3, "__wbindgen_malloc"),
        ] {
            functions.push(index);
            write_name(&mut functions, name);
        }
        names.push(1);
        write_leb(&mut names, functions.len() as u32);
        names.extend(functions);
        section(&mut module, 0, &names);
        // Another custom section after the names must not hide them.
        let mut producers = Vec::new();
        write_name(&mut producers, "producers");
        section(&mut module, 0, &producers);

        assert_eq!(
            top(&module),
            [
                ("serde_json".to_owned(), 30),
                ("core".to_owned(), 10),
                ("(data: strings and tables)".to_owned(), 7),
                ("(wasm-bindgen runtime)".to_owned(), 5),
            ]
        );
        assert_eq!(top(b"not wasm"), []);
        assert_eq!(crate_of("<u64 as core::fmt::Display>::fmt"), "core");
        assert_eq!(
            crate_of("<T as alloc::string::ToString>::to_string"),
            "alloc"
        );
        assert_eq!(crate_of("<char>::escape_debug_ext"), "core");
        assert_eq!(
            crate_of("<&dyn core::fmt::Debug as core::fmt::Debug>::fmt"),
            "core"
        );
        assert_eq!(crate_of("js_sys::futures::queue::Queue::new"), "js_sys");
    }
}
