//! Table entries no live code can call, replaced by one function that traps.
//!
//! Rust puts the address of every trait method a vtable names into the module's function table
//! (`<u32 as Display>::fmt`, `<String as fmt::Write>::write_str`, …), and binaryen keeps every
//! table entry alive: it cannot tell which ones a `call_indirect` may reach. This pass can, by
//! type: an entry is only reachable through a `call_indirect` whose type is the entry's
//! signature, executed by live code. Liveness is a fixpoint from the roots (exports, the start
//! function, `ref.func`s of live code and of global initializers): a live function makes its
//! `call` targets live, and each signature it calls indirectly makes every table entry of that
//! signature live, whose bodies are then scanned in turn.
//!
//! An entry whose function is live anyway (called directly, say) stays: replacing it would save
//! nothing. Every other entry becomes the index of one function appended to the module,
//! `() -> ()`, whose body is `unreachable`: the table keeps its length and every index (vtables
//! in the data section hold them), and wasm-opt then drops the functions nothing references any
//! more. A call that reached a pruned entry would have trapped on a signature mismatch; it still
//! traps.
//!
//! Anything this does not understand (an opcode it cannot decode, a passive or declarative
//! element segment, a funcref table that is imported, exported or not alone, a table
//! instruction on it that could let a reference escape) leaves the module unchanged.

use std::collections::{BTreeSet, HashMap};

use crate::panics::TRAP;
use crate::wasm::{sections, write_leb, write_name, write_section, Reader};

/// The name the function that replaces pruned entries gets in the name section.
pub const PRUNED_ENTRY_NAME: &str = "postlogin::pruned_table_entry";

const FUNCREF: u8 = 0x70;
const EXTERNREF: u8 = 0x6f;

/// The module with every table entry no live code can call replaced, and how many entries
/// were; the module unchanged (and 0) when there is none or the module is not understood.
pub fn prune(module: &[u8]) -> (Vec<u8>, usize) {
    match rewrite(module) {
        Some((rewritten, count)) if count > 0 => (rewritten, count),
        _ => (module.to_vec(), 0),
    }
}

/// What a function body (or a constant expression) refers to.
#[derive(Debug, Default)]
struct Uses {
    calls: Vec<u32>,
    refs: Vec<u32>,
    indirect_types: Vec<u32>,
}

/// An active element segment of the funcref table: its bytes up to the entries, and the
/// entries (`None`: `ref.null`).
struct Segment<'a> {
    prefix: &'a [u8],
    expressions: bool,
    entries: Vec<Option<u32>>,
}

#[derive(Default)]
struct Module<'a> {
    /// Per type index, the first type index with the same signature.
    canonical_types: Vec<u32>,
    unit_type: Option<u32>,
    /// Per function index (imports first), its type index.
    function_types: Vec<u32>,
    imported_functions: usize,
    /// Per table index: its element type, and whether it is imported or exported.
    tables: Vec<(u8, bool)>,
    roots: Vec<u32>,
    bodies: Vec<Uses>,
    segments: Vec<Segment<'a>>,
}

