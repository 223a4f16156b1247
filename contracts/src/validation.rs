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

/// Whether `raw` is 1 to `max_len` visible ASCII characters (`!` to `~`): what a value
/// that travels in an HTTP header, or is stored and shown as it is, may hold (keys,
/// tokens). No space, no control character, nothing outside ASCII.
pub fn is_visible_ascii(raw: &str, max_len: usize) -> bool {
    (1..=max_len).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_ascii_is_one_to_max_printable_characters_without_spaces() {
        assert!(is_visible_ascii("order/01/authorize", 64));
        assert!(is_visible_ascii("~!", 2));
        for bad in ["", "a b", "tab\t", "nul\0", "é"] {
            assert!(!is_visible_ascii(bad, 64), "{bad:?}");
        }
        assert!(!is_visible_ascii("abc", 2));
    }
}
