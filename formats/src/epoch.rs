//! `epoch.json` (`zkmargin.epoch/1`): what the publisher announces before the vaults and venues
//! build: the profile, the epoch parameters and the portfolio inputs.
//!
//! ```text
//! {"format": "zkmargin.epoch/1", "profile": "small",
//!  <the epoch parameters, in the words of network.json and snapshot.json>,
//!  "portfolio": {...}, "instruments": [...]}
//! ```
//!
//! `portfolio` and `instruments` are `network.json`'s words (`portfolio`); `instruments` is
//! the whole list of options of the epoch: `venue build` refuses a position on another, and
//! `publish` tables these and every asset's perpetual.

use zkmargin_circuits::profile::Profile;

use crate::epoch_params::{epoch_params_entries, read_epoch_params, EpochParams, EPOCH_PARAM_KEYS};
use crate::input_error::InputError;
use crate::json::{self, Json};
use crate::portfolio::{
    check_instruments_fit, portfolio_entries, read_portfolio, PortfolioModel, PORTFOLIO_KEYS,
};
use crate::profile::read_profile;

pub const EPOCH_FORMAT: &str = "zkmargin.epoch/1";

/// What the publisher announces before the vaults and venues build: the profile and the epoch
/// parameters (the same words as `network.json` and `snapshot.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub profile: Profile,
    pub params: EpochParams,
    /// The publisher's portfolio inputs and the listed options.
    pub portfolio: PortfolioModel,
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
    entries.extend(portfolio_entries(&epoch.portfolio, &epoch.params));
    json::to_pretty(&Json::Object(entries))
}

pub fn read_epoch(text: &str, file: &str) -> Result<Epoch, InputError> {
    let mut keys = vec!["format", "profile"];
    keys.extend(EPOCH_PARAM_KEYS);
    keys.extend(PORTFOLIO_KEYS);
    json::top_object(text, file, EPOCH_FORMAT, &keys, |top| {
        let profile = read_profile(&top.req("profile")?)?;
        let params = read_epoch_params(top)?;
        params.check_fits(&profile, file)?;
        let portfolio = read_portfolio(top, &params)?;
        check_instruments_fit(&portfolio, &params, &profile, file)?;
        Ok(Epoch {
            profile,
            params,
            portfolio,
        })
    })
}
