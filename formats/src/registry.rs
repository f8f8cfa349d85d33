//! `registry.json` (`zkmargin.registry/1`): the account registry, which gives every account an
//! index, the same in every tree.
//!
//! ```text
//! {"format": "zkmargin.registry/1", "accounts": [{"name": "alice", "key": "0x...", "idx": 0}, ...]}
//! ```

use foldhash::{HashMap, HashMapExt, HashSet};

use ff::PrimeField;
use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::profile::Profile;

use crate::account_name::check_account_name;
use crate::input_error::InputError;
use crate::json::{self, shown, Json};

pub const REGISTRY_FORMAT: &str = "zkmargin.registry/1";

/// One registered account: a file-safe name, its account key `H(1, sk)`, and its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryEntry {
    pub name: String,
    pub key: Fp,
    pub idx: u64,
}

/// The account registry: distinct names (ignoring case), keys and indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub entries: Vec<RegistryEntry>,
}

impl Registry {
    /// Registers `key` under `name` at the next free index (one past the largest); the error
    /// says which of name or key is taken.
    pub fn add(&mut self, name: &str, key: Fp) -> Result<u64, String> {
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        {
            return Err(format!(
                "the name {} is taken (index {})",
                shown(&e.name),
                e.idx
            ));
        }
        if let Some(e) = self.entries.iter().find(|e| e.key == key) {
            return Err(format!(
                "the key is registered already, as {} (index {})",
                shown(&e.name),
                e.idx
            ));
        }
        let idx = match self.entries.iter().map(|e| e.idx).max() {
            None => 0,
            Some(max) => max
                .checked_add(1)
                .ok_or_else(|| "no index is left after the largest registered".to_string())?,
        };
        self.entries.push(RegistryEntry {
            name: name.to_string(),
            key,
            idx,
        });
        Ok(idx)
    }

    pub fn by_name(&self, name: &str) -> Option<(usize, &RegistryEntry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.name == name)
    }

    /// Every name with its entry's position in `entries`: a lookup per account of a large
    /// holdings file, where `by_name` (a scan) would make reading it quadratic.
    pub fn positions_by_name(&self) -> HashMap<&str, usize> {
        let mut map = HashMap::with_capacity(self.entries.len());
        map.extend(
            self.entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.name.as_str(), i)),
        );
        map
    }

    /// Whether every index fits a tree of `profile`; the error names the first that does not.
    pub fn check_fits(&self, profile: &Profile, file: &str) -> Result<(), InputError> {
        match self
            .entries
            .iter()
            .position(|e| profile.depth < 64 && e.idx >= 1u64 << profile.depth)
        {
            Some(i) => Err(InputError::new(
                file,
                format!("accounts[{i}].idx"),
                format!(
                    "{} does not fit the trees of profile {} (indices below 2^{})",
                    self.entries[i].idx, profile.name, profile.depth
                ),
            )),
            None => Ok(()),
        }
    }
}

