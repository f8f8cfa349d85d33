//! `epoch.json` (`zkmargin.epoch/1`): what the publisher announces before the vaults and venues
//! build: the profile and the epoch parameters.
//!
//! ```text
//! {"format": "zkmargin.epoch/1", "profile": "small",
//!  <the epoch parameters, in the words of network.json and snapshot.json>}
//! ```

use zkmargin_circuits::profile::Profile;

use crate::epoch_params::{epoch_params_entries, read_epoch_params, EpochParams, EPOCH_PARAM_KEYS};
use crate::input_error::InputError;
use crate::json::{self, Json};
use crate::profile::read_profile;

pub const EPOCH_FORMAT: &str = "zkmargin.epoch/1";

/// What the publisher announces before the vaults and venues build: the profile and the epoch
/// parameters (the same words as `network.json` and `snapshot.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub profile: Profile,
    pub params: EpochParams,
}

impl Epoch {
    pub fn asset_symbols(&self) -> Vec<String> {
        self.params
            .assets
            .iter()
            .map(|a| a.symbol.clone())
            .collect()
    }
}

pub fn write_epoch(epoch: &Epoch) -> String {
    let mut entries: Vec<(String, Json)> = vec![
        ("format".into(), Json::str(EPOCH_FORMAT)),
        ("profile".into(), Json::str(epoch.profile.name)),
    ];
    entries.extend(epoch_params_entries(&epoch.params));
    json::to_pretty(&Json::Object(entries))
}

pub fn read_epoch(text: &str, file: &str) -> Result<Epoch, InputError> {
    let mut keys = vec!["format", "profile"];
    keys.extend(EPOCH_PARAM_KEYS);
    json::top_object(text, file, EPOCH_FORMAT, &keys, |top| {
        let profile = read_profile(&top.req("profile")?)?;
        let params = read_epoch_params(top)?;
        params.check_fits(&profile, file)?;
        Ok(Epoch { profile, params })
    })
}
