//! `Actor`: who asks for a change of stock, as the inventory records it. Its name goes on
//! every movement (who changed the stock) and on every hold (its owner); `saga` says it
//! acts for the checkout saga, whose holds nobody else may touch.
//!
//! A facade authenticates its caller and passes the actor to the domain service in two
//! headers ([`CALLER_HEADER`], [`SAGA_HEADER`]). The domain service trusts them: it is
//! reachable only from inside the system, never from a client.

use std::fmt;

use crate::ValidationError;

/// The caller's name, set by the facade.
pub const CALLER_HEADER: &str = "x-caller";
/// `true` when the caller acts for the checkout saga.
pub const SAGA_HEADER: &str = "x-caller-saga";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    name: String,
    saga: bool,
}

/// Why an actor may not touch a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The hold belongs to an order's saga.
    OwnedByOrder,
    /// The hold belongs to another caller.
    OwnedByAnotherCaller,
}

impl Actor {
    pub const MAX_LEN: usize = 64;
    /// The caller of a facade that runs without keys.
    pub const ANONYMOUS: &'static str = "anonymous";

    /// A named caller acting for itself.
    pub fn caller(name: &str) -> Result<Self, ValidationError> {
        Self::parse(name, false)
    }

    /// A named caller acting for the checkout saga.
    pub fn saga(name: &str) -> Result<Self, ValidationError> {
        Self::parse(name, true)
    }

    pub fn anonymous() -> Self {
        Self {
            name: Self::ANONYMOUS.to_owned(),
            saga: false,
        }
    }

    /// The service itself: the expiry of holds, the saga's events.
    pub fn system(name: &'static str, saga: bool) -> Self {
        Self {
            name: name.to_owned(),
            saga,
        }
    }

    /// The actor the two headers name; no caller header is `anonymous`.
    pub fn from_headers(caller: Option<&str>, saga: Option<&str>) -> Result<Self, ValidationError> {
        let saga = saga.is_some_and(|s| s.eq_ignore_ascii_case("true"));
        match caller {
            Some(name) => Self::parse(name, saga),
            None => Ok(Self {
                saga,
                ..Self::anonymous()
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_saga(&self) -> bool {
        self.saga
    }

    /// The same caller, acting for itself only: what the single-SKU routes use, so
    /// they never act on the saga's holds whoever calls them.
    pub fn for_itself(&self) -> Self {
        Self {
            name: self.name.clone(),
            saga: false,
        }
    }

    /// May this actor release, commit or reshape a hold made by `owner`? The saga acts on
    /// the saga's holds only; a caller on its own holds only.
    pub fn may_touch(&self, owner: &Actor) -> Result<(), Denied> {
        match (owner.saga, self.saga) {
            (true, true) => Ok(()),
            (true, false) => Err(Denied::OwnedByOrder),
            (false, false) if owner.name == self.name => Ok(()),
            (false, _) => Err(Denied::OwnedByAnotherCaller),
        }
    }

    fn parse(name: &str, saga: bool) -> Result<Self, ValidationError> {
        let ok = (1..=Self::MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self {
                name: name.to_owned(),
                saga,
            })
        } else {
            Err(ValidationError::new(
                "invalid_caller",
                format!(
                    "a caller's name is 1 to {} characters of letters, digits, '-', '_', '.'",
                    Self::MAX_LEN
                ),
            ))
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saga_touches_only_the_sagas_holds() {
        let saga = Actor::saga("order-api").unwrap();
        let shop = Actor::caller("shop").unwrap();
        let event_path = Actor::system("saga", true);
        assert_eq!(saga.may_touch(&event_path), Ok(()));
        assert_eq!(shop.may_touch(&saga), Err(Denied::OwnedByOrder));
        assert_eq!(saga.may_touch(&shop), Err(Denied::OwnedByAnotherCaller));
    }

    #[test]
    fn a_caller_touches_only_its_own_holds() {
        let shop = Actor::caller("shop").unwrap();
        let ops = Actor::caller("ops").unwrap();
        assert_eq!(shop.may_touch(&shop.clone()), Ok(()));
        assert_eq!(ops.may_touch(&shop), Err(Denied::OwnedByAnotherCaller));
        assert_eq!(Actor::anonymous().may_touch(&Actor::anonymous()), Ok(()));
    }

    #[test]
    fn headers_name_the_actor_and_their_absence_is_anonymous() {
        assert_eq!(Actor::from_headers(None, None).unwrap(), Actor::anonymous());
        let saga = Actor::from_headers(Some("order-api"), Some("true")).unwrap();
        assert!(saga.is_saga() && saga.name() == "order-api");
        assert!(!saga.for_itself().is_saga());
        assert_eq!(
            Actor::from_headers(Some("bad name\n"), None)
                .unwrap_err()
                .code,
            "invalid_caller"
        );
    }
}
