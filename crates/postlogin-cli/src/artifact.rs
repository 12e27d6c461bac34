//! Assembling `action.js`: the shim template from `action-shim/`, the compressed wasm, and a
//! header saying what the file is. wasm-bindgen's generated JavaScript is not part of it: the
//! shim speaks the SDK's own text ABI (crates/postlogin/src/abi.rs) to the wasm.

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::base91;
use crate::manifest::ActionCrate;
use crate::wasm;
use crate::CliError;

/// The shim template, embedded so the compiler needs no file at run time.
const TEMPLATE: &str = include_str!("../../../action-shim/template.js");

/// Where the embedded wasm goes; a string no minifier rewrites.
const WASM_SLOT: &str = "\"@@POSTLOGIN_WASM@@\"";

/// What the wasm may import: the SDK's (`host`), and wasm-bindgen's one, which the shim
/// implements as wasm-bindgen's glue does (see [`WASM_BINDGEN_INIT`]).
const IMPORTS: [(&str, &str); 10] = [
    ("host", "call"),
    ("host", "part"),
    ("host", "member"),
    ("host", "secrets"),
    ("host", "headers"),
    ("host", "parseFloat"),
    ("host", "String"),
    ("host", "fetch"),
    ("host", "sleep"),
    ("./action_bg.js", "__wbindgen_init_externref_table"),
];

/// wasm-bindgen's glue, for its one import: the shim does the same, so if wasm-bindgen ever
/// fills its table differently the build fails here, loudly.
const WASM_BINDGEN_INIT: &str = "        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
";

pub struct Artifact {
    pub code: String,
    pub compressed_wasm: usize,
    pub embedded_wasm: usize,
    pub wasm_sha256: String,
}

impl Artifact {
    /// `glue` is wasm-bindgen's, only checked; `minify` is esbuild in the real build, and tests
    /// pass the identity.
    pub fn assemble(
        action: &ActionCrate,
        glue: &str,
        wasm: &[u8],
        minify: impl Fn(&str) -> Result<String, CliError>,
    ) -> Result<Artifact, CliError> {
        check_imports(wasm, glue)?;
        let compressed = compress(wasm);
        let embedded = format!("'{}'", base91::encode(&compressed));
        let wasm_sha256 = hex(&Sha256::digest(wasm));

        let shim = fill(TEMPLATE, "/*@HEADER@*/\n", "")?;
        let config = config_literal(action, &handlers(wasm)?);
        let shim = fill_until(&shim, "/*@CONFIG@*/ ", ";\n", &config)?;
        let shim = fill_until(&shim, "/*@WASM@*/ ", ";\n", WASM_SLOT)?;
        let shim = keep_nameable_methods(&shim, "/*@CALLABLE@*/ ", wasm)?;
        let shim = keep_nameable_methods(&shim, "/*@APPLIED@*/ ", wasm)?;
        let shim = keep_usable_sections(&shim, wasm)?;
        let code = minify(&shim)?;
        check_requires(&code)?;
        let code = fill(&code, WASM_SLOT, &embedded)?;

        let body_len = code.len();
        let header = header(action, &wasm_sha256, wasm.len(), compressed.len(), body_len);
        Ok(Artifact {
            code: header + &code,
            compressed_wasm: compressed.len(),
            embedded_wasm: embedded.len(),
            wasm_sha256,
        })
    }
}

/// Every import of the wasm is one the shim provides, and wasm-bindgen's is still what the shim
/// does for it.
fn check_imports(wasm: &[u8], glue: &str) -> Result<(), CliError> {
    for (module, name) in wasm::imports(wasm) {
        if !IMPORTS.contains(&(module.as_str(), name.as_str())) {
            return Err(CliError::Build(format!(
                "the wasm imports `{module}`.`{name}`, which the shim does not provide; \
                 wasm-bindgen's output may have changed (pinned: 0.2.130)"
            )));
        }
    }
    if !glue.contains(WASM_BINDGEN_INIT) {
        return Err(CliError::Build(
            "wasm-bindgen's glue no longer fills its externref table as the shim does; \
             its output may have changed (pinned: 0.2.130)"
                .into(),
        ));
    }
    Ok(())
}

