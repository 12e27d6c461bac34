//! `event.secrets`: the Action's configured secrets, write-only in Auth0 and never printed here.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::decode::{DecodeError, FromJson};
use crate::text::join;
use crate::url::BaseUrl;
use crate::Error;

/// Every value is a string (checked when the event is decoded); they stay in the JSON map they
/// arrived in rather than being copied into a map of their own. Shared, because a warm
/// instance's logins all carry the same secrets: the wasm decodes them once, not per login,
/// and parses a secret's URL once too.
#[derive(Clone, Default)]
pub struct Secrets(Rc<Values>);

#[derive(Default)]
struct Values {
    map: Map<String, Value>,
    /// The URLs parsed so far: (where the secret's text is, as an origin?, URL). The map is
    /// not changed while they are kept ([`Secrets::insert`] drops them), so a text's address
    /// names its secret.
    urls: Cell<Vec<(*const u8, bool, BaseUrl)>>,
}

/// A copy is made to be changed: it starts with no URL parsed.
impl Clone for Values {
    fn clone(&self) -> Self {
        Values {
            map: self.map.clone(),
            urls: Cell::default(),
        }
    }
}

impl FromJson for Secrets {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let Value::Object(map) = value else {
            return Err(DecodeError::mismatch("an object", &value));
        };
        if let Some((name, value)) = map.iter().find(|(_, value)| !value.is_string()) {
            return Err(DecodeError::mismatch("a string", value).at(name.clone()));
        }
        Ok(Secrets(Rc::new(Values {
            map,
            urls: Cell::default(),
        })))
    }

    fn absent() -> Option<Self> {
        Some(Secrets::default())
    }
}

impl Secrets {
    /// The secret's value; an absent or empty secret is an error that names it.
    pub fn get(&self, name: &str) -> Result<&str, Error> {
        match self.0.map.get(name).and_then(Value::as_str) {
            None => Err(Error::MissingSecret(name.to_owned())),
            Some(value) if value.trim().is_empty() => Err(Error::EmptySecret(name.to_owned())),
            Some(value) => Ok(value),
        }
    }

    /// A secret holding a URL such as `https://api.example.com/v1`.
    pub fn url(&self, name: &str) -> Result<BaseUrl, Error> {
        self.parsed(name, false, BaseUrl::parse)
    }

    /// A secret holding an Auth0 domain: a bare host (`tenant.eu.auth0.com`) means
    /// `https://host`, a full origin (`http://127.0.0.1:4321`) is used as it is.
    pub fn origin(&self, name: &str) -> Result<BaseUrl, Error> {
        self.parsed(name, true, BaseUrl::parse_host_or_origin)
    }

    /// Secret `name` parsed by `parse`, once for as long as these secrets are the login's.
    fn parsed(
        &self,
        name: &str,
        origin: bool,
        parse: fn(&str) -> Result<BaseUrl, &'static str>,
    ) -> Result<BaseUrl, Error> {
        let text = self.get(name)?;
        let at = text.as_ptr();
        // Taken out and put back (a `Cell`): no borrow to track, and nothing can reenter.
        let mut urls = self.0.urls.take();
        let url = match urls.iter().find(|(a, o, _)| *a == at && *o == origin) {
            Some((_, _, url)) => Ok(url.clone()),
            None => parse(text)
                .inspect(|url| urls.push((at, origin, url.clone())))
                .map_err(|reason| secret_url_error(name, reason)),
        };
        self.0.urls.set(urls);
        url
    }

    pub fn is_empty(&self) -> bool {
        self.0.map.is_empty()
    }

    /// Every configured value, for scrubbing text that leaves the Action.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.0.map.values().filter_map(Value::as_str)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.0.map.clone())
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let values = Rc::make_mut(&mut self.0);
        values.map.insert(name.into(), Value::String(value.into()));
        values.urls.get_mut().clear();
    }
}

fn secret_url_error(name: &str, reason: &'static str) -> Error {
    Error::InvalidUrl {
        what: join!("secret ", name),
        reason,
    }
}

/// Names only: a secret's value must not reach a log through `{:?}`.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.map.keys()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Secrets {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut secrets = Secrets::default();
        for (name, value) in iter {
            secrets.insert(name, value);
        }
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        [
            ("id", "abc"),
            ("blank", " "),
            ("api", "https://api.example.com/"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn missing_and_empty_secrets_are_named() {
        assert_eq!(secrets().get("id").unwrap(), "abc");
        assert_eq!(
            secrets().get("nope").unwrap_err().to_string(),
            "missing secret nope"
        );
        assert_eq!(
            secrets().get("blank").unwrap_err().to_string(),
            "secret blank is empty"
        );
    }

    #[test]
    fn urls_in_secrets_are_checked_without_echoing_them() {
        assert_eq!(
            secrets().url("api").unwrap().as_str(),
            "https://api.example.com"
        );
        let err = secrets().url("id").unwrap_err().to_string();
        assert_eq!(
            err,
            "secret id is not a usable URL: it must start with https:// or http://"
        );
    }

    #[test]
    fn a_parsed_url_is_kept_until_its_secret_changes() {
        let url = |secrets: &Secrets| secrets.url("api").map(|url| url.as_str().to_owned());
        let mut secrets = secrets();
        assert_eq!(url(&secrets).unwrap(), "https://api.example.com");
        assert_eq!(url(&secrets).unwrap(), "https://api.example.com");
        // Kept apart by how the secret is read: a bare host is an origin, not a URL.
        secrets.insert("host", "tenant.auth0.com");
        let origin = secrets.origin("host").unwrap();
        assert_eq!(origin.as_str(), "https://tenant.auth0.com");
        assert!(secrets.url("host").is_err());
        // Changed in place (what was parsed is dropped: a freed text's address can come back
        // for a later value), and changed in a copy.
        secrets.insert("api", "http://127.0.0.1:9/v2");
        assert!(secrets.0.urls.take().is_empty());
        assert_eq!(url(&secrets).unwrap(), "http://127.0.0.1:9/v2");
        let shared = secrets.clone();
        secrets.insert("api", "https://other.example.com");
        assert_eq!(url(&secrets).unwrap(), "https://other.example.com");
        assert_eq!(url(&shared).unwrap(), "http://127.0.0.1:9/v2");
    }

    #[test]
    fn debug_shows_names_only() {
        assert_eq!(format!("{:?}", secrets()), r#"{"api", "blank", "id"}"#);
    }
}
