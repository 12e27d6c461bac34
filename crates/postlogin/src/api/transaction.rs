//! `api.transaction`: metadata that travels with this login to the Actions after this one.

use serde_json::Value;

use super::{check, Api};
use crate::Error;

/// `api.transaction`
pub struct TransactionApi<'a> {
    pub(super) api: &'a mut Api,
}

impl TransactionApi<'_> {
    /// `setMetadata(key, value)`: later Actions of this login read it as
    /// `event.transaction.metadata`. Auth0 takes a string, a number or a boolean only.
    pub fn set_metadata(self, key: &str, value: impl Into<Value>) -> Result<(), Error> {
        set_metadata(self.api, key, value.into())
    }
}

fn set_metadata(api: &mut Api, key: &str, value: Value) -> Result<(), Error> {
    const PATH: &str = "transaction.setMetadata";
    check(!key.is_empty(), PATH, "the key is empty")?;
    check(
        matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)),
        PATH,
        "the value must be a string, a number or a boolean",
    )?;
    api.record(PATH, vec![key.into(), value]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::api::{Api, Command};
    use crate::testing::Harness;
    use serde_json::{json, Value};

    #[test]
    fn only_scalar_values_are_transaction_metadata() {
        let run = Harness::new().run(
            json!({"user": {"user_id": "u"}}),
            async |_, api: &mut Api| {
                api.transaction().set_metadata("risk", "low")?;
                api.transaction().set_metadata("score", 0.25)?;
                api.transaction().set_metadata("checked", true)
            },
        );
        assert_eq!(
            run.commands,
            [
                Command::new("transaction.setMetadata", vec![json!("risk"), json!("low")]),
                Command::new("transaction.setMetadata", vec![json!("score"), json!(0.25)]),
                Command::new(
                    "transaction.setMetadata",
                    vec![json!("checked"), json!(true)]
                ),
            ]
        );
        for (key, value, reason) in [
            ("", json!("x"), "the key is empty"),
            (
                "k",
                Value::Null,
                "the value must be a string, a number or a boolean",
            ),
            (
                "k",
                json!({"a": 1}),
                "the value must be a string, a number or a boolean",
            ),
            (
                "k",
                json!([1]),
                "the value must be a string, a number or a boolean",
            ),
        ] {
            let run = Harness::new().run(
                json!({"user": {"user_id": "u"}}),
                async |_, api: &mut Api| api.transaction().set_metadata(key, value),
            );
            assert_eq!(
                run.failure(),
                Some(format!("transaction.setMetadata: {reason}"))
            );
        }
    }
}
