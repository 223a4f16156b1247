//! API keys: `API_KEYS` (and `ADMIN_API_KEY`) parsed into [`Callers`], and the caller
//! of a presented key found in constant time.
//!
//! A key must never be kept, printed or logged: only its SHA-256 [`KeyDigest`] is
//! stored, `Debug` shows names and scopes only, and errors point at an entry by its
//! position, never by its text: a mistyped entry may put a key where a name or a scope
//! belongs.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use thiserror::Error;

use crate::{Caller, CallerName, NameError, Scope, Scopes};

/// The shortest key accepted: 16 characters, e.g. `openssl rand -hex 16` (32).
pub const MIN_KEY_LEN: usize = 16;
const MAX_KEY_LEN: usize = 256;

/// The SHA-256 digest of a key. Comparing digests, not keys, gives every comparison the
/// same length whatever was presented.
#[derive(Clone)]
pub(crate) struct KeyDigest([u8; 32]);

impl KeyDigest {
    /// The digest of any presented text, valid key or not.
    pub(crate) fn of(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// Equality in constant time: every byte is compared whatever the first difference.
    pub(crate) fn ct_eq(&self, other: &KeyDigest) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Even a digest lets a short key be guessed offline.
        f.write_str("KeyDigest(..)")
    }
}

/// Why a configured key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("the key is empty")]
    Empty,
    #[error("the key is shorter than {MIN_KEY_LEN} characters; use a random one of at least 16")]
    TooShort,
    #[error("the key is longer than {MAX_KEY_LEN} characters")]
    TooLong,
    #[error("the key may hold only visible ASCII characters (it travels in a header)")]
    Charset,
}

/// Checks a configured key and keeps only its digest.
pub(crate) fn digest_of_configured(key: &str) -> Result<KeyDigest, KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::Charset);
    }
    if key.len() < MIN_KEY_LEN {
        return Err(KeyError::TooShort);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    Ok(KeyDigest::of(key))
}

/// Why `API_KEYS` or `ADMIN_API_KEY` was refused. Entries count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeysError {
    #[error(
        "API_KEYS is set but lists no caller: list `name:key:scope+scope` entries separated by `;`, or unset it"
    )]
    NoEntries,
    #[error("API_KEYS entry {entry} is not `name:key:scope+scope`")]
    Malformed { entry: usize },
    #[error("API_KEYS entry {entry}: {source}")]
    Name { entry: usize, source: NameError },
    #[error("API_KEYS entry {entry}: {source}")]
    Key { entry: usize, source: KeyError },
    #[error("API_KEYS entry {entry} lists no scope")]
    NoScope { entry: usize },
    #[error(
        "API_KEYS entry {entry}: scope {position} is not one of reserve, stock, checkout, saga, admin"
    )]
    UnknownScope { entry: usize, position: usize },
    #[error(
        "the caller name `{name}` is used twice (ADMIN_API_KEY is the caller `admin`); names must be unique"
    )]
    DuplicateName { name: CallerName },
    #[error("callers `{first}` and `{second}` have the same key; every caller needs its own")]
    DuplicateKey {
        first: CallerName,
        second: CallerName,
    },
    #[error("ADMIN_API_KEY: {0}")]
    AdminKey(KeyError),
}

struct Entry {
    caller: Caller,
    digest: KeyDigest,
}

/// The callers that hold a key. Two entries may be live for one client while its key is
/// rotated; each has its own name and its own key.
pub struct Callers {
    entries: Vec<Entry>,
}

impl Callers {
    /// Parses `API_KEYS` (`name:key:scope+scope;...`, blanks around parts ignored) and
    /// adds `ADMIN_API_KEY` as the caller `admin` with the scope `admin`. Either may be
    /// absent; both absent gives no callers.
    pub fn parse(api_keys: Option<&str>, admin_api_key: Option<&str>) -> Result<Self, KeysError> {
        let mut entries = Vec::new();
        if let Some(api_keys) = api_keys {
            for (i, raw) in api_keys
                .split(';')
                .map(str::trim)
                .filter(|raw| !raw.is_empty())
                .enumerate()
            {
                entries.push(parse_entry(i + 1, raw)?);
            }
            if entries.is_empty() {
                return Err(KeysError::NoEntries);
            }
        }
        if let Some(key) = admin_api_key {
            entries.push(Entry {
                caller: Caller::new(CallerName::admin(), [Scope::Admin].into_iter().collect()),
                digest: digest_of_configured(key.trim()).map_err(KeysError::AdminKey)?,
            });
        }
        let callers = Self { entries };
        callers.check_unique()?;
        Ok(callers)
    }

