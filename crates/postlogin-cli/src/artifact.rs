//! Assembling `action.js`: the shim template from `action-shim/`, wasm-bindgen's glue (patched so
//! it reads no file), the compressed wasm, and a header saying what the file is.

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::manifest::ActionCrate;
use crate::parking;
use crate::CliError;
use crate::{base91, imports};

/// The shim template, embedded so the compiler needs no file at run time.
const TEMPLATE: &str = include_str!("../../../action-shim/template.js");

/// Where the embedded wasm goes; a string no minifier rewrites.
const WASM_SLOT: &str = "\"@@POSTLOGIN_WASM@@\"";

/// wasm-bindgen's `--target nodejs` glue reads its `.wasm` from beside itself. The artifact has
/// no file beside it: these exact lines are removed, and `wasmModule` becomes the parameter of
/// the shim's `instantiateGlue`. If wasm-bindgen changes them, the build fails here, loudly.
const GLUE_FILE_LOADING: [&str; 3] = [
    "const wasmPath = `${__dirname}/action_bg.wasm`;\n",
    "const wasmBytes = require('fs').readFileSync(wasmPath);\n",
    "const wasmModule = new WebAssembly.Module(wasmBytes);\n",
];
const GLUE_TYPES_COMMENT: &str = "/* @ts-self-types=\"./action.d.ts\" */\n";

pub struct Artifact {
    pub code: String,
    /// The wasm as embedded: optimized, imports renamed.
    pub wasm: usize,
    pub compressed_wasm: usize,
    pub embedded_wasm: usize,
    pub wasm_sha256: String,
}

impl Artifact {
    /// `minify` is esbuild in the real build; tests pass the identity.
    pub fn assemble(
        action: &ActionCrate,
        glue: &str,
        wasm: &[u8],
        minify: impl Fn(&str) -> Result<String, CliError>,
    ) -> Result<Artifact, CliError> {
        let renamed = imports::shorten(wasm)?;
        let glue = without_missing_exports(&patch_glue(glue)?, wasm)?;
        let glue = imports::patch_glue(&glue, &renamed.names)?;
        let wasm = renamed.wasm.as_slice();
        let compressed = compress(wasm);
        let embedded = format!("'{}'", base91::encode(&compressed));
        let wasm_sha256 = hex(&Sha256::digest(wasm));

        let shim = fill(TEMPLATE, "/*@HEADER@*/\n", "")?;
        let config = config_literal(action, &handlers(&glue)?);
        let shim = fill_until(&shim, "/*@CONFIG@*/ ", ";\n", &config)?;
        let shim = fill_until(&shim, "/*@WASM@*/ ", ";\n", WASM_SLOT)?;
        let shim = keep_nameable_methods(&shim, "/*@CALLABLE@*/ ", wasm)?;
        let shim = keep_nameable_methods(&shim, "/*@APPLIED@*/ ", wasm)?;
        let shim = keep_performable_requests(&shim, wasm)?;
        let shim = fill(&shim, "/*@GLUE@*/", &glue)?;
        let code = minify(&shim)?;
        check_requires(&code)?;
        let code = fill(&code, WASM_SLOT, &embedded)?;

        let body_len = code.len();
        let header = header(action, &wasm_sha256, wasm.len(), compressed.len(), body_len);
        Ok(Artifact {
            code: header + &code,
            wasm: wasm.len(),
            compressed_wasm: compressed.len(),
            embedded_wasm: embedded.len(),
            wasm_sha256,
        })
    }
}

/// Removes the glue's wrapper of each export the wasm no longer has (`resume`, in an Action that
/// parks no request: see `parking`): from its `function NAME(` line through `exports.NAME = NAME;`.
fn without_missing_exports(glue: &str, wasm: &[u8]) -> Result<String, CliError> {
    let exported = parking::exports(wasm);
    let mut patched = glue.to_owned();
    for line in glue.lines() {
        let Some(name) = line
            .strip_prefix("exports.")
            .and_then(|rest| rest.split_once(" = "))
            .and_then(|(name, value)| (value == format!("{name};")).then_some(name))
        else {
            continue;
        };
        if exported.iter().any(|export| export == name) {
            continue;
        }
        let start = format!("\nfunction {name}(");
        let end = format!("\nexports.{name} = {name};\n");
        let found = patched.matches(&start).count();
        match (patched.find(&start), patched.find(&end)) {
            (Some(from), Some(to)) if found == 1 && from < to => {
                patched.replace_range(from + 1..to + end.len(), "");
            }
            _ => {
                return Err(CliError::Build(format!(
                    "expected exactly one `{}` in wasm-bindgen's glue, found {found}; \
                     its output may have changed (pinned: 0.2.130)",
                    start.trim()
                )))
            }
        }
    }
    Ok(patched)
}

/// Removes the glue's file loading (see [`GLUE_FILE_LOADING`]) and its TypeScript pointer.
pub fn patch_glue(glue: &str) -> Result<String, CliError> {
    let mut patched = fill(glue, GLUE_TYPES_COMMENT, "")?;
    for line in GLUE_FILE_LOADING {
        patched = fill(&patched, line, "")?;
    }
    Ok(patched)
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
            "expected exactly one `{}` in the shim or glue, found {n}; \
             wasm-bindgen's output may have changed (pinned: 0.2.130)",
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
        .filter(|path| parking::names(wasm, path))
        .collect();
    let set = format!("new Set({})", serde_json::json!(kept));
    fill_until(shim, marker, ";\n", &set)
}