/// Brotli at its strongest setting; deterministic, and Node has the decoder built in.
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        size_hint: wasm.len(),
        ..Default::default()
    };
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::with_params(&mut compressed, 4096, &params);
        // Writing into a Vec cannot fail.
        let _ = writer.write_all(wasm);
    }
    compressed
}

/// Replaces the one occurrence of `marker`; zero or several mean the input is not what this
/// compiler was written against.
fn fill(text: &str, marker: &str, with: &str) -> Result<String, CliError> {
    match text.matches(marker).count() {
        1 => Ok(text.replacen(marker, with, 1)),
        n => Err(CliError::Build(format!(
            "expected exactly one `{}` in the shim, found {n}",
            marker.trim_end()
        ))),
    }
}

/// Replaces `marker` and what follows it up to (not including) `end`.
fn fill_until(text: &str, marker: &str, end: &str, with: &str) -> Result<String, CliError> {
    let start = text
        .find(marker)
        .ok_or_else(|| CliError::Build(format!("the shim template has no `{marker}`")))?;
    let stop = text[start..]
        .find(end)
        .map(|offset| start + offset)
        .ok_or_else(|| CliError::Build(format!("`{marker}` is not terminated")))?;
    Ok(format!("{}{with}{}", &text[..start], &text[stop..]))
}

/// Cuts the template's list of `api` methods after `marker` down to those whose path occurs in
/// the wasm's bytes: the SDK names each method by one string literal, so a method the module
/// cannot name is one it can never ask for. A smaller file, and less of Auth0's `api` within
/// the Action's reach.
fn keep_nameable_methods(shim: &str, marker: &str, wasm: &[u8]) -> Result<String, CliError> {
    let start = shim
        .find(marker)
        .ok_or_else(|| CliError::Build(format!("the shim template has no `{marker}`")))?;
    let list = &shim[start..];
    let list = &list[..list.find(";\n").unwrap_or(list.len())];
    let kept: Vec<&str> = list
        .split('\'')
        .skip(1)
        .step_by(2)
        .filter(|path| names(wasm, path))
        .collect();
    let set = format!("new Set({})", serde_json::json!(kept));
    fill_until(shim, marker, ";\n", &set)
}

/// Whether `text` occurs anywhere in `wasm`.
fn names(wasm: &[u8], text: &str) -> bool {
    wasm.windows(text.len())
        .any(|window| window == text.as_bytes())
}

/// Removes the shim's sections (between `// @NAME{` and `// @NAME}` lines) for what the wasm
/// cannot use: `resume`, performing and resuming, unless it exports `postlogin_resume`
/// (`no-resume`, what stands in for it, only if it does not); `host.NAME`, an import (among
/// them `host.fetch` and `host.sleep`, which park requests), unless it imports it.
fn keep_usable_sections(shim: &str, wasm: &[u8]) -> Result<String, CliError> {
    let imports = wasm::imports(wasm);
    let resumable = wasm::exports(wasm)
        .iter()
        .any(|export| export == "postlogin_resume");
    let usable = |section: &str| match section.strip_prefix("host.") {
        Some(name) => imports
            .iter()
            .any(|(module, n)| module == "host" && n == name),
        None => match section {
            "resume" => resumable,
            "no-resume" => !resumable,
            _ => false,
        },
    };
    let mut shim = shim.to_owned();
    let mut from = 0;
    while let Some(start) = shim[from..].find("// @").map(|at| from + at) {
        let line_end = shim[start..].find('\n').map_or(shim.len(), |at| start + at);
        let Some(section) = shim[start + 4..line_end].strip_suffix('{') else {
            return Err(CliError::Build(format!(
                "unexpected `{}` in the shim",
                &shim[start..line_end]
            )));
        };
        let close = format!("// @{section}}}");
        let Some(close_at) = shim[line_end..].find(&close).map(|at| line_end + at) else {
            return Err(CliError::Build(format!(
                "`// @{section}{{` is not closed in the shim"
            )));
        };
        if usable(section) {
            // Only the marker lines go; sections inside are looked at in turn.
            shim.replace_range(close_at..close_at + close.len(), "");
            shim.replace_range(start..line_end, "");
        } else {
            shim.replace_range(start..close_at + close.len(), "");
        }
        from = start;
    }
    Ok(shim)
}