fn rewrite(module: &[u8]) -> Option<(Vec<u8>, usize)> {
    let sections = sections(module)?;
    let mut parsed = Module::default();
    // The sections that mention tables come before the code section, which needs to know
    // which table is the funcref one: read in two rounds.
    for (id, payload) in &sections {
        match id {
            0 | 11 | 12 => {}
            1 => read_types(payload, &mut parsed)?,
            2 => read_imports(payload, &mut parsed)?,
            3 => read_functions(payload, &mut parsed)?,
            4 => read_tables(payload, &mut parsed)?,
            5 | 6 | 7 | 8 | 9 | 10 | 13 => {}
            _ => return None,
        }
    }
    let funcref_tables: Vec<usize> = (parsed.tables.iter().enumerate())
        .filter(|(_, (element, _))| *element == FUNCREF)
        .map(|(index, _)| index)
        .collect();
    let &[table] = funcref_tables.as_slice() else {
        return None;
    };
    let table = u32::try_from(table).ok()?;
    for (id, payload) in &sections {
        match id {
            6 => read_globals(payload, table, &mut parsed)?,
            7 => read_exports(payload, &mut parsed)?,
            8 => parsed.roots.push(
                Reader {
                    bytes: payload,
                    at: 0,
                }
                .leb()?,
            ),
            9 => read_elements(payload, table, &mut parsed)?,
            10 => read_code(payload, table, &mut parsed)?,
            _ => {}
        }
    }
    if parsed.tables[table as usize].1
        || parsed.bodies.len() + parsed.imported_functions != parsed.function_types.len()
    {
        return None;
    }
    let live = live_functions(&parsed)?;

    let appended = u32::try_from(parsed.function_types.len()).ok()?;
    let mut pruned = 0;
    for segment in &mut parsed.segments {
        for entry in segment.entries.iter_mut().flatten() {
            if !live.contains(entry) {
                *entry = appended;
                pruned += 1;
            }
        }
    }
    if pruned == 0 {
        return Some((module.to_vec(), 0));
    }
    let unit_type = match parsed.unit_type {
        Some(index) => index,
        None => u32::try_from(parsed.canonical_types.len()).ok()?,
    };
    let mut out = module[..8].to_vec();
    let mut seen = BTreeSet::new();
    for (id, payload) in &sections {
        seen.insert(*id);
        let rewritten = match id {
            1 if parsed.unit_type.is_none() => append_to_vector(payload, &[0x60, 0, 0])?,
            3 => {
                let mut function = Vec::new();
                write_leb(&mut function, unit_type);
                append_to_vector(payload, &function)?
            }
            9 => write_elements(&parsed.segments),
            10 => {
                let mut body = Vec::new();
                write_leb(&mut body, TRAP.len() as u32);
                body.extend_from_slice(&TRAP);
                append_to_vector(payload, &body)?
            }
            0 => name_appended(payload, appended).unwrap_or_else(|| payload.to_vec()),
            _ => payload.to_vec(),
        };
        write_section(&mut out, *id, &rewritten);
    }
    // A type, a function and a body were appended to sections that must all be there.
    if ![1, 3, 10].iter().all(|id| seen.contains(id)) {
        return None;
    }
    Some((out, pruned))
}

/// Every function live code may reach: the roots, and the fixpoint of direct calls, `ref.func`s
/// and the table entries of every signature called indirectly.
fn live_functions(module: &Module<'_>) -> Option<BTreeSet<u32>> {
    let functions = module.function_types.len();
    let entries: Vec<u32> = (module.segments.iter())
        .flat_map(|segment| segment.entries.iter().flatten().copied())
        .collect();
    let canonical = |function: u32| -> Option<u32> {
        let type_index = *module.function_types.get(function as usize)?;
        module.canonical_types.get(type_index as usize).copied()
    };
    let mut live = BTreeSet::new();
    let mut called_types = BTreeSet::new();
    let mut pending = module.roots.clone();
    while let Some(function) = pending.pop() {
        if function as usize >= functions {
            return None;
        }
        if !live.insert(function) {
            continue;
        }
        let Some(uses) = (function as usize)
            .checked_sub(module.imported_functions)
            .and_then(|defined| module.bodies.get(defined))
        else {
            continue;
        };
        pending.extend(&uses.calls);
        pending.extend(&uses.refs);
        for &type_index in &uses.indirect_types {
            let signature = *module.canonical_types.get(type_index as usize)?;
            if called_types.insert(signature) {
                for &entry in &entries {
                    if canonical(entry)? == signature {
                        pending.push(entry);
                    }
                }
            }
        }
    }
    // Entries must name functions that exist, live or not.
    for &entry in &entries {
        canonical(entry)?;
    }
    Some(live)
}

fn read_types(section: &[u8], module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let mut first_of: HashMap<&[u8], u32> = HashMap::new();
    for index in 0..reader.leb()? {
        if reader.byte()? != 0x60 {
            return None;
        }
        let start = reader.at;
        for _ in 0..2 {
            for _ in 0..reader.leb()? {
                value_type(&mut reader)?;
            }
        }
        let signature = &section[start..reader.at];
        let canonical = *first_of.entry(signature).or_insert(index);
        module.canonical_types.push(canonical);
        if signature == [0, 0] && module.unit_type.is_none() {
            module.unit_type = Some(index);
        }
    }
    ended(&reader)
}