pub fn write_registry(registry: &Registry) -> String {
    json::to_pretty(&Json::object([
        ("format", Json::str(REGISTRY_FORMAT)),
        (
            "accounts",
            Json::Array(
                registry
                    .entries
                    .iter()
                    .map(|e| {
                        Json::object([
                            ("name", Json::str(&e.name)),
                            ("key", Json::str(fp_to_hex(&e.key))),
                            ("idx", Json::uint(e.idx)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]))
}

/// What keeps a registry's entries distinct: names ignoring case, keys, indices. One lookup
/// an entry, so that a registry of a million accounts reads in linear time.
#[derive(Default)]
struct Distinct<'a> {
    names: HashSet<Folded<'a>>,
    keys: HashSet<[u8; 32]>,
    indices: HashSet<u64>,
}

/// A name compared and hashed ignoring ASCII case (no lower-case copy of each name).
struct Folded<'a>(&'a str);

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Folded<'_> {}

impl std::hash::Hash for Folded<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl<'a> Distinct<'a> {
    /// Sets sized for about `entries` entries (they grow past it).
    fn with_capacity(entries: usize) -> Distinct<'a> {
        Distinct {
            names: HashSet::with_capacity_and_hasher(entries, Default::default()),
            keys: HashSet::with_capacity_and_hasher(entries, Default::default()),
            indices: HashSet::with_capacity_and_hasher(entries, Default::default()),
        }
    }

    fn name(&mut self, name: &'a str) -> bool {
        self.names.insert(Folded(name))
    }

    fn key(&mut self, key: &Fp) -> bool {
        self.keys.insert(key.to_repr())
    }

    fn index(&mut self, idx: u64) -> bool {
        self.indices.insert(idx)
    }
}

/// Reads a registry. A large one (a million accounts) is read in one pass without a
/// [`json::Json`] tree (`fast`) where every entry is plain and valid; anything else is read
/// again by the strict tree reader, whose error names the file and field.
pub fn read_registry(text: &str, file: &str) -> Result<Registry, InputError> {
    match fast::read(text) {
        Some(registry) => Ok(registry),
        None => read_registry_tree(text, file),
    }
}

/// [`read_registry`] through the [`json::Json`] tree: the reader of record, and of errors.
fn read_registry_tree(text: &str, file: &str) -> Result<Registry, InputError> {
    json::top_object(
        text,
        file,
        REGISTRY_FORMAT,
        &["format", "accounts"],
        |top| {
            let mut registry = Registry::default();
            let mut distinct = Distinct::default();
            for item in top.req("accounts")?.items()? {
                let obj = item.object()?;
                obj.only(&ENTRY_KEYS)?;
                let name_at = obj.req("name")?;
                let name = name_at.str()?;
                check_account_name(&name_at, name)?;
                if !distinct.name(name) {
                    return Err(name_at.err(format!(
                        "duplicate account name {} (names differ even ignoring case)",
                        shown(name)
                    )));
                }
                let key_at = obj.req("key")?;
                let key = key_at.fp()?;
                if !distinct.key(&key) {
                    return Err(key_at.err("duplicate account key"));
                }
                let idx_at = obj.req("idx")?;
                let idx = idx_at.uint(64)?;
                if !distinct.index(idx) {
                    return Err(idx_at.err(format!("duplicate index {idx}")));
                }
                registry.entries.push(RegistryEntry {
                    name: name.to_string(),
                    key,
                    idx,
                });
            }
            Ok(registry)
        },
    )
}

/// The keys of an entry.
const ENTRY_KEYS: [&str; 3] = ["name", "key", "idx"];

/// The one-pass reader of [`read_registry`]: `None` wherever the tree reader would refuse the
/// file (or might spell it differently), so that both give the same registry or this gives
/// none. Each entry is checked by the same rules (`is_account_name`, `fp_from_hex`,
/// `Distinct`).
mod fast {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use zkmargin_circuits::hash::fp_from_hex;

    use super::*;
    use crate::account_name::is_account_name;

    pub(super) fn read(text: &str) -> Option<Registry> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        // An entry takes at least about 96 bytes of text (a 66-character key among them).
        let registry = Top(text.len() / 96).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(registry)
    }

    /// `{"format": REGISTRY_FORMAT, "accounts": [...]}`, each key once; about how many
    /// entries to expect.
    struct Top(usize);

    impl<'de> DeserializeSeed<'de> for Top {
        type Value = Registry;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Registry, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Top {
        type Value = Registry;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a registry")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Registry, A::Error> {
            let (mut format, mut accounts) = (None, None);
            while let Some(key) = map.next_key::<&str>()? {
                let again = match key {
                    "format" => format.replace(map.next_value::<&str>()?).is_some(),
                    "accounts" => accounts
                        .replace(map.next_value_seed(Accounts(self.0))?)
                        .is_some(),
                    _ => true,
                };
                if again {
                    return Err(A::Error::custom("an unknown key, or a key twice"));
                }
            }
            match (format, accounts) {
                (Some(REGISTRY_FORMAT), Some(registry)) => Ok(registry),
                _ => Err(A::Error::custom("no format or no accounts")),
            }
        }
    }

    /// The entries, checked and kept distinct as they come; about how many to expect.
    struct Accounts(usize);

    impl<'de> DeserializeSeed<'de> for Accounts {
        type Value = Registry;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Registry, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Accounts {
        type Value = Registry;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("registry entries")
        }

        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Registry, S::Error> {
            let mut registry = Registry {
                entries: Vec::with_capacity(self.0),
            };
            let mut distinct = Distinct::with_capacity(self.0);
            while let Some(entry) = seq.next_element_seed(Entry)? {
                let (name, key, idx) = entry;
                let key = fp_from_hex(key).ok_or_else(|| S::Error::custom("a key"))?;
                if !(is_account_name(name)
                    && distinct.name(name)
                    && distinct.key(&key)
                    && distinct.index(idx))
                {
                    return Err(S::Error::custom("an entry"));
                }
                registry.entries.push(RegistryEntry {
                    name: name.to_string(),
                    key,
                    idx,
                });
            }
            Ok(registry)
        }
    }

    /// One entry, `{"name", "key", "idx"}`, each once.
    struct Entry;

    impl<'de> DeserializeSeed<'de> for Entry {
        type Value = (&'de str, &'de str, u64);

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Entry {
        type Value = (&'de str, &'de str, u64);

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a registry entry")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut name, mut key, mut idx) = (None, None, None);
            while let Some(k) = map.next_key::<&str>()? {
                let again = match k {
                    "name" => name.replace(map.next_value::<&str>()?).is_some(),
                    "key" => key.replace(map.next_value::<&str>()?).is_some(),
                    "idx" => idx.replace(map.next_value::<u64>()?).is_some(),
                    _ => true,
                };
                if again {
                    return Err(A::Error::custom("an unknown key, or a key twice"));
                }
            }
            match (name, key, idx) {
                (Some(name), Some(key), Some(idx)) => Ok((name, key, idx)),
                _ => Err(A::Error::custom("a missing key")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::hash::account_key;
    use zkmargin_circuits::profile::SMALL;

    fn key(n: u64) -> Fp {
        account_key(Fp::from(n))
    }

    #[test]
    fn the_registry_gives_the_next_index_and_refuses_duplicates() {
        let mut registry = Registry::default();
        assert_eq!(registry.add("alice", key(1)), Ok(0));
        assert_eq!(registry.add("bob", key(2)), Ok(1));
        assert!(registry.add("ALICE", key(3)).unwrap_err().contains("taken"));
        assert!(registry
            .add("carol", key(1))
            .unwrap_err()
            .contains("registered already"));
        let text = write_registry(&registry);
        assert_eq!(read_registry(&text, "r.json"), Ok(registry.clone()));
        // An index past the profile's trees is named.
        registry.entries[1].idx = 1 << 16;
        let e = registry.check_fits(&SMALL, "r.json").unwrap_err();
        assert_eq!(e.field, "accounts[1].idx");
        registry.entries[1].idx = u64::MAX;
        assert!(registry.add("dave", key(4)).is_err());
    }

    #[test]
    fn the_one_pass_reader_reads_what_the_tree_reader_reads() {
        let mut registry = Registry::default();
        for n in 0..5 {
            registry.add(&format!("acct-{n}"), key(n)).unwrap();
        }
        let text = write_registry(&registry);
        assert_eq!(fast::read(&text), Some(registry.clone()));
        assert_eq!(read_registry_tree(&text, "r.json"), Ok(registry));
        let k = |n| fp_to_hex(&key(n));
        let entry = |name: &str, key: &str, idx: &str| {
            format!(r#"{{"name": "{name}", "key": "{key}", "idx": {idx}}}"#)
        };
        let file = |entries: &[String]| {
            format!(
                r#"{{"format": "zkmargin.registry/1", "accounts": [{}]}}"#,
                entries.join(", ")
            )
        };
        let (a, b) = (k(1), k(2));
        let refused = [
            file(&[entry("alice", &a, "0"), entry("ALICE", &b, "1")]),
            file(&[entry("alice", &a, "0"), entry("bob", &a, "1")]),
            file(&[entry("alice", &a, "0"), entry("bob", &b, "0")]),
            file(&[entry("al ice", &a, "0")]),
            file(&[entry("alice", &a.to_uppercase().replace("0X", "0x"), "0")]),
            file(&[entry("alice", &a, "-1")]),
            file(&[entry("alice", &a, "0").replace("}", r#", "extra": 1}"#)]),
            file(&[entry("alice", &a, "0").replace(r#""idx": 0"#, r#""idx": 0, "idx": 1"#)]),
            file(&[entry("alice", &a, "0").replace(r#", "idx": 0"#, "")]),
            format!(r#"{{"format": "zkmargin.registry/1", "accounts": [["alice", "{a}", 0]]}}"#),
            r#"{"format": "zkmargin.registry/2", "accounts": []}"#.to_string(),
            r#"{"format": "zkmargin.registry/1"}"#.to_string(),
            r#"{"format": "zkmargin.registry/1", "accounts": [], "x": 1}"#.to_string(),
            r#"[]"#.to_string(),
        ];
        for text in refused {
            assert_eq!(fast::read(&text), None, "{text}");
            assert!(read_registry(&text, "r.json").is_err(), "{text}");
        }
    }
}