/// Auth0's handler names the wasm exports (`#[postlogin::action]` exports each under its
/// Auth0 name), so the shim exports exactly those.
fn handlers(wasm: &[u8]) -> Result<Vec<&'static str>, CliError> {
    let exports = wasm::exports(wasm);
    let found: Vec<&'static str> = ["onExecutePostLogin", "onContinuePostLogin"]
        .into_iter()
        .filter(|handler| exports.iter().any(|export| export == handler))
        .collect();
    if found.is_empty() {
        return Err(CliError::Build(
            "the crate exports no Action handler: mark `async fn on_execute_post_login` \
             with #[postlogin::action]"
                .into(),
        ));
    }
    Ok(found)
}

/// What the shim needs (`action`, `onError`, `budgetMs`, `handlers`) and what it hands to the
/// wasm (`policy`, through `configure`).
fn config_literal(action: &ActionCrate, handlers: &[&str]) -> String {
    let policy = &action.policy;
    serde_json::json!({
        "action": action.name,
        "handlers": handlers,
        "onError": policy.on_error.as_str(),
        "budgetMs": policy.budget_ms,
        "policy": {
            "budgetMs": policy.budget_ms,
            "requestTimeoutMs": policy.request_timeout_ms,
            "retries": policy.retries,
            "allowInsecureHttp": policy.allow_insecure_http,
            "maxResponseBytes": policy.max_response_bytes,
        },
    })
    .to_string()
}

/// The artifact may load Node built-ins only; anything else would fail inside Auth0.
fn check_requires(code: &str) -> Result<(), CliError> {
    const ALLOWED: &[&str] = &["require(\"zlib\")", "require('zlib')"];
    for (at, _) in code.match_indices("require(") {
        if !ALLOWED
            .iter()
            .any(|allowed| code[at..].starts_with(allowed))
        {
            let end = code[at..].find(')').map_or(code.len(), |e| at + e + 1);
            return Err(CliError::Build(format!(
                "the generated code calls `{}`, which an Auth0 Action cannot load",
                &code[at..end]
            )));
        }
    }
    if code.contains("__dirname") {
        return Err(CliError::Build(
            "the generated code uses __dirname: it would look for files Auth0 does not have".into(),
        ));
    }
    Ok(())
}

