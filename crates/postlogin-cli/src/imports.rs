//! Short names for the wasm's JavaScript imports.
//!
//! wasm-bindgen names every import like `__wbg_fetch_8d9b732df7467c44`, under the module
//! `./action_bg.js`: about 45 bytes each, twice (in the wasm and in the glue), for some fifty
//! imports, in a file Auth0 caps at 100 kB. This renames them `a`, `b`, … in the wasm's import
//! section and in the glue's import object, where each must be found exactly once.

use crate::wasm::{write_leb, write_name, write_section, Reader};
use crate::CliError;

/// The module name wasm-bindgen gives the glue's imports, and the one we give them.
pub const GLUE_MODULE: &str = "./action_bg.js";
const SHORT_MODULE: &str = "g";

const IMPORT_SECTION: u8 = 2;

pub struct Renamed {
    pub wasm: Vec<u8>,
    /// `(wasm-bindgen's name, short name)`, in import order.
    pub names: Vec<(String, String)>,
}

/// Rewrites the import section of `wasm`, renaming the glue module's imports.
pub fn shorten(wasm: &[u8]) -> Result<Renamed, CliError> {
    let malformed = |what: &str| CliError::Build(format!("cannot shorten wasm imports: {what}"));
    let sections = crate::wasm::sections(wasm).ok_or_else(|| malformed("not a wasm module"))?;
    let mut out = wasm[..8].to_vec();
    let mut names = Vec::new();
    for (id, payload) in sections {
        let payload = if id == IMPORT_SECTION {
            rename_imports(payload, &mut names).ok_or_else(|| malformed("unexpected import"))?
        } else {
            payload.to_vec()
        };
        write_section(&mut out, id, &payload);
    }
    Ok(Renamed { wasm: out, names })
}

/// Applies the renaming to wasm-bindgen's glue. Anything not found exactly once fails the
/// build: the glue's shape is what this was written against (wasm-bindgen 0.2.130).
pub fn patch_glue(glue: &str, names: &[(String, String)]) -> Result<String, CliError> {
    let mut glue = replace_once(
        glue,
        &format!("\"{GLUE_MODULE}\": import0,"),
        &format!("\"{SHORT_MODULE}\": import0,"),
    )?;
    for (long, short) in names {
        glue = replace_once(
            &glue,
            &format!("\n        {long}: function("),
            &format!("\n        {short}: function("),
        )?;
    }
    Ok(glue)
}

fn replace_once(text: &str, from: &str, to: &str) -> Result<String, CliError> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => Err(CliError::Build(format!(
            "expected `{}` exactly once in wasm-bindgen's glue, found it {n} times",
            from.trim()
        ))),
    }
}

fn rename_imports(section: &[u8], names: &mut Vec<(String, String)>) -> Option<Vec<u8>> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let count = reader.leb()?;
    let mut out = Vec::with_capacity(section.len());
    write_leb(&mut out, count);
    for _ in 0..count {
        let module = reader.name()?;
        let field = reader.name()?;
        let description_start = reader.at;
        skip_import_description(&mut reader)?;
        let description = &section[description_start..reader.at];
        if module == GLUE_MODULE {
            let short = short_name(names.len());
            write_name(&mut out, SHORT_MODULE);
            write_name(&mut out, &short);
            names.push((field.to_owned(), short));
        } else {
            write_name(&mut out, module);
            write_name(&mut out, field);
        }
        out.extend_from_slice(description);
    }
    (reader.at == section.len()).then_some(out)
}

/// `a` … `z`, `A` … `Z`, then `a0`, `b0`, …: valid JS identifiers, shortest first.
fn short_name(index: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::from(LETTERS[index % LETTERS.len()] as char);
    let mut rest = index / LETTERS.len();
    while rest > 0 {
        name.push(char::from(b'0' + (rest % 10) as u8));
        rest /= 10;
    }
    name
}

