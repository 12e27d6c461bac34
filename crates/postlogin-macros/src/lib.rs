//! `#[postlogin::action]`: checks an Action's signature and, for WebAssembly, exports it under
//! the handler name Auth0 calls. The function itself is left as written, so native tests call it.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{FnArg, ItemFn, ReturnType, Type};

/// Marks `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`
/// (or `on_continue_post_login`) as an Auth0 post-login handler.
#[proc_macro_attribute]
pub fn action(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Auth0's handler names, by the Rust function name that implements them.
const HANDLERS: &[(&str, &str)] = &[
    ("on_execute_post_login", "onExecutePostLogin"),
    ("on_continue_post_login", "onContinuePostLogin"),
];

const SIGNATURE: &str = "expected `async fn on_execute_post_login(event: &Event, api: &mut Api) \
     -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event";

fn expand(attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "#[postlogin::action] takes no arguments; the function's name selects the handler",
        ));
    }
    let function: ItemFn = syn::parse2(item)?;
    let signature = &function.sig;
    let name = &signature.ident;

    let Some(&(_, js_name)) = HANDLERS.iter().find(|(rust, _)| name == rust) else {
        return Err(syn::Error::new_spanned(
            name,
            "an Action handler must be named `on_execute_post_login` or `on_continue_post_login`",
        ));
    };
    if signature.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            signature.fn_token,
            format!("an Action handler must be `async`: {SIGNATURE}"),
        ));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &signature.generics,
            format!("an Action handler cannot be generic: {SIGNATURE}"),
        ));
    }
    let arguments: Vec<&FnArg> = signature.inputs.iter().collect();
    let reads_event = match arguments.as_slice() {
        [event, api] => {
            check_reference(event, false, "the first argument must be `&Event`")?;
            check_reference(api, true, "the second argument must be `&mut Api`")?;
            true
        }
        [api] => {
            check_reference(api, true, "the only argument must be `&mut Api`")?;
            false
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &signature.inputs,
                format!("an Action handler takes `event` and `api`, or only `api`: {SIGNATURE}"),
            ))
        }
    };
    if matches!(signature.output, ReturnType::Default) {
        return Err(syn::Error::new_spanned(
            signature,
            format!("an Action handler returns `Result<(), Error>`: {SIGNATURE}"),
        ));
    }

    let export = format_ident!("__postlogin_export_{}", name);
    // Checked on every target, so a wrong type fails `cargo test` too, not only the wasm build.
    // An Action that does not read the event never has it parsed: it pays for what it uses.
    let (bound, start) = if reads_event {
        (
            quote!(AsyncFnOnce(&::postlogin::Event, &mut ::postlogin::Api)),
            quote!(::postlogin::__private::start(event, audience, now_ms, #name)),
        )
    } else {
        (
            quote!(AsyncFnOnce(&mut ::postlogin::Api)),
            quote!(::postlogin::__private::start_without_event(audience, now_ms, #name)),
        )
    };
    Ok(quote! {
        #function

        const _: fn() = || {
            fn is_action<F>(_: F)
            where
                F: #bound -> ::core::result::Result<(), ::postlogin::Error>,
            {
            }
            is_action(#name);
        };

        // The shim calls it with the event's text (or none: its parts cross one by one) and the
        // requested audience, as the SDK's `abi` module says; `resume` (in the SDK) carries the
        // login on after each request it waited for.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = #js_name)]
        #[doc(hidden)]
        /// # Safety
        /// Called by the shim only, with text it wrote for the call.
        pub unsafe extern "C" fn #export(
            event: *mut u8,
            event_len: usize,
            audience: *mut u8,
            audience_len: usize,
            now_ms: f64,
        ) -> *const [usize; 2] {
            #[allow(unused_variables)]
            let run = |event: &str, audience: &str| #start;
            // SAFETY: as the caller promises.
            unsafe {
                ::postlogin::__private::handle(event, event_len, audience, audience_len, run)
            }
        }
    })
}

fn check_reference(argument: &FnArg, mutable: bool, message: &str) -> syn::Result<()> {
    let fits = match argument {
        FnArg::Typed(typed) => matches!(
            &*typed.ty,
            Type::Reference(reference) if reference.mutability.is_some() == mutable
        ),
        FnArg::Receiver(_) => false,
    };
    if fits {
        Ok(())
    } else {
        Err(syn::Error::new(
            span_of(argument),
            format!("{message}: {SIGNATURE}"),
        ))
    }
}

fn span_of(argument: &FnArg) -> Span {
    syn::spanned::Spanned::span(argument)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(attr: TokenStream2, item: TokenStream2) -> String {
        expand(attr, item).unwrap_err().to_string()
    }

    #[test]
    fn a_well_formed_handler_keeps_its_function_and_gets_an_export() {
        let out = expand(
            quote!(),
            quote!(
                async fn on_execute_post_login(e: &Event, a: &mut Api) -> Result<(), Error> {
                    Ok(())
                }
            ),
        )
        .unwrap()
        .to_string();
        assert!(out.starts_with("async fn on_execute_post_login"), "{out}");
        assert!(
            out.contains("export_name = \"onExecutePostLogin\""),
            "{out}"
        );
        assert!(
            out.contains("__postlogin_export_on_execute_post_login"),
            "{out}"
        );
        assert!(out.contains("# [cfg (target_arch = \"wasm32\")]"), "{out}");
    }

    #[test]
    fn the_continue_handler_is_exported_under_its_auth0_name() {
        let out = expand(
            quote!(),
            quote!(
                async fn on_continue_post_login(e: &Event, a: &mut Api) -> Result<(), Error> {
                    Ok(())
                }
            ),
        )
        .unwrap()
        .to_string();
        assert!(
            out.contains("export_name = \"onContinuePostLogin\""),
            "{out}"
        );
    }

    #[test]
    fn a_handler_without_the_event_never_has_it_parsed() {
        let out = expand(
            quote!(),
            quote!(
                async fn on_execute_post_login(api: &mut Api) -> Result<(), Error> {
                    Ok(())
                }
            ),
        )
        .unwrap()
        .to_string();
        assert!(
            out.contains("start_without_event (audience , now_ms"),
            "{out}"
        );
        assert!(
            out.contains("AsyncFnOnce (& mut :: postlogin :: Api)"),
            "{out}"
        );
    }

    #[test]
    fn signature_errors_say_what_is_expected() {
        let cases = [
            (
                quote!(fast),
                quote!(async fn on_execute_post_login(e: &Event, a: &mut Api) -> Result<(), Error> {}),
                "#[postlogin::action] takes no arguments; the function's name selects the handler",
            ),
            (
                quote!(),
                quote!(async fn enrich(e: &Event, a: &mut Api) -> Result<(), Error> {}),
                "an Action handler must be named `on_execute_post_login` or `on_continue_post_login`",
            ),
            (
                quote!(),
                quote!(fn on_execute_post_login(e: &Event, a: &mut Api) -> Result<(), Error> {}),
                "an Action handler must be `async`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login<T>(e: &Event, a: &mut Api) -> Result<(), Error> {}),
                "an Action handler cannot be generic: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login(e: &Event) -> Result<(), Error> {}),
                "the only argument must be `&mut Api`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login() -> Result<(), Error> {}),
                "an Action handler takes `event` and `api`, or only `api`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login(e: Event, a: &mut Api) -> Result<(), Error> {}),
                "the first argument must be `&Event`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login(e: &Event, a: &Api) -> Result<(), Error> {}),
                "the second argument must be `&mut Api`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
            (
                quote!(),
                quote!(async fn on_execute_post_login(e: &Event, a: &mut Api) {}),
                "an Action handler returns `Result<(), Error>`: expected `async fn on_execute_post_login(event: &Event, api: &mut Api) -> Result<(), Error>`, or `(api: &mut Api)` for an Action that does not read the event",
            ),
        ];
        for (attr, item, expected) in cases {
            assert_eq!(error_of(attr, item.clone()), expected, "{item}");
        }
    }
}
