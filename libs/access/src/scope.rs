//! What a caller may do: the [`Scope`]s of the facades and small sets of them.
//!
//! A scope never implies another: `admin` grants the admin routes and nothing else, so a
//! caller that needs more lists every scope it needs.

use std::{fmt, str::FromStr};

use thiserror::Error;

/// One permission on the facades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Reserve, release and confirm the caller's own holds; `POST /reservations`.
    Reserve,
    /// Create products, set their prices and replenish their stock.
    Stock,
    /// `POST /checkout` and cancelling an order.
    Checkout,
    /// order-api's own calls to inventory-api; may act on the saga's holds.
    Saga,
    /// The operator routes (`/admin/*`).
    Admin,
}

impl Scope {
    /// Every scope, in the order they are printed.
    pub const ALL: [Scope; 5] = [
        Scope::Reserve,
        Scope::Stock,
        Scope::Checkout,
        Scope::Saga,
        Scope::Admin,
    ];

    /// The name used in `API_KEYS` and in problems.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Reserve => "reserve",
            Scope::Stock => "stock",
            Scope::Checkout => "checkout",
            Scope::Saga => "saga",
            Scope::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no scope. It carries nothing: the word may be a key written in the
/// wrong place, and errors must never repeat a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("not a scope: the scopes are reserve, stock, checkout, saga and admin")]
pub struct UnknownScope;

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == raw)
            .ok_or(UnknownScope)
    }
}

/// A set of scopes, printed like `API_KEYS` writes it: `reserve+stock`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// What the `anonymous` caller of the keyless mode holds: everything but `admin`,
    /// which always takes a key.
    pub fn all_but_admin() -> Self {
        Scope::ALL
            .into_iter()
            .filter(|scope| *scope != Scope::Admin)
            .collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Scopes(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_parses_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
    }

    #[test]
    fn scope_names_are_exact_and_lowercase() {
        for raw in ["Stock", "stocks", " stock", "", "*"] {
            assert_eq!(raw.parse::<Scope>(), Err(UnknownScope), "{raw:?}");
        }
    }

    #[test]
    fn a_set_prints_in_a_fixed_order_whatever_the_order_it_was_built_in() {
        let scopes: Scopes = [Scope::Saga, Scope::Reserve, Scope::Saga]
            .into_iter()
            .collect();
        assert_eq!(scopes.to_string(), "reserve+saga");
        assert!(scopes.contains(Scope::Reserve) && !scopes.contains(Scope::Stock));
    }

    #[test]
    fn the_keyless_set_holds_everything_but_admin() {
        let scopes = Scopes::all_but_admin();
        assert_eq!(scopes.to_string(), "reserve+stock+checkout+saga");
        assert!(!scopes.contains(Scope::Admin));
    }
}