fn read_imports(section: &[u8], module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        reader.name()?;
        reader.name()?;
        match reader.byte()? {
            0 => {
                module.function_types.push(reader.leb()?);
                module.imported_functions += 1;
            }
            1 => {
                let element = reference_type(&mut reader)?;
                limits(&mut reader, 1)?;
                module.tables.push((element, true));
            }
            2 => limits(&mut reader, 3)?,
            3 => {
                value_type(&mut reader)?;
                reader.byte()?;
            }
            _ => return None,
        }
    }
    ended(&reader)
}

fn read_functions(section: &[u8], module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        module.function_types.push(reader.leb()?);
    }
    ended(&reader)
}

fn read_tables(section: &[u8], module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        let element = reference_type(&mut reader)?;
        limits(&mut reader, 1)?;
        module.tables.push((element, false));
    }
    ended(&reader)
}

fn read_globals(section: &[u8], table: u32, module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let mut uses = Uses::default();
    for _ in 0..reader.leb()? {
        value_type(&mut reader)?;
        reader.byte()?;
        expression(&mut reader, table, &mut uses)?;
    }
    module.roots.extend(uses.refs.iter().chain(&uses.calls));
    ended(&reader)
}

fn read_exports(section: &[u8], module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        reader.name()?;
        let kind = reader.byte()?;
        let index = reader.leb()?;
        match kind {
            0 => module.roots.push(index),
            1 => module.tables.get_mut(index as usize)?.1 = true,
            2..=4 => {}
            _ => return None,
        }
    }
    ended(&reader)
}

fn read_elements<'a>(section: &'a [u8], table: u32, module: &mut Module<'a>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let mut offsets = Uses::default();
    for _ in 0..reader.leb()? {
        let start = reader.at;
        let flags = reader.leb()?;
        let target = match flags {
            2 | 6 => reader.leb()?,
            0 | 4 => 0,
            // Passive and declarative segments: not handled.
            _ => return None,
        };
        expression(&mut reader, table, &mut offsets)?;
        // The element kind (`funcref`) or reference type of the explicit-table forms.
        let element = match flags {
            2 => reader.byte()? == 0,
            6 => reader.byte()? == FUNCREF,
            _ => true,
        };
        if !element || target != table {
            return None;
        }
        let prefix = &section[start..reader.at];
        let expressions = flags >= 4;
        let mut entries = Vec::new();
        for _ in 0..reader.leb()? {
            entries.push(if expressions {
                match reader.byte()? {
                    0xd2 => {
                        let function = reader.leb()?;
                        (reader.byte()? == 0x0b).then_some(Some(function))?
                    }
                    0xd0 => (reader.take(2)? == [FUNCREF, 0x0b]).then_some(None)?,
                    _ => return None,
                }
            } else {
                Some(reader.leb()?)
            });
        }
        module.segments.push(Segment {
            prefix,
            expressions,
            entries,
        });
    }
    // An offset is a constant: a `ref.func` or a call there is not one this pass expects.
    if !(offsets.calls.is_empty() && offsets.refs.is_empty() && offsets.indirect_types.is_empty()) {
        return None;
    }
    ended(&reader)
}

fn read_code(section: &[u8], table: u32, module: &mut Module<'_>) -> Option<()> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    for _ in 0..reader.leb()? {
        let size = reader.leb()? as usize;
        let mut body = Reader {
            bytes: reader.take(size)?,
            at: 0,
        };
        for _ in 0..body.leb()? {
            body.leb()?;
            value_type(&mut body)?;
        }
        let mut uses = Uses::default();
        expression(&mut body, table, &mut uses)?;
        ended(&body)?;
        module.bodies.push(uses);
    }
    ended(&reader)
}

fn write_elements(segments: &[Segment<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    write_leb(&mut out, segments.len() as u32);
    for segment in segments {
        out.extend_from_slice(segment.prefix);
        write_leb(&mut out, segment.entries.len() as u32);
        for entry in &segment.entries {
            match (segment.expressions, entry) {
                (false, Some(function)) => write_leb(&mut out, *function),
                (true, Some(function)) => {
                    out.push(0xd2);
                    write_leb(&mut out, *function);
                    out.push(0x0b);
                }
                // Only expression segments can hold a `ref.null`.
                (_, None) => out.extend([0xd0, FUNCREF, 0x0b]),
            }
        }
    }
    out
}

/// A vector section (`count`, then items) with one more item at its end.
fn append_to_vector(section: &[u8], item: &[u8]) -> Option<Vec<u8>> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    let count = reader.leb()?.checked_add(1)?;
    let mut out = Vec::with_capacity(section.len() + item.len() + 1);
    write_leb(&mut out, count);
    out.extend_from_slice(&section[reader.at..]);
    out.extend_from_slice(item);
    Some(out)
}