/// Skips an import's description: function (type index), table (reference type + limits),
/// memory (limits), global (value type + mutability) or tag (attribute + type index).
pub(crate) fn skip_import_description(reader: &mut Reader<'_>) -> Option<()> {
    match reader.byte()? {
        0 => reader.leb().map(drop),
        1 => {
            reader.byte()?;
            skip_limits(reader)
        }
        2 => skip_limits(reader),
        3 => reader.take(2).map(drop),
        4 => {
            reader.byte()?;
            reader.leb().map(drop)
        }
        _ => None,
    }
}

fn skip_limits(reader: &mut Reader<'_>) -> Option<()> {
    let flags = reader.byte()?;
    reader.leb()?;
    if flags & 1 != 0 {
        reader.leb()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a type section, three imports (two from the glue) and a custom section.
    fn module() -> Vec<u8> {
        let mut imports = Vec::new();
        write_leb(&mut imports, 3);
        for (module, field, description) in [
            (GLUE_MODULE, "__wbg_fetch_8d9b732df7467c44", vec![0u8, 0]),
            ("env", "memory", vec![2u8, 1, 17, 200, 1]),
            (GLUE_MODULE, "__wbindgen_init_externref_table", vec![0u8, 1]),
        ] {
            write_name(&mut imports, module);
            write_name(&mut imports, field);
            imports.extend(description);
        }
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([1, 4, 1, 0x60, 0, 0]); // type section: one () -> ()
        wasm.push(IMPORT_SECTION);
        write_leb(&mut wasm, imports.len() as u32);
        wasm.extend(imports);
        wasm.extend([0, 3, 1, b'x', 9]); // custom section "x"
        wasm
    }

    #[test]
    fn glue_imports_get_short_names_and_the_rest_is_untouched() {
        let renamed = shorten(&module()).unwrap();
        assert_eq!(
            renamed.names,
            [
                ("__wbg_fetch_8d9b732df7467c44".to_owned(), "a".to_owned()),
                ("__wbindgen_init_externref_table".to_owned(), "b".to_owned()),
            ]
        );
        let mut expected = b"\0asm\x01\0\0\0".to_vec();
        expected.extend([1, 4, 1, 0x60, 0, 0]);
        let mut imports = vec![3];
        imports.extend([1, b'g', 1, b'a', 0, 0]);
        imports.extend([
            3, b'e', b'n', b'v', 6, b'm', b'e', b'm', b'o', b'r', b'y', 2, 1, 17, 200, 1,
        ]);
        imports.extend([1, b'g', 1, b'b', 0, 1]);
        expected.extend([IMPORT_SECTION, imports.len() as u8]);
        expected.extend(imports);
        expected.extend([0, 3, 1, b'x', 9]);
        assert_eq!(renamed.wasm, expected);
    }

    #[test]
    fn the_glue_follows_and_unknown_shapes_fail() {
        let glue = "    const import0 = {\n        __wbg_fetch_1: function(a) {},\n    };\n    return { \"./action_bg.js\": import0, };";
        let names = [("__wbg_fetch_1".to_owned(), "a".to_owned())];
        assert_eq!(
            patch_glue(glue, &names).unwrap(),
            "    const import0 = {\n        a: function(a) {},\n    };\n    return { \"g\": import0, };"
        );
        let missing = [("__wbg_gone_2".to_owned(), "b".to_owned())];
        assert_eq!(
            patch_glue(glue, &missing).unwrap_err().to_string(),
            "expected `__wbg_gone_2: function(` exactly once in wasm-bindgen's glue, found it 0 times"
        );
        assert!(shorten(b"\0asm\x01\0\0\0\x02\x05\x01").is_err());
    }

    #[test]
    fn short_names_are_unique_identifiers() {
        let names: Vec<String> = (0..200).map(short_name).collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(
            (names[0].as_str(), names[51].as_str(), names[52].as_str()),
            ("a", "Z", "a1")
        );
    }
}
