//! `registry.json` (`zkmargin.registry/1`): the account registry, which gives every account an
//! index, the same in every tree.
//!
//! ```text
//! {"format": "zkmargin.registry/1", "accounts": [{"name": "alice", "key": "0x...", "idx": 0}, ...]}
//! ```

use std::collections::HashSet;

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

pub fn read_registry(text: &str, file: &str) -> Result<Registry, InputError> {
    json::top_object(
        text,
        file,
        REGISTRY_FORMAT,
        &["format", "accounts"],
        |top| {
            let mut registry = Registry::default();
            let mut names = HashSet::new();
            for item in top.req("accounts")?.items()? {
                let obj = item.object()?;
                obj.only(&["name", "key", "idx"])?;
                let name_at = obj.req("name")?;
                let name = name_at.str()?;
                check_account_name(&name_at, name)?;
                if !names.insert(name.to_ascii_lowercase()) {
                    return Err(name_at.err(format!(
                        "duplicate account name {} (names differ even ignoring case)",
                        shown(name)
                    )));
                }
                let key_at = obj.req("key")?;
                let key = key_at.fp()?;
                if registry.entries.iter().any(|e| e.key == key) {
                    return Err(key_at.err("duplicate account key"));
                }
                let idx_at = obj.req("idx")?;
                let idx = idx_at.uint(64)?;
                if registry.entries.iter().any(|e| e.idx == idx) {
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
}