/// The `name` custom section with the appended function named in its function names; `None`
/// (keep the section as it is) for any other custom section, or one without function names.
fn name_appended(section: &[u8], function: u32) -> Option<Vec<u8>> {
    let mut reader = Reader {
        bytes: section,
        at: 0,
    };
    if reader.name()? != "name" {
        return None;
    }
    let mut out = section[..reader.at].to_vec();
    let mut named = false;
    while reader.at < section.len() {
        let id = reader.byte()?;
        let size = reader.leb()? as usize;
        let payload = reader.take(size)?;
        if id == 1 && !named {
            let mut entry = Vec::new();
            write_leb(&mut entry, function);
            write_name(&mut entry, PRUNED_ENTRY_NAME);
            write_section(&mut out, id, &append_to_vector(payload, &entry)?);
            named = true;
        } else {
            write_section(&mut out, id, payload);
        }
    }
    named.then_some(out)
}

fn ended(reader: &Reader<'_>) -> Option<()> {
    (reader.at == reader.bytes.len()).then_some(())
}

fn value_type(reader: &mut Reader<'_>) -> Option<u8> {
    let byte = reader.byte()?;
    matches!(byte, 0x7b..=0x7f | FUNCREF | EXTERNREF).then_some(byte)
}

fn reference_type(reader: &mut Reader<'_>) -> Option<u8> {
    let byte = reader.byte()?;
    matches!(byte, FUNCREF | EXTERNREF).then_some(byte)
}

/// Limits whose flags are at most `flags` (1: a maximum; 3: also shared memory).
fn limits(reader: &mut Reader<'_>, flags: u8) -> Option<()> {
    let found = reader.byte()?;
    if found > flags {
        return None;
    }
    reader.leb()?;
    if found & 1 != 0 {
        reader.leb()?;
    }
    Some(())
}

/// Decodes instructions up to the `end` that closes the expression, recording in `uses` what
/// they refer to. `None` for any opcode it does not know, or a table instruction on the funcref
/// `table` other than `call_indirect` and `table.size`.
fn expression(reader: &mut Reader<'_>, table: u32, uses: &mut Uses) -> Option<()> {
    let other_table = |index: u32| (index != table).then_some(());
    let mut depth = 0u32;
    loop {
        match reader.byte()? {
            // unreachable, nop, else, return, drop, select, numeric, sign-ext, ref.is_null
            0x00 | 0x01 | 0x05 | 0x0f | 0x1a | 0x1b | 0x45..=0xc4 | 0xd1 => {}
            // block, loop, if
            0x02..=0x04 => {
                block_type(reader)?;
                depth += 1;
            }
            0x0b => match depth.checked_sub(1) {
                Some(outer) => depth = outer,
                None => return Some(()),
            },
            // br, br_if, local.*, global.*
            0x0c | 0x0d | 0x20..=0x24 => {
                reader.leb()?;
            }
            0x0e => {
                for _ in 0..=reader.leb()? {
                    reader.leb()?;
                }
            }
            // call, return_call
            0x10 | 0x12 => uses.calls.push(reader.leb()?),
            // call_indirect, return_call_indirect
            0x11 | 0x13 => {
                uses.indirect_types.push(reader.leb()?);
                if reader.leb()? != table {
                    return None;
                }
            }
            // select with types
            0x1c => {
                for _ in 0..reader.leb()? {
                    value_type(reader)?;
                }
            }
            // table.get, table.set
            0x25 | 0x26 => other_table(reader.leb()?)?,
            // loads and stores: alignment (bit 6: a memory index follows), offset
            0x28..=0x3e => {
                if reader.leb()? & 0x40 != 0 {
                    reader.leb()?;
                }
                reader.leb()?;
            }
            // memory.size, memory.grow
            0x3f | 0x40 => {
                reader.leb()?;
            }
            0x41 => {
                reader.signed_leb(32)?;
            }
            0x42 => {
                reader.signed_leb(64)?;
            }
            0x43 => {
                reader.take(4)?;
            }
            0x44 => {
                reader.take(8)?;
            }
            0xd0 => {
                reference_type(reader)?;
            }
            0xd2 => uses.refs.push(reader.leb()?),
            0xfc => match reader.leb()? {
                // nontrapping float-to-int
                0..=7 => {}
                // memory.init, memory.copy
                8 | 10 => {
                    reader.leb()?;
                    reader.leb()?;
                }
                // data.drop, memory.fill, elem.drop
                9 | 11 | 13 => {
                    reader.leb()?;
                }
                // table.init
                12 => {
                    reader.leb()?;
                    other_table(reader.leb()?)?;
                }
                // table.copy
                14 => {
                    other_table(reader.leb()?)?;
                    other_table(reader.leb()?)?;
                }
                // table.grow, table.fill
                15 | 17 => other_table(reader.leb()?)?,
                // table.size
                16 => {
                    reader.leb()?;
                }
                _ => return None,
            },
            // SIMD, threads, exception handling, tail calls through references, GC, …
            _ => return None,
        }
    }
}