    /// The caller whose key is `presented`, if any. Every entry is compared, in constant
    /// time, whether or not an earlier one matched: how long this takes says nothing
    /// about which key, or how much of one, was right.
    pub fn identify(&self, presented: &str) -> Option<&Caller> {
        let presented = KeyDigest::of(presented);
        let mut found = Choice::from(0);
        let mut index = 0u32;
        for (i, entry) in self.entries.iter().enumerate() {
            let hit = entry.digest.ct_eq(&presented);
            // Entries are few (a handful of clients); the cast cannot truncate in practice
            // and `u32` is what `subtle` selects over.
            index.conditional_assign(&(i as u32), hit);
            found |= hit;
        }
        bool::from(found).then(|| &self.entries[index as usize].caller)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Caller> {
        self.entries.iter().map(|entry| &entry.caller)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn check_unique(&self) -> Result<(), KeysError> {
        for (i, later) in self.entries.iter().enumerate() {
            for earlier in &self.entries[..i] {
                if earlier.caller.name() == later.caller.name() {
                    return Err(KeysError::DuplicateName {
                        name: later.caller.name().clone(),
                    });
                }
                if bool::from(earlier.digest.ct_eq(&later.digest)) {
                    return Err(KeysError::DuplicateKey {
                        first: earlier.caller.name().clone(),
                        second: later.caller.name().clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Callers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|caller| (caller.name().as_str(), caller.scopes())),
            )
            .finish()
    }
}

fn parse_entry(entry: usize, raw: &str) -> Result<Entry, KeysError> {
    let parts: Vec<&str> = raw.split(':').map(str::trim).collect();
    let [name, key, scopes] = parts[..] else {
        return Err(KeysError::Malformed { entry });
    };
    let name = CallerName::parse(name).map_err(|source| KeysError::Name { entry, source })?;
    let digest = digest_of_configured(key).map_err(|source| KeysError::Key { entry, source })?;
    let scopes = parse_scopes(scopes).map_err(|position| match position {
        None => KeysError::NoScope { entry },
        Some(position) => KeysError::UnknownScope { entry, position },
    })?;
    Ok(Entry {
        caller: Caller::new(name, scopes),
        digest,
    })
}

/// `scope+scope`, or the 1-based position of the first word that is not a scope (`None`
/// when there is no scope at all).
fn parse_scopes(raw: &str) -> Result<Scopes, Option<usize>> {
    if raw.is_empty() {
        return Err(None);
    }
    raw.split('+')
        .enumerate()
        .map(|(i, word)| word.trim().parse::<Scope>().map_err(|_| Some(i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1-0123456789abcdef";
    const K2: &str = "k2-0123456789abcdef";
    const K3: &str = "k3-0123456789abcdef";

    fn parse(api_keys: &str) -> Result<Callers, KeysError> {
        Callers::parse(Some(api_keys), None)
    }

    #[test]
    fn entries_give_callers_with_their_scopes() {
        let callers = parse(&format!(
            "shop:{K1}:checkout; ops:{K2}:stock+reserve ;order-api:{K3}:saga;"
        ))
        .unwrap();
        let scopes: Vec<String> = callers
            .iter()
            .map(|c| format!("{}={}", c.name(), c.scopes()))
            .collect();
        assert_eq!(
            scopes,
            ["shop=checkout", "ops=reserve+stock", "order-api=saga"]
        );
    }

    #[test]
    fn a_presented_key_finds_its_own_caller_only() {
        let callers = parse(&format!("shop:{K1}:checkout;ops:{K2}:stock")).unwrap();
        assert_eq!(callers.identify(K1).unwrap().name().as_str(), "shop");
        assert_eq!(callers.identify(K2).unwrap().name().as_str(), "ops");
        for wrong in ["", K3, &K1[..K1.len() - 1], &format!("{K1} "), "shop"] {
            assert!(callers.identify(wrong).is_none(), "{wrong:?}");
        }
    }

    #[test]
    fn the_last_entry_is_found_as_well_as_the_first() {
        let callers = parse(&format!("a:{K1}:stock;b:{K2}:stock;c:{K3}:stock")).unwrap();
        assert_eq!(callers.identify(K3).unwrap().name().as_str(), "c");
        assert_eq!(callers.identify(K1).unwrap().name().as_str(), "a");
    }

    #[test]
    fn digests_compare_equal_only_for_the_same_key() {
        assert!(bool::from(KeyDigest::of(K1).ct_eq(&KeyDigest::of(K1))));
        assert!(!bool::from(KeyDigest::of(K1).ct_eq(&KeyDigest::of(K2))));
    }

    #[test]
    fn the_admin_key_is_the_caller_admin_with_the_admin_scope_only() {
        let callers = Callers::parse(Some(&format!("shop:{K1}:checkout")), Some(K2)).unwrap();
        let admin = callers.identify(K2).unwrap();
        assert_eq!(admin.name().as_str(), "admin");
        assert_eq!(admin.scopes().to_string(), "admin");
        let only_admin = Callers::parse(None, Some(K2)).unwrap();
        assert_eq!(only_admin.len(), 1);
    }

    #[test]
    fn malformed_entries_are_refused_by_position() {
        for (raw, entry) in [
            (format!("shop:{K1}"), 1),
            (format!("shop:{K1}:checkout;ops"), 2),
            (format!("shop:{K1}:checkout:extra"), 1),
        ] {
            assert_eq!(parse(&raw).unwrap_err(), KeysError::Malformed { entry });
        }
        assert_eq!(parse(" ; ;").unwrap_err(), KeysError::NoEntries);
    }

    #[test]
    fn empty_short_or_unprintable_keys_are_refused_and_the_minimum_is_stated() {
        let key_error = |raw: &str| match parse(raw).unwrap_err() {
            KeysError::Key { source, .. } => source,
            other => panic!("{other:?}"),
        };
        assert_eq!(key_error("shop::checkout"), KeyError::Empty);
        assert_eq!(key_error("shop:k1:checkout"), KeyError::TooShort);
        assert_eq!(
            key_error("shop:k1 0123456789abcdef:checkout"),
            KeyError::Charset
        );
        let message = parse("shop:k1:checkout").unwrap_err().to_string();
        assert!(
            message.contains("entry 1") && message.contains("16"),
            "{message}"
        );
        assert!(
            Callers::parse(None, Some("short"))
                .unwrap_err()
                .to_string()
                .starts_with("ADMIN_API_KEY")
        );
    }

    #[test]
    fn unknown_or_missing_scopes_are_refused_by_position() {
        assert_eq!(
            parse(&format!("shop:{K1}:checkout+stok")).unwrap_err(),
            KeysError::UnknownScope {
                entry: 1,
                position: 2
            }
        );
        assert!(matches!(
            parse(&format!("shop:{K1}:")).unwrap_err(),
            KeysError::NoScope { entry: 1 }
        ));
    }

    #[test]
    fn bad_or_reserved_names_are_refused() {
        assert!(matches!(
            parse(&format!("anonymous:{K1}:stock")).unwrap_err(),
            KeysError::Name {
                entry: 1,
                source: NameError::Reserved
            }
        ));
        assert!(matches!(
            parse(&format!("my shop:{K1}:stock")).unwrap_err(),
            KeysError::Name {
                source: NameError::Invalid,
                ..
            }
        ));
    }

    #[test]
    fn names_and_keys_must_each_be_unique() {
        assert!(matches!(
            parse(&format!("shop:{K1}:checkout;shop:{K2}:stock")).unwrap_err(),
            KeysError::DuplicateName { .. }
        ));
        assert!(matches!(
            Callers::parse(Some(&format!("admin:{K1}:admin")), Some(K2)).unwrap_err(),
            KeysError::DuplicateName { .. }
        ));
        let err = parse(&format!("shop:{K1}:checkout;ops:{K1}:stock")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "callers `shop` and `ops` have the same key; every caller needs its own"
        );
    }

    #[test]
    fn no_error_repeats_a_key_even_from_a_misordered_entry() {
        for raw in [
            format!("shop:checkout:{K1}"),
            format!("{K1}:shop:checkout"),
            format!("shop:{K1}:{K2}"),
            format!("shop:{K1}:checkout;ops:{K1}:stock"),
            format!("shop:{K1}"),
        ] {
            let message = parse(&raw).unwrap_err().to_string();
            assert!(!message.contains(K1), "{message}");
        }
    }

    #[test]
    fn debug_shows_names_and_scopes_but_never_a_key() {
        let callers = Callers::parse(Some(&format!("shop:{K1}:checkout")), Some(K2)).unwrap();
        let debug = format!("{callers:?} {:?}", KeyDigest::of(K1));
        assert!(
            debug.contains("shop") && debug.contains("checkout"),
            "{debug}"
        );
        assert!(!debug.contains(K1) && !debug.contains(K2), "{debug}");
        let digest_hex: String = Sha256::digest(K1.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!debug.contains(&digest_hex[..8]), "{debug}");
    }
}