/// Removes the shim's code for each kind of parked request (`fetch`, `sleep`: the SDK names each
/// by one string literal) that the wasm cannot name, between its `// @kind{` and `// @kind}`
/// lines.
fn keep_performable_requests(shim: &str, wasm: &[u8]) -> Result<String, CliError> {
    let mut shim = shim.to_owned();
    for kind in parking::KINDS {
        if parking::names(wasm, kind) {
            continue;
        }
        let (open, close) = (format!("// @{kind}{{\n"), format!("// @{kind}}}\n"));
        while let Some(start) = shim.find(&open) {
            let end = shim[start..]
                .find(&close)
                .map(|offset| start + offset + close.len())
                .ok_or_else(|| CliError::Build(format!("`{open}` is not closed in the shim")))?;
            shim.replace_range(start..end, "");
        }
    }
    Ok(shim)
}

/// What the shim needs (`action`, `onError`, `budgetMs`) and what it hands to the wasm
/// (`policy`, read by the SDK's `Policy::from_json`).
/// Auth0's handler names the wasm exports (`#[postlogin::action]` exports each under its
/// Auth0 name), so the shim exports exactly those.
fn handlers(glue: &str) -> Result<Vec<&'static str>, CliError> {
    let found: Vec<&'static str> = ["onExecutePostLogin", "onContinuePostLogin"]
        .into_iter()
        .filter(|handler| glue.contains(&format!("\nexports.{handler} = {handler};\n")))
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

    fn glue() -> String {
        format!(
            "{GLUE_TYPES_COMMENT}exports.x = 1;\nexports.onExecutePostLogin = onExecutePostLogin;\nconst imports = {{ \"{}\": import0, }};\n{}let wasm = new WebAssembly.Instance(wasmModule, imports);\n",
            imports::GLUE_MODULE,
            GLUE_FILE_LOADING.concat()
        )
    }

    /// A module as far as the artifact reads it: the header, the export of the handler (as
    /// function 0) and one custom section.
    fn wasm() -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let mut exports = vec![1];
        crate::wasm::write_name(&mut exports, "onExecutePostLogin");
        exports.extend([0, 0]);
        crate::wasm::write_section(&mut wasm, 7, &exports);
        wasm.extend([0, 9, 4, b'n', b'a', b'm', b'e', 1, 2, 3, 4]);
        wasm
    }

    #[test]
    fn the_glue_loses_the_wrappers_of_exports_the_wasm_lost() {
        let glue = "exports.x = 1;\n/** doc */\nfunction resume(task) {\n    wasm.resume(task);\n}\nexports.resume = resume;\nfunction onExecutePostLogin(e) {}\nexports.onExecutePostLogin = onExecutePostLogin;\n";
        assert_eq!(
            without_missing_exports(glue, &wasm()).unwrap(),
            "exports.x = 1;\n/** doc */\nfunction onExecutePostLogin(e) {}\nexports.onExecutePostLogin = onExecutePostLogin;\n"
        );
        let changed = glue.replace("function resume(", "const resume = (");
        let err = without_missing_exports(&changed, &wasm())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected exactly one `function resume(`"),
            "{err}"
        );
    }

    #[test]
    fn the_glue_loses_exactly_its_file_loading() {
        assert_eq!(
            patch_glue(&glue()).unwrap(),
            "exports.x = 1;\nexports.onExecutePostLogin = onExecutePostLogin;\nconst imports = { \"./action_bg.js\": import0, };\nlet wasm = new WebAssembly.Instance(wasmModule, imports);\n"
        );
    }

    #[test]
    fn changed_glue_fails_loudly() {
        let changed = glue().replace("readFileSync(wasmPath)", "readFileSync(path)");
        let err = patch_glue(&changed).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "expected exactly one `const wasmBytes = require('fs').readFileSync(wasmPath);`"
            ),
            "{err}"
        );
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
        assert!(code.contains("exports.x = 1;"));
        assert!(code.contains(r#"const imports = { "g": import0, };"#));
        assert!(!code.contains("readFileSync") && !code.contains("@@POSTLOGIN_WASM@@"));
        let embedded = base91::encode(&compress(&wasm));
        assert!(code.contains(&format!("const WASM = '{embedded}';")));
        let mut decompressed = Vec::new();
        brotli::BrotliDecompress(&mut &compress(&wasm)[..], &mut decompressed).unwrap();
        assert_eq!(decompressed, wasm);
    }

    #[test]
    fn the_shim_exports_the_handlers_the_wasm_exports() {
        let both = "x\nexports.onContinuePostLogin = onContinuePostLogin;\nexports.onExecutePostLogin = onExecutePostLogin;\n";
        assert_eq!(
            handlers(both).unwrap(),
            ["onExecutePostLogin", "onContinuePostLogin"]
        );
        let none = handlers("x\nexports.resume = resume;\n")
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
    fn an_action_that_names_no_request_kind_has_no_code_to_perform_one() {
        let none = keep_performable_requests(TEMPLATE, b"\0asm").unwrap();
        assert!(!none.contains("fetch(") && !none.contains("setTimeout(resolve"));
        assert!(!none.contains("// @"), "every marker is consumed");
        let fetch_only = keep_performable_requests(TEMPLATE, b"..fetch..").unwrap();
        assert!(fetch_only.contains("await fetch(request.url, init)"));
        assert!(!fetch_only.contains("setTimeout(resolve, request.ms)"));
        let both = keep_performable_requests(TEMPLATE, b"fetch sleep").unwrap();
        assert_eq!(both, TEMPLATE);
        let unclosed = keep_performable_requests("// @fetch{\nx", b"").unwrap_err();
        assert!(unclosed.to_string().contains("is not closed"));
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
