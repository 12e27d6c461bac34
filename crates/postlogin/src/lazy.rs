//! [`Lazy`]: a part of the event decoded the first time the Action reads it.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::ops::Deref;

use serde_json::Value;

use crate::decode::{DecodeError, FromJson};

/// A part of the event (`event.user`, `event.client`…) decoded the first time the Action reads
/// it, through `Deref`, so `event.user.email` reads as if it were a plain field. An Action pays,
/// in wasm bytes and in time per login, only for the parts it reads: the decoding of a part it
/// never touches is not even compiled in, and its JSON is never parsed.
///
/// A part that does not fit its type reads as empty (`Default`), and the login then fails as a
/// malformed event, naming the field, once the Action returns: fail-closed, with nothing applied.
/// A malformed part the Action never reads goes unnoticed, as it would in JavaScript.
pub struct Lazy<T> {
    part: RawPart,
    // Boxed: every login builds, moves and drops the whole `Event`, and most of its parts are
    // never read. Inline, the decoded parts made it 4 kB; boxed, a login is about 5 µs faster
    // with real HTTP (cold caches) and the Action's wasm about 500 bytes smaller.
    decoded: OnceCell<Box<T>>,
    error: OnceCell<Box<DecodeError>>,
}

/// What a part is until it is read; the same for every part's type, so its code exists once.
#[derive(Clone)]
pub(crate) struct RawPart {
    name: &'static str,
    raw: RefCell<Option<Raw>>,
}

#[derive(Clone)]
enum Raw {
    /// Boxed, as the decoded part is: most parts stay `Host` and should cost a word.
    Value(Box<Value>),
    /// The event arrives as JSON text, and most of it is never read: parsed on first read.
    #[cfg(not(target_arch = "wasm32"))]
    Text(String),
    /// Still in the shim: asked for (`host.part`) on first read, as JSON text.
    #[cfg(target_arch = "wasm32")]
    Host,
    /// Still in the shim, and known to be an object: its members are asked for one by one.
    #[cfg(target_arch = "wasm32")]
    HostObject,
}

impl RawPart {
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn set_text(&mut self, text: &str) {
        *self.raw.get_mut() = Some(Raw::Text(text.to_owned()));
    }

    pub(crate) fn set_value(&mut self, value: Value) {
        *self.raw.get_mut() = Some(Raw::Value(Box::new(value)));
    }

    /// The part's JSON, once; `None` when it is absent or null. Text that is not JSON (the shim
    /// only sends `JSON.stringify` output) reads as null, as a missing part does; a part the
    /// shim cannot write as JSON at all is an error.
    fn take(&self) -> Result<Option<Value>, DecodeError> {
        let raw = self.raw.borrow_mut().take();
        let value = match raw {
            None => None,
            Some(Raw::Value(value)) => Some(*value),
            #[cfg(not(target_arch = "wasm32"))]
            Some(Raw::Text(text)) => crate::json::parse(&text),
            #[cfg(target_arch = "wasm32")]
            Some(Raw::Host | Raw::HostObject) => host_json(self.name)?,
        };
        Ok(value.filter(|value| !value.is_null()))
    }

    /// The member `key` of the part, without taking the part (it can still be read whole
    /// afterwards): `Ok(None)` when the member is absent or null; `Err(None)` when the part
    /// itself is; otherwise the error reading the whole part would give (without its name).
    fn member(&self, key: &'static str) -> Result<Option<Value>, Option<DecodeError>> {
        self.resolve().map_err(Some)?;
        match &*self.raw.borrow() {
            None => Err(None),
            Some(Raw::Value(value)) => match &**value {
                Value::Null => Err(None),
                Value::Object(members) => {
                    Ok(members.get(key).filter(|value| !value.is_null()).cloned())
                }
                other => Err(Some(DecodeError::mismatch("an object", other))),
            },
            #[cfg(target_arch = "wasm32")]
            Some(Raw::HostObject) => {
                use crate::host::runtime::event_member;
                crate::decode::host_member(event_member(self.name, key))
                    .map_err(|err| Some(err.at(key.to_owned())))
            }
            // Natively `Text`, in the wasm `Host`: `resolve` leaves neither.
            Some(_) => unreachable!("resolved above"),
        }
    }

    /// Readies the part to be read member by member, once however many members are read: its
    /// text parsed (natively); in the wasm, asked what it is (`host.member` with no key) and,
    /// unless it is an object, read as JSON.
    fn resolve(&self) -> Result<(), DecodeError> {
        let mut raw = self.raw.borrow_mut();
        let resolved = match &*raw {
            #[cfg(not(target_arch = "wasm32"))]
            Some(Raw::Text(text)) => {
                crate::json::parse(text).map(|value| Raw::Value(Box::new(value)))
            }
            #[cfg(target_arch = "wasm32")]
            Some(Raw::Host) => {
                use crate::host::runtime::{event_part_kind, PartKind};
                match event_part_kind(self.name) {
                    PartKind::Object => Some(Raw::HostObject),
                    PartKind::Absent => None,
                    PartKind::Other => {
                        host_json(self.name)?.map(|value| Raw::Value(Box::new(value)))
                    }
                }
            }
            _ => return Ok(()),
        };
        *raw = resolved;
        Ok(())
    }

