//! Where the bytes of an Action go: printed after every build and written beside the artifact.

use crate::artifact::Artifact;
use crate::build::AUTH0_CODE_LIMIT;
use crate::manifest::ActionCrate;

pub struct SizeReport {
    name: String,
    parts: Vec<(&'static str, usize)>,
    /// The largest crates (and the data section) and functions inside the wasm, before
    /// wasm-opt.
    contributors: crate::contributors::Contributors,
    total: usize,
    wasm_sha256: String,
}

impl SizeReport {
    pub fn new(
        action: &ActionCrate,
        raw_wasm: &[u8],
        optimized_wasm: usize,
        artifact: &Artifact,
    ) -> Self {
        let code_without_wasm = artifact.code.len() - artifact.embedded_wasm;
        SizeReport {
            name: action.name.clone(),
            parts: vec![
                ("wasm from wasm-pack", raw_wasm.len()),
                ("wasm after wasm-opt", optimized_wasm),
                ("wasm brotli-compressed", artifact.compressed_wasm),
                ("wasm embedded (basE91 text)", artifact.embedded_wasm),
                ("shim + header (minified)", code_without_wasm),
            ],
            contributors: crate::contributors::top(raw_wasm),
            total: artifact.code.len(),
            wasm_sha256: artifact.wasm_sha256.clone(),
        }
    }

    pub fn to_text(&self) -> String {
        let mut text = format!("{:>12} {}\n", "Sizes", self.name);
        for (part, bytes) in &self.parts {
            text.push_str(&format!("{:>12} {bytes:>9} bytes  {part}\n", ""));
        }
        text.push_str(&format!(
            "{:>12} {:>9} bytes  action.js ({:.1}% of Auth0's {AUTH0_CODE_LIMIT}-byte limit)\n",
            "",
            self.total,
            self.total as f64 * 100.0 / AUTH0_CODE_LIMIT as f64
        ));
        for (what, entries) in [
            ("by crate", &self.contributors.crates),
            ("by function", &self.contributors.functions),
        ] {
            if entries.is_empty() {
                continue;
            }
            text.push_str(&format!(
                "{:>12} inside the wasm from wasm-pack, {what} (before wasm-opt):\n",
                "Largest"
            ));
            for (owner, bytes) in entries {
                text.push_str(&format!("{:>12} {bytes:>9} bytes  {owner}\n", ""));
            }
        }
        text
    }

    pub fn to_json(&self) -> String {
        let parts: serde_json::Map<String, serde_json::Value> = self
            .parts
            .iter()
            .map(|(part, bytes)| (part.to_string(), (*bytes).into()))
            .collect();
        serde_json::json!({
            "action": self.name,
            "total_bytes": self.total,
            "limit_bytes": AUTH0_CODE_LIMIT,
            "wasm_sha256": self.wasm_sha256,
            "parts": parts,
            "contributors": self
                .contributors
                .crates
                .iter()
                .map(|(owner, bytes)| serde_json::json!({"crate": owner, "bytes": bytes}))
                .collect::<Vec<_>>(),
            "functions": self
                .contributors
                .functions
                .iter()
                .map(|(function, bytes)| serde_json::json!({"function": function, "bytes": bytes}))
                .collect::<Vec<_>>(),
        })
        .to_string()
    }
}