fn header(
    action: &ActionCrate,
    wasm_sha256: &str,
    wasm_len: usize,
    compressed_len: usize,
    body_len: usize,
) -> String {
    let secrets = if action.policy.secrets.is_empty() {
        "(none declared)".to_owned()
    } else {
        action.policy.secrets.join(", ")
    };
    format!(
        "/*! {name} {version}: an Auth0 post-login Action (trigger post-login v3, runtime node18+),\n\
         \x20* compiled from Rust by postlogin {tool}. Do not edit: rebuild with `postlogin build`.\n\
         \x20* secrets read: {secrets}\n\
         \x20* on error: {on_error}; time budget: {budget} ms\n\
         \x20* wasm: {wasm_len} bytes, sha256 {wasm_sha256}; embedded brotli+basE91: {compressed_len} bytes compressed\n\
         \x20* code after this header: {body_len} bytes\n\
         \x20*/\n",
        name = action.name,
        version = action.version,
        tool = env!("CARGO_PKG_VERSION"),
        on_error = action.policy.on_error.as_str(),
        budget = action.policy.budget_ms,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{OnError, Policy};

    fn action() -> ActionCrate {
        ActionCrate {
            name: "demo".into(),
            version: "1.2.3".into(),
            dir: "/x".into(),
            workspace_root: "/".into(),
            target_dir: "/t".into(),
            policy: Policy {
                on_error: OnError::Continue,
                budget_ms: 5000,
                secrets: vec!["a".into(), "b".into()],
                ..Policy::default()
            },
        }
    }

    /// wasm-bindgen's glue as far as the artifact reads it.
    fn glue() -> String {
        format!("const imports = {{\n{WASM_BINDGEN_INIT}    }};\n")
    }

    /// A module exporting `exports` (as function 0) and importing `imports` (functions of type
    /// 0), with one custom section.
    fn module(exports: &[&str], imports: &[(&str, &str)]) -> Vec<u8> {
        use crate::wasm::{write_leb, write_name, write_section};
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let mut section = Vec::new();
        write_leb(&mut section, imports.len() as u32);
        for (module, name) in imports {
            write_name(&mut section, module);
            write_name(&mut section, name);
            section.extend([0, 0]);
        }
        write_section(&mut wasm, 2, &section);
        let mut section = Vec::new();
        write_leb(&mut section, exports.len() as u32);
        for name in exports {
            write_name(&mut section, name);
            section.extend([0, 0]);
        }
        write_section(&mut wasm, 7, &section);
        wasm.extend([0, 9, 4, b'n', b'a', b'm', b'e', 1, 2, 3, 4]);
        wasm
    }

    fn wasm() -> Vec<u8> {
        module(&["onExecutePostLogin"], &[("host", "call")])
    }

    #[test]
    fn only_imports_the_shim_provides_are_accepted() {
        assert!(check_imports(&module(&[], &IMPORTS), &glue()).is_ok());
        let unknown = module(
            &[],
            &[("host", "call"), ("./action_bg.js", "__wbg_fetch_1")],
        );
        let err = check_imports(&unknown, &glue()).unwrap_err().to_string();
        assert!(
            err.starts_with("the wasm imports `./action_bg.js`.`__wbg_fetch_1`, which the shim"),
            "{err}"
        );
    }

    #[test]
    fn a_changed_wasm_bindgen_init_fails_loudly() {
        let changed = glue().replace("table.set(1024, undefined)", "table.set(2048, undefined)");
        let err = check_imports(&wasm(), &changed).unwrap_err().to_string();
        assert!(err.contains("no longer fills its externref table"), "{err}");
    }

    #[test]
    fn the_shim_template_implements_every_accepted_import() {
        for (module, name) in IMPORTS {
            let implementation = if module == "host" {
                format!("{name}: (")
            } else {
                format!("{name}() {{")
            };
            assert!(TEMPLATE.contains(&implementation), "{module}.{name}");
        }
        // And wasm-bindgen's the way its glue does.
        for line in WASM_BINDGEN_INIT
            .lines()
            .skip(1)
            .filter(|line| line.contains("table"))
        {
            assert!(TEMPLATE.contains(line.trim()), "{line}");
        }
    }

    #[test]
    fn the_artifact_has_the_header_config_glue_and_decodable_wasm() {
        let wasm = wasm();
        let artifact = Artifact::assemble(&action(), &glue(), &wasm, |s| Ok(s.to_owned())).unwrap();
        let code = &artifact.code;
        assert!(
            code.starts_with("/*! demo 1.2.3: an Auth0 post-login Action"),
            "{code}"
        );
        assert!(code.contains(" * secrets read: a, b\n"));
        assert!(code.contains(
            r#"const CONFIG = {"action":"demo","budgetMs":5000,"handlers":["onExecutePostLogin"],"onError":"continue","policy":{"allowInsecureHttp":false,"budgetMs":5000,"maxResponseBytes":65536,"requestTimeoutMs":3000,"retries":1}};"#
        ));
        assert!(code.contains("function instantiate(wasmModule)"));
        assert!(!code.contains("@@POSTLOGIN_WASM@@"));
        let embedded = base91::encode(&compress(&wasm));
        assert!(code.contains(&format!("const WASM = '{embedded}';")));
        let mut decompressed = Vec::new();
        brotli::BrotliDecompress(&mut &compress(&wasm)[..], &mut decompressed).unwrap();
        assert_eq!(decompressed, wasm);
    }

    #[test]
    fn the_shim_exports_the_handlers_the_wasm_exports() {
        let both = module(
            &[
                "postlogin_resume",
                "onContinuePostLogin",
                "onExecutePostLogin",
            ],
            &[],
        );
        assert_eq!(
            handlers(&both).unwrap(),
            ["onExecutePostLogin", "onContinuePostLogin"]
        );
        let none = handlers(&module(&["postlogin_resume"], &[]))
            .unwrap_err()
            .to_string();
        assert!(
            none.starts_with("the crate exports no Action handler"),
            "{none}"
        );
    }

    #[test]
    fn the_shim_reaches_only_the_api_methods_the_wasm_names() {
        let shim = "const CALLABLE = /*@CALLABLE@*/ new Set(['cache.get', 'cache.set']);\nx;\n";
        let wasm = b"\0asm...idToken.setCustomClaimcache.set...";
        assert_eq!(
            keep_nameable_methods(shim, "/*@CALLABLE@*/ ", wasm).unwrap(),
            "const CALLABLE = new Set([\"cache.set\"]);\nx;\n"
        );
        assert_eq!(
            keep_nameable_methods(shim, "/*@CALLABLE@*/ ", b"nothing").unwrap(),
            "const CALLABLE = new Set([]);\nx;\n"
        );
        // The real template: every method the shim knows is kept when the wasm names it.
        let every = keep_nameable_methods(TEMPLATE, "/*@APPLIED@*/ ", TEMPLATE.as_bytes()).unwrap();
        assert!(every.contains("\"accessToken.setCustomClaim\",\"accessToken.addScope\""));
        assert!(every.contains("\"redirect.sendUserTo\"]);"));
    }

    #[test]
    fn the_shim_keeps_only_the_sections_the_wasm_can_use() {
        let none = keep_usable_sections(TEMPLATE, &module(&["onExecutePostLogin"], &[])).unwrap();
        for gone in [
            "perform(",
            "fetch(",
            "setTimeout(resolve",
            "callApi",
            "eventPart",
            "parseFloat",
        ] {
            assert!(!none.contains(gone), "{gone}");
        }
        assert!(none.contains("it waits on nothing that can wake it"));
        assert!(!none.contains("// @"), "every marker is consumed");
        let fetching = module(
            &["onExecutePostLogin", "postlogin_resume"],
            &[("host", "call"), ("host", "fetch")],
        );
        let kept = keep_usable_sections(TEMPLATE, &fetching).unwrap();
        for present in [
            "await fetch(request[2], init)",
            "callApi(",
            "wasm.postlogin_resume(task",
        ] {
            assert!(kept.contains(present), "{present}");
        }
        for gone in [
            "setTimeout(resolve, Math.min(ms, left)",
            "eventPart",
            "it waits on nothing that can wake it",
            "// @",
        ] {
            assert!(!kept.contains(gone), "{gone}");
        }
        let unclosed = keep_usable_sections("// @fetch{\nx", b"").unwrap_err();
        assert!(unclosed.to_string().contains("is not closed"), "{unclosed}");
        let stray = keep_usable_sections("// @fetch\nx", b"").unwrap_err();
        assert!(
            stray.to_string().contains("unexpected `// @fetch`"),
            "{stray}"
        );
    }

    #[test]
    fn same_inputs_give_the_same_bytes() {
        let wasm = wasm();
        let one = Artifact::assemble(&action(), &glue(), &wasm, |s| Ok(s.to_owned())).unwrap();
        let two = Artifact::assemble(&action(), &glue(), &wasm, |s| Ok(s.to_owned())).unwrap();
        assert_eq!(one.code, two.code);
    }

    #[test]
    fn only_node_builtins_may_be_required() {
        assert!(check_requires(r#"const z=require("zlib");"#).is_ok());
        let err = check_requires(r#"require("zlib");require("axios")"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the generated code calls `require(\"axios\")`, which an Auth0 Action cannot load"
        );
        assert!(check_requires("x=__dirname").is_err());
    }
}
