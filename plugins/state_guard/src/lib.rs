//! All-or-nothing state loading for the Gainstage plugins.
//!
//! nice-plug applies a saved state entry by entry and skips what it cannot use, so a damaged but
//! well-formed blob would change some settings and not others, a state from a newer version would
//! be applied as if it were ours, and a finite-but-absurd value (1e30 dB) would reach the DSP. Each
//! plugin calls [`guard_state`] from `Plugin::filter_state`: it checks every entry against a
//! throw-away parameter set and, if anything is wrong, empties the state so that loading changes
//! nothing at all.

use std::sync::Arc;

use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// Why a state was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum StateProblem {
    /// Saved by a newer version of the plugin.
    FutureVersion(String),
    /// Names a parameter this version does not have.
    UnknownParameter(String),
    /// A value of the wrong kind, not finite, outside its range, or an unknown choice.
    BadValue(String),
}

/// Parses "major.minor.patch" (missing parts count as 0; anything unparsable as 0.0.0).
fn version_triple(version: &str) -> (u64, u64, u64) {
    let mut parts = version
        .split(['.', '-', '+'])
        .map(|part| part.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Checks `state` against `scratch`, a fresh parameter set that may be changed freely.
pub fn check_state(
    state: &PluginState,
    scratch: Arc<dyn Params>,
    plugin_version: &str,
) -> Result<(), StateProblem> {
    if version_triple(&state.version) > version_triple(plugin_version) {
        return Err(StateProblem::FutureVersion(state.version.clone()));
    }
    let parameters = scratch.param_map();
    for (id, value) in &state.params {
        let (_, pointer, _) = parameters
            .iter()
            .find(|(candidate, _, _)| candidate == id)
            .ok_or_else(|| StateProblem::UnknownParameter(id.clone()))?;
        let bad = || StateProblem::BadValue(format!("{id} = {value:?}"));
        // SAFETY: the pointers come from `scratch`, which this function owns for its whole run;
        // nothing else sees that parameter set.
        unsafe {
            match (pointer, value) {
                (ParamPtr::FloatParam(_), ParamValue::F32(plain)) => {
                    let normalized = pointer.preview_normalized(*plain);
                    let back = pointer.preview_plain(normalized);
                    if !plain.is_finite() || (back - plain).abs() > 1e-3 * plain.abs().max(1.0) {
                        return Err(bad());
                    }
                }
                (ParamPtr::IntParam(_), ParamValue::I32(plain))
                | (ParamPtr::EnumParam(_), ParamValue::I32(plain)) => {
                    let normalized = pointer.preview_normalized(*plain as f32);
                    if pointer.preview_plain(normalized) as i32 != *plain {
                        return Err(bad());
                    }
                }
                (ParamPtr::BoolParam(_), ParamValue::Bool(_)) => {}
                (ParamPtr::EnumParam(param), ParamValue::String(variant)) => {
                    if !(**param).set_from_id(variant) {
                        return Err(bad());
                    }
                }
                _ => return Err(bad()),
            }
        }
    }
    Ok(())
}

/// For `Plugin::filter_state`: keeps `state` if every entry is valid for this version, and
/// otherwise empties it (loading then changes nothing) and logs why.
pub fn guard_state(state: &mut PluginState, scratch: Arc<dyn Params>, plugin_version: &str) {
    if let Err(problem) = check_state(state, scratch, plugin_version) {
        nice_warn!("refusing saved state, nothing was changed: {problem:?}");
        state.params.clear();
        state.fields.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
    enum Shape {
        #[id = "round"]
        Round,
        #[id = "square"]
        Square,
    }

    #[derive(Params)]
    struct TestParams {
        #[id = "gain"]
        gain: FloatParam,
        #[id = "shape"]
        shape: EnumParam<Shape>,
        #[id = "on"]
        on: BoolParam,
    }

    impl Default for TestParams {
        fn default() -> Self {
            Self {
                gain: FloatParam::new(
                    "Gain",
                    0.0,
                    FloatRange::Linear {
                        min: -24.0,
                        max: 24.0,
                    },
                ),
                shape: EnumParam::new("Shape", Shape::Round),
                on: BoolParam::new("On", true),
            }
        }
    }

    fn state(version: &str, entries: &[(&str, ParamValue)]) -> PluginState {
        PluginState {
            version: version.to_owned(),
            params: entries
                .iter()
                .map(|(id, value)| ((*id).to_owned(), value.clone()))
                .collect(),
            fields: Default::default(),
        }
    }

    fn checked(state: &PluginState) -> Result<(), StateProblem> {
        check_state(state, Arc::new(TestParams::default()), "0.1.0")
    }

    #[test]
    fn a_valid_state_is_kept() {
        let valid = state(
            "0.1.0",
            &[
                ("gain", ParamValue::F32(6.0)),
                ("shape", ParamValue::String("square".into())),
                ("on", ParamValue::Bool(false)),
            ],
        );
        assert_eq!(checked(&valid), Ok(()));
        let older = state("0.0.9", &[("gain", ParamValue::F32(-3.0))]);
        assert_eq!(checked(&older), Ok(()));
    }

    #[test]
    fn every_kind_of_bad_state_is_refused_whole() {
        let cases = [
            state("0.2.0", &[("gain", ParamValue::F32(1.0))]),
            state("0.1.0", &[("gian", ParamValue::F32(1.0))]),
            state("0.1.0", &[("gain", ParamValue::F32(1.0e30))]),
            state("0.1.0", &[("gain", ParamValue::F32(f32::INFINITY))]),
            state("0.1.0", &[("gain", ParamValue::Bool(true))]),
            state("0.1.0", &[("shape", ParamValue::String("triangle".into()))]),
            state("0.1.0", &[("shape", ParamValue::I32(7))]),
        ];
        for case in cases {
            let mut guarded = case.clone();
            guard_state(&mut guarded, Arc::new(TestParams::default()), "0.1.0");
            assert!(checked(&case).is_err(), "accepted {case:?}");
            assert!(guarded.params.is_empty(), "not emptied: {case:?}");
        }
    }
}