/// `0x40` (no result), one value type, or a type index as a signed 33-bit LEB.
fn block_type(reader: &mut Reader<'_>) -> Option<()> {
    match *reader.bytes.get(reader.at)? {
        0x40 | 0x7b..=0x7f | FUNCREF | EXTERNREF => {
            reader.byte()?;
        }
        _ => {
            if reader.signed_leb(33)? < 0 {
                return None;
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const I32: u8 = 0x7f;
    const UNIT: &[u8] = &[0, 0];
    const TAKES_I32: &[u8] = &[1, I32, 0];
    const I32_TO_I32: &[u8] = &[1, I32, 1, I32];

    /// `call_indirect` of `type_index` through table 0 (the operands are left out: this pass
    /// does not type-check).
    fn call_indirect(type_index: u8) -> Vec<u8> {
        vec![0x41, 0, 0x11, type_index, 0, 0x0b]
    }

    /// A module without imports (so function `i` is the `i`-th body), named in a name
    /// section, with one funcref table filled from index 1 by one active segment.
    struct Build {
        types: Vec<&'static [u8]>,
        /// `(type index, instructions up to and including the final end)`.
        functions: Vec<(u32, Vec<u8>)>,
        entries: Vec<u32>,
        exports: Vec<u32>,
        /// Element types of the tables; the funcref one is the table the segment fills.
        tables: Vec<u8>,
        export_tables: Vec<u32>,
        /// Global entries, encoded.
        globals: Vec<Vec<u8>>,
        /// The element section's payload, instead of one segment of `entries`.
        element_section: Option<Vec<u8>>,
    }

    impl Build {
        fn new(types: &[&'static [u8]], functions: &[(u32, &[u8])]) -> Build {
            Build {
                types: types.to_vec(),
                functions: (functions.iter())
                    .map(|(type_index, body)| (*type_index, body.to_vec()))
                    .collect(),
                entries: Vec::new(),
                exports: vec![0],
                tables: vec![FUNCREF],
                export_tables: Vec::new(),
                globals: Vec::new(),
                element_section: None,
            }
        }

        fn table(mut self, entries: &[u32]) -> Build {
            self.entries = entries.to_vec();
            self
        }

        fn bytes(&self) -> Vec<u8> {
            let vector = |items: &[Vec<u8>]| {
                let mut out = Vec::new();
                write_leb(&mut out, items.len() as u32);
                items.iter().for_each(|item| out.extend(item));
                out
            };
            let mut module = b"\0asm\x01\0\0\0".to_vec();
            let types: Vec<Vec<u8>> = (self.types.iter())
                .map(|signature| [&[0x60], *signature].concat())
                .collect();
            write_section(&mut module, 1, &vector(&types));
            let functions: Vec<Vec<u8>> = (self.functions.iter())
                .map(|(type_index, _)| vec![*type_index as u8])
                .collect();
            write_section(&mut module, 3, &vector(&functions));
            let tables: Vec<Vec<u8>> = (self.tables.iter())
                .map(|element| vec![*element, 0, 8])
                .collect();
            write_section(&mut module, 4, &vector(&tables));
            if !self.globals.is_empty() {
                write_section(&mut module, 6, &vector(&self.globals));
            }
            let mut exports: Vec<Vec<u8>> = Vec::new();
            for (kind, indices) in [(0, &self.exports), (1, &self.export_tables)] {
                for index in indices {
                    let mut export = Vec::new();
                    write_name(&mut export, &format!("e{kind}{index}"));
                    export.push(kind);
                    write_leb(&mut export, *index);
                    exports.push(export);
                }
            }
            write_section(&mut module, 7, &vector(&exports));
            let table = self.tables.iter().position(|t| *t == FUNCREF).unwrap_or(0);
            let mut segment = vec![2, table as u8, 0x41, 1, 0x0b, 0];
            write_leb(&mut segment, self.entries.len() as u32);
            self.entries
                .iter()
                .for_each(|f| write_leb(&mut segment, *f));
            let elements = (self.element_section.clone()).unwrap_or_else(|| vector(&[segment]));
            write_section(&mut module, 9, &elements);
            let bodies: Vec<Vec<u8>> = (self.functions.iter())
                .map(|(_, instructions)| {
                    let mut body = Vec::new();
                    write_leb(&mut body, instructions.len() as u32 + 1);
                    body.push(0); // no locals
                    body.extend(instructions);
                    body
                })
                .collect();
            write_section(&mut module, 10, &vector(&bodies));
            let names: Vec<Vec<u8>> = (0..self.functions.len())
                .map(|index| {
                    let mut entry = Vec::new();
                    write_leb(&mut entry, index as u32);
                    write_name(&mut entry, &format!("f{index}"));
                    entry
                })
                .collect();
            let mut name_section = Vec::new();
            write_name(&mut name_section, "name");
            write_section(&mut name_section, 1, &vector(&names));
            write_section(&mut module, 0, &name_section);
            module
        }
    }

    /// What a pruned module looks like: its table entries (the first segment), its type count,
    /// its last function's type and body, and its function names.
    #[derive(Debug, PartialEq)]
    struct Shape {
        entries: Vec<u32>,
        types: usize,
        last_type: u32,
        last_body: Vec<u8>,
        names: Vec<(usize, String)>,
    }

    fn shape(module: &[u8]) -> Shape {
        let mut parsed = Module::default();
        let sections = sections(module).unwrap();
        let payload = |wanted: u8| sections.iter().find(|(id, _)| *id == wanted).unwrap().1;
        read_types(payload(1), &mut parsed).unwrap();
        read_functions(payload(3), &mut parsed).unwrap();
        parsed.tables = vec![(FUNCREF, false); 2];
        read_elements(payload(9), 0, &mut parsed)
            .or_else(|| read_elements(payload(9), 1, &mut parsed))
            .unwrap();
        let mut code = Reader {
            bytes: payload(10),
            at: 0,
        };
        let mut last_body = Vec::new();
        for _ in 0..code.leb().unwrap() {
            let size = code.leb().unwrap() as usize;
            last_body = code.take(size).unwrap().to_vec();
        }
        let names = crate::contributors::function_names(payload(0)).unwrap();
        Shape {
            entries: (parsed.segments[0].entries.iter())
                .map(|e| e.unwrap())
                .collect(),
            types: parsed.canonical_types.len(),
            last_type: *parsed.function_types.last().unwrap(),
            last_body,
            names: names.into_iter().collect(),
        }
    }

    fn names(count: usize) -> Vec<(usize, String)> {
        (0..count)
            .map(|index| (index, format!("f{index}")))
            .collect()
    }

    #[test]
    fn an_entry_whose_type_is_never_called_indirectly_is_replaced() {
        // f0 (exported) calls f1 directly; f1 and f2 sit in the table, nothing calls
        // indirectly. f1 is live anyway: its entries stay (replacing them would save nothing).
        let module = Build::new(
            &[UNIT, TAKES_I32],
            &[(0, &[0x10, 1, 0x0b]), (1, &[0x0b]), (1, &[0x0b])],
        )
        .table(&[1, 2, 1])
        .bytes();
        let (pruned, count) = prune(&module);
        assert_eq!(count, 1);
        let mut names = names(3);
        names.push((3, PRUNED_ENTRY_NAME.into()));
        assert_eq!(
            shape(&pruned),
            Shape {
                entries: vec![1, 3, 1],
                types: 2, // `() -> ()` was there: reused
                last_type: 0,
                last_body: TRAP.to_vec(),
                names,
            }
        );
    }

    #[test]
    fn the_unit_type_is_added_when_absent() {
        let module = Build::new(&[TAKES_I32], &[(0, &[0x0b]), (0, &[0x0b])])
            .table(&[1])
            .bytes();
        let (pruned, count) = prune(&module);
        assert_eq!(count, 1);
        let shape = shape(&pruned);
        assert_eq!(
            (shape.entries, shape.types, shape.last_type),
            (vec![2], 2, 1)
        );
    }

    #[test]
    fn an_entry_of_a_signature_live_code_calls_indirectly_is_kept() {
        // f0 calls type 1 indirectly: f1 (type 1) and f3 (type 3, the same signature under
        // another index) stay; f2 (`i32 -> i32`) goes.
        let module = Build::new(
            &[UNIT, TAKES_I32, I32_TO_I32, TAKES_I32],
            &[
                (0, &call_indirect(1)),
                (1, &[0x0b]),
                (2, &[0x41, 0, 0x0b]),
                (3, &[0x0b]),
            ],
        )
        .table(&[1, 2, 3])
        .bytes();
        let (pruned, count) = prune(&module);
        assert_eq!(count, 1);
        assert_eq!(shape(&pruned).entries, [1, 4, 3]);
    }

    #[test]
    fn an_indirect_call_in_dead_code_keeps_nothing() {
        // f1 calls type 1 indirectly, but nothing live reaches f1…
        let functions: [(u32, &[u8]); 3] = [(0, &[0x0b]), (0, &call_indirect(1)), (1, &[0x0b])];
        let (pruned, count) = prune(
            &Build::new(&[UNIT, TAKES_I32], &functions)
                .table(&[2])
                .bytes(),
        );
        assert_eq!((count, shape(&pruned).entries), (1, vec![3]));
        // …until f0 calls it.
        let functions = [(0, [0x10, 1, 0x0b].as_slice()), functions[1], functions[2]];
        let module = Build::new(&[UNIT, TAKES_I32], &functions)
            .table(&[2])
            .bytes();
        assert_eq!(prune(&module), (module, 0));
    }

    #[test]
    fn liveness_is_a_fixpoint_through_the_table() {
        // f0 calls `i32 -> i32` indirectly: that keeps f2, whose body calls `i32 -> ()`
        // indirectly, which keeps f1; f3 (`() -> ()`) is never called.
        let module = Build::new(
            &[UNIT, TAKES_I32, I32_TO_I32],
            &[
                (0, &call_indirect(2)),
                (1, &[0x0b]),
                (2, &[0x41, 0, 0x41, 0, 0x11, 1, 0, 0x41, 0, 0x0b]),
                (0, &[0x0b]),
            ],
        )
        .table(&[1, 3, 2])
        .bytes();
        let (pruned, count) = prune(&module);
        assert_eq!((count, shape(&pruned).entries), (1, vec![1, 4, 2]));
    }

    #[test]
    fn global_initializers_and_live_ref_funcs_are_roots() {
        // f1 is only named by a global's `ref.func`, f2 by f0's: both call type 1 indirectly.
        let functions: [(u32, &[u8]); 4] = [
            (0, &[0xd2, 2, 0x1a, 0x0b]),
            (0, &call_indirect(1)),
            (0, &call_indirect(1)),
            (1, &[0x0b]),
        ];
        let mut build = Build::new(&[UNIT, TAKES_I32], &functions).table(&[3]);
        build.globals = vec![vec![FUNCREF, 0, 0xd2, 1, 0x0b]];
        let module = build.bytes();
        assert_eq!(prune(&module), (module, 0));
        let mut build = Build::new(&[UNIT, TAKES_I32], &functions[..]).table(&[3]);
        build.functions[0].1 = vec![0x0b];
        let module = build.bytes();
        assert_eq!(prune(&module).1, 1);
    }

    #[test]
    fn every_instruction_the_compiler_emits_is_decoded() {
        // A live body with the immediates of each proposal the build enables; f2 is pruned
        // only if all of it decodes. f1 is kept by the `ref.func`.
        #[rustfmt::skip]
        let body: &[u8] = &[
            0x02, 0x40, 0x03, 0x7f, 0x04, 0x01, 0x05, 0x0b, 0x0b, 0x0b, // block, loop, if (type 1)
            0x0e, 2, 0, 1, 0, 0x0c, 0, 0x0d, 0, // br_table, br, br_if
            0x20, 0, 0x21, 0, 0x22, 0, 0x23, 0, 0x24, 0, // locals, globals
            0x41, 0x80, 0x80, 0x80, 0x80, 0x78, // i32.const i32::MIN
            0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, // i64.const i64::MIN
            0x43, 0, 0, 0x80, 0x3f, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // f32.const, f64.const
            0x28, 2, 0x80, 0x01, 0x3b, 1, 4, 0x3f, 0, 0x40, 0, // load, store, memory.size/grow
            0x6a, 0xa7, 0xc0, 0xc4, 0x1a, 0x1b, 0x1c, 1, 0x7e, // numeric, sign-ext, selects
            0xfc, 0, 0xfc, 7, 0xfc, 10, 0, 0, 0xfc, 11, 0, 0xfc, 8, 0, 0, 0xfc, 9, 0, // 0xfc
            0xfc, 16, 0, 0xfc, 16, 1, 0xfc, 15, 1, 0x25, 1, 0x26, 1, // tables (0: funcref)
            0xd0, 0x6f, 0xd1, 0xd2, 1, 0x1a, 0x01, 0x00, 0x0f, // refs, nop, unreachable, return
            0x0b,
        ];
        let mut build =
            Build::new(&[UNIT, TAKES_I32], &[(0, body), (0, &[0x0b]), (0, &[0x0b])]).table(&[1, 2]);
        build.tables.push(EXTERNREF);
        let (pruned, count) = prune(&build.bytes());
        assert_eq!((count, shape(&pruned).entries), (1, vec![1, 3]));
    }

    #[test]
    fn anything_not_understood_leaves_the_module_unchanged() {
        let functions: [(u32, &[u8]); 3] = [(0, &[0x0b]), (0, &[0x0b]), (0, &[0x0b])];
        let build = || Build::new(&[UNIT, TAKES_I32], &functions).table(&[1, 2]);
        assert_eq!(prune(&build().bytes()).1, 2);
        let unchanged = |build: Build| {
            let module = build.bytes();
            assert_eq!(prune(&module), (module.clone(), 0));
        };
        // An opcode it cannot decode (SIMD) in a function nothing uses.
        let mut simd = build();
        simd.functions[2].1 = [&[0xfd, 12][..], &[0; 16], &[0x1a, 0x0b]].concat();
        unchanged(simd);
        // A truncated body.
        let mut truncated = build();
        truncated.functions[2].1 = vec![0x02, 0x40, 0x0b];
        unchanged(truncated);
        // `table.get` on the funcref table: a reference could escape.
        let mut escaping = build();
        escaping.functions[2].1 = vec![0x41, 0, 0x25, 0, 0x1a, 0x0b];
        unchanged(escaping);
        // The table is exported (an externref table may be, as wasm-bindgen's is).
        let mut exported = build();
        exported.export_tables = vec![0];
        unchanged(exported);
        let mut externrefs = build();
        externrefs.tables.push(EXTERNREF);
        externrefs.export_tables = vec![1];
        assert_eq!(prune(&externrefs.bytes()).1, 2);
        // Two funcref tables.
        let mut two = build();
        two.tables.push(FUNCREF);
        unchanged(two);
        // A passive segment.
        let mut passive = build();
        passive.element_section = Some(vec![1, 1, 0, 1, 1]);
        unchanged(passive);
        // Not wasm.
        assert_eq!(prune(b"not wasm"), (b"not wasm".to_vec(), 0));
    }

    #[test]
    fn signed_lebs_decode() {
        let decode = |bytes: &[u8], bits| Reader { bytes, at: 0 }.signed_leb(bits);
        assert_eq!(decode(&[0x40], 33), Some(-64));
        assert_eq!(decode(&[0x3f], 33), Some(63));
        assert_eq!(decode(&[0xc0, 0x00], 33), Some(64));
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x78], 32),
            Some(i32::MIN.into())
        );
        assert_eq!(decode(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 32), None);
    }
}