    /// Whether the part is still in the shim, not read yet.
    #[cfg(target_arch = "wasm32")]
    fn in_host(&self) -> bool {
        matches!(*self.raw.borrow(), Some(Raw::Host | Raw::HostObject))
    }
}

/// A part still in the shim, as JSON (`host.part`): `None` when it is undefined; an error when
/// the shim cannot write it as JSON.
#[cfg(target_arch = "wasm32")]
fn host_json(name: &'static str) -> Result<Option<Value>, DecodeError> {
    match crate::host::runtime::event_part(name).as_str() {
        "" => Ok(None),
        "!" => Err(DecodeError::not_json()),
        text => Ok(crate::json::parse(text)),
    }
}

impl<T> Lazy<T> {
    /// The part `name` of the event, absent until it is given its JSON.
    pub(crate) fn named(name: &'static str) -> Self {
        Lazy {
            part: RawPart {
                name,
                raw: RefCell::new(None),
            },
            decoded: OnceCell::new(),
            error: OnceCell::new(),
        }
    }

    /// The part `name` of the event, asked of the host on first read.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn from_host(name: &'static str) -> Self {
        let lazy = Lazy::named(name);
        *lazy.part.raw.borrow_mut() = Some(Raw::Host);
        lazy
    }

    pub(crate) fn part_mut(&mut self) -> &mut RawPart {
        &mut self.part
    }

    /// The name the part is known by (to the shim, and in errors).
    #[cfg(test)]
    pub(crate) fn part_name(&self) -> &'static str {
        self.part.name
    }
}

/// A part that was never given: what a struct holding parts is when it did not decode.
impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy::named("")
    }
}

impl<T: FromJson> Lazy<T> {
    /// Why this part, or a part of its own it holds, did not decode, once it has been read.
    pub(crate) fn error(&self) -> Option<&DecodeError> {
        match self.error.get() {
            Some(error) => Some(error),
            None => self.decoded.get()?.part_error(),
        }
    }
}

impl<T: FromJson + Default> Lazy<T> {
    /// Decodes it, and the parts of its own it holds, now if they have not been read yet; the
    /// first error, if any.
    pub(crate) fn validate(&self) -> Option<&DecodeError> {
        (**self).read_parts();
        self.error()
    }
}

impl<T: FromJson> Lazy<T> {
    /// The part, if the Action has read it whole.
    pub(crate) fn read(&self) -> Option<&T> {
        self.decoded.get().map(|decoded| &**decoded)
    }

    /// The member `key` of this part (a struct) as a `V`, read on its own: the rest of the
    /// part is not read, nor checked. The error is the one reading the whole part would give
    /// for this member, path and all.
    pub(crate) fn member<V: FromJson>(&self, key: &'static str) -> Result<V, DecodeError> {
        let name = self.part.name;
        let member = match self.part.member(key) {
            Ok(member) => member,
            Err(None) if T::absent().is_some() => None,
            Err(None) => return Err(DecodeError::missing(name)),
            Err(Some(err)) => return Err(err.at(name.to_owned())),
        };
        match member {
            None => V::absent().ok_or_else(|| DecodeError::missing(key)),
            Some(value) => V::from_json(value).map_err(|err| err.at(key.to_owned())),
        }
        .map_err(|err| err.at(name.to_owned()))
    }

    /// The part as its type: a struct still in the shim member by member, anything else from
    /// its JSON.
    fn decode(&self) -> Result<T, DecodeError> {
        let name = self.part.name;
        let absent = || T::absent().ok_or_else(|| DecodeError::missing(name));
        #[cfg(target_arch = "wasm32")]
        if self.part.in_host() {
            use crate::decode::HostRead;
            match T::from_host(name) {
                HostRead::Decoded(result) => return result.map_err(|err| err.at(name.to_owned())),
                HostRead::Absent => return absent(),
                HostRead::AsJson => {}
            }
        }
        match self.part.take() {
            Err(err) => Err(err.at(name.to_owned())),
            Ok(None) => absent(),
            Ok(Some(value)) => T::from_json(value).map_err(|err| err.at(name.to_owned())),
        }
    }
}

impl<T: FromJson + Default> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.decoded.get_or_init(|| {
            Box::new(self.decode().unwrap_or_else(|err| {
                let _ = self.error.set(Box::new(err));
                T::default()
            }))
        })
    }
}

impl<T: Clone> Clone for Lazy<T> {
    fn clone(&self) -> Self {
        Lazy {
            part: self.part.clone(),
            decoded: self.decoded.clone(),
            error: self.error.clone(),
        }
    }
}

impl<T: FromJson + Default + fmt::Debug> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
