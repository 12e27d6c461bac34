//! Where the bytes of an Action's wasm go, by crate and by function: function body sizes from
//! the code section, named through the name section of wasm-bindgen's output. That is the module before
//! wasm-opt (which strips names and shrinks everything by about half): the proportions are what
//! tell where to cut.

use std::collections::BTreeMap;

use crate::wasm::{sections, skip_import_description, Reader};

const HOW_MANY: usize = 20;

/// The largest contributors, largest first: by crate (and the data section), and by function.
#[derive(Debug, Default, PartialEq)]
pub struct Contributors {
    pub crates: Vec<(String, usize)>,
    pub functions: Vec<(String, usize)>,
}

pub fn top(module: &[u8]) -> Contributors {
    let Some(sections) = sections(module) else {
        return Contributors::default();
    };
    let mut imported_functions = 0;
    let mut bodies = Vec::new();
    let mut names = BTreeMap::new();
    let mut data = 0;
    for (id, payload) in sections {
        match id {
            2 => imported_functions = count_imported_functions(payload).unwrap_or(0),
            10 => bodies = body_sizes(payload).unwrap_or_default(),
            11 => data += payload.len(),
            0 => {
                if let Some(found) = function_names(payload) {
                    names = found;
                }
            }
            _ => {}
        }
    }
    let mut crates: BTreeMap<String, usize> = BTreeMap::new();
    if data > 0 {
        crates.insert("(data: strings and tables)".into(), data);
    }
    let mut functions = Vec::new();
    for (index, size) in bodies.into_iter().enumerate() {
        let name = names
            .get(&(imported_functions + index))
            .map_or("(unnamed)", String::as_str);
        *crates.entry(crate_of(name).to_owned()).or_default() += size;
        functions.push((readable(name), size));
    }
    Contributors {
        crates: largest(crates.into_iter().collect()),
        functions: largest(functions),
    }
}

fn largest(mut entries: Vec<(String, usize)>) -> Vec<(String, usize)> {
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    entries.truncate(HOW_MANY);
    entries
}

/// A function's name without what only the compiler needs: the `::h0123…` hash at its end and
/// the `[c5930…]` disambiguators after crate names.
pub(crate) fn readable(name: &str) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        match after.find(']') {
            Some(close) if after[1..close].bytes().all(|b| b.is_ascii_hexdigit()) && close > 1 => {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
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

pub(crate) fn count_imported_functions(section: &[u8]) -> Option<usize> {
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
pub(crate) fn function_names(section: &[u8]) -> Option<BTreeMap<usize, String>> {
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
    use crate::wasm::{test_module, write_name, write_section as section};

    #[test]
    fn code_is_attributed_to_crates_through_the_name_section() {
        // Bodies of 10, 30 and 5 bytes (functions 1, 2, 3 after the import), then data.
        let mut module = test_module::with_functions(&[
            ("core[abc]::fmt::write", &[0; 10]),
            ("<serde_json::Value as core::fmt::Debug>::fmt", &[0; 30]),
            ("__wbindgen_malloc", &[0; 5]),
        ]);
        section(&mut module, 11, &[0; 7]);
        // Another custom section after the names must not hide them.
        let mut producers = Vec::new();
        write_name(&mut producers, "producers");
        section(&mut module, 0, &producers);

        let top = top(&module);
        assert_eq!(
            top.crates,
            [
                ("serde_json".to_owned(), 30),
                ("core".to_owned(), 10),
                ("(data: strings and tables)".to_owned(), 7),
                ("(wasm-bindgen runtime)".to_owned(), 5),
            ]
        );
        assert_eq!(
            top.functions,
            [
                (
                    "<serde_json::Value as core::fmt::Debug>::fmt".to_owned(),
                    30
                ),
                ("core::fmt::write".to_owned(), 10),
                ("__wbindgen_malloc".to_owned(), 5),
            ]
        );
        assert_eq!(super::top(b"not wasm"), Contributors::default());
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

    #[test]
    fn function_names_lose_hashes_and_disambiguators_only() {
        assert_eq!(
            readable("postlogin::json::Parser::value::h79e8ac12ac77e09b"),
            "postlogin::json::Parser::value"
        );
        assert_eq!(
            readable("<char as core[c5930c85a12de822]::fmt::Debug>::fmt"),
            "<char as core::fmt::Debug>::fmt"
        );
        assert_eq!(readable("<[u8]>::starts_with"), "<[u8]>::starts_with");
        assert_eq!(readable("a::hello"), "a::hello");
    }
}
