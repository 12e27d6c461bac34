//! Just enough of the WebAssembly binary format for the compiler's passes over its output: LEB128,
//! names, and the top-level sections.

pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    pub fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(slice)
    }

    pub fn leb(&mut self) -> Option<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            value |= u32::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    pub fn name(&mut self) -> Option<&'a str> {
        let len = self.leb()? as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }
}

/// The module's sections as `(id, payload)`, or `None` when it is not a well-formed module.
pub fn sections(module: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        return None;
    }
    let mut reader = Reader {
        bytes: module,
        at: 8,
    };
    let mut sections = Vec::new();
    while reader.at < module.len() {
        let id = reader.byte()?;
        let size = reader.leb()? as usize;
        sections.push((id, reader.take(size)?));
    }
    Some(sections)
}

/// The names of the module's exports (none when it cannot be read).
pub fn exports(module: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (id, payload) in sections(module).unwrap_or_default() {
        if id == 7 {
            let _ = for_each_export_in(payload, |name, _| found.push(name.to_owned()));
        }
    }
    found
}

/// Calls `visit(name, kind and index bytes)` per export; whether the section was read to its end.
pub fn for_each_export_in<'a>(
    payload: &'a [u8],
    mut visit: impl FnMut(&'a str, &'a [u8]),
) -> Option<bool> {
    let mut reader = Reader {
        bytes: payload,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        let name = reader.name()?;
        let start = reader.at;
        reader.byte()?; // the kind: function, table, memory, global
        reader.leb()?; // its index
        visit(name, &payload[start..reader.at]);
    }
    Some(reader.at == payload.len())
}

/// The module's imports as `(module, name)` (as many as can be read).
pub fn imports(module: &[u8]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (id, payload) in sections(module).unwrap_or_default() {
        if id != 2 {
            continue;
        }
        let mut reader = Reader {
            bytes: payload,
            at: 0,
        };
        for _ in 0..reader.leb().unwrap_or(0) {
            let (Some(module), Some(name)) = (reader.name(), reader.name()) else {
                break;
            };
            found.push((module.to_owned(), name.to_owned()));
            if skip_import_description(&mut reader).is_none() {
                break;
            }
        }
    }
    found
}

/// Skips an import's description: function (type index), table (reference type + limits),
/// memory (limits), global (value type + mutability) or tag (attribute + type index).
pub fn skip_import_description(reader: &mut Reader<'_>) -> Option<()> {
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

/// A section: its id, its size and its payload.
pub fn write_section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    write_leb(out, payload.len() as u32);
    out.extend_from_slice(payload);
}

pub fn write_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u32);
    out.extend_from_slice(name.as_bytes());
}

/// Modules for the compiler's tests.
#[cfg(test)]
pub mod test_module {
    use super::{write_leb, write_name, write_section};

    /// One imported function (`g`.`a`), then one function per `(name, body)` (indices 1, 2, …),
    /// named in a `name` section.
    pub fn with_functions(functions: &[(&str, &[u8])]) -> Vec<u8> {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let mut imports = vec![1];
        write_name(&mut imports, "g");
        write_name(&mut imports, "a");
        imports.extend([0, 0]);
        write_section(&mut module, 2, &imports);
        let mut code = Vec::new();
        write_leb(&mut code, functions.len() as u32);
        for (_, body) in functions {
            write_leb(&mut code, body.len() as u32);
            code.extend_from_slice(body);
        }
        write_section(&mut module, 10, &code);
        let mut entries = Vec::new();
        write_leb(&mut entries, functions.len() as u32);
        for (index, (name, _)) in functions.iter().enumerate() {
            write_leb(&mut entries, index as u32 + 1);
            write_name(&mut entries, name);
        }
        let mut names = Vec::new();
        write_name(&mut names, "name");
        names.push(1);
        write_leb(&mut names, entries.len() as u32);
        names.extend(entries);
        write_section(&mut module, 0, &names);
        module
    }
}
