//! The one error every parser in this crate returns: a stable machine-readable `code`
//! (the problem+json `code` a client can branch on) and a human `detail`.

use std::fmt;

/// Input that does not parse into a value object or a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Stable code, e.g. `invalid_sku`, `invalid_quantity`.
    pub code: &'static str,
    /// What was wrong, in words a client developer can act on.
    pub detail: String,
}

impl ValidationError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ValidationError {}
