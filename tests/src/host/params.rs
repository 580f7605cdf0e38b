//! Parameter descriptions read through `clap.params`, and how tests name a parameter.
//!
//! CLAP identifies a parameter by a numeric ID. nice-plug derives it from the parameter's string
//! ID (`#[id = "gain"]`) with [`nice_plug_param_hash`], so tests can name a parameter by the
//! string ID used in the plugin's source, or by its display name.
//!
//! Values are CLAP values throughout. nice-plug exposes a continuous parameter as its normalised
//! value in `0..=1` and a stepped one as `0..=step_count`; use
//! [`PluginUnderTest::text_to_value`](super::PluginUnderTest::text_to_value) (or
//! [`set_param_text`](super::PluginUnderTest::set_param_text)) to work in display units such as
//! "12 dB".

use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_host::prelude::*;

/// One parameter as the plugin describes it in `clap_param_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDescription {
    /// The CLAP parameter ID.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Module path (nice-plug: the parameter group), possibly empty.
    pub module: String,
    /// Smallest CLAP value.
    pub min_value: f64,
    /// Largest CLAP value.
    pub max_value: f64,
    /// Default CLAP value.
    pub default_value: f64,
    /// CLAP parameter flags.
    pub flags: ParamInfoFlags,
}

impl ParamDescription {
    /// Whether this is the host bypass parameter (`CLAP_PARAM_IS_BYPASS`).
    pub fn is_bypass(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_BYPASS)
    }

    /// Whether the parameter takes whole-number steps (`CLAP_PARAM_IS_STEPPED`).
    pub fn is_stepped(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_STEPPED)
    }

    /// Whether the host may automate it (`CLAP_PARAM_IS_AUTOMATABLE`).
    pub fn is_automatable(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_AUTOMATABLE)
    }

    /// Whether it is hidden from the user (`CLAP_PARAM_IS_HIDDEN`).
    pub fn is_hidden(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_HIDDEN)
    }

    /// Whether the host must not change it (`CLAP_PARAM_IS_READONLY`).
    pub fn is_read_only(&self) -> bool {
        self.flags.contains(ParamInfoFlags::IS_READONLY)
    }

    /// Whether `key` names this parameter: its nice-plug string ID (hashed) or its display name,
    /// case-insensitively.
    pub fn is_named(&self, key: &str) -> bool {
        nice_plug_param_hash(key) == self.id || self.name.eq_ignore_ascii_case(key)
    }
}

/// A parameter change to send as a `CLAP_EVENT_PARAM_VALUE` during processing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    /// Sample index, counted from the start of the audio passed to the process call, at which
    /// the change takes effect.
    pub frame: usize,
    /// The CLAP parameter ID.
    pub param_id: u32,
    /// The new CLAP value.
    pub value: f64,
}

/// A parameter event the plugin sent the host in its output events (from `process` or
/// `clap_plugin_params.flush`): what an editor's automation gesture looks like to the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamOutputEvent {
    /// `CLAP_EVENT_PARAM_GESTURE_BEGIN`: the user started adjusting the parameter.
    GestureBegin {
        /// The CLAP parameter ID.
        param_id: u32,
    },
    /// `CLAP_EVENT_PARAM_VALUE`: the parameter's new CLAP value.
    Value {
        /// The CLAP parameter ID.
        param_id: u32,
        /// The new CLAP value (normalised `0..=1`, or `0..=step_count` for a stepped parameter).
        value: f64,
    },
    /// `CLAP_EVENT_PARAM_GESTURE_END`: the user finished adjusting the parameter.
    GestureEnd {
        /// The CLAP parameter ID.
        param_id: u32,
    },
}

impl ParamOutputEvent {
    /// The CLAP ID of the parameter the event is about.
    pub fn param_id(&self) -> u32 {
        match *self {
            ParamOutputEvent::GestureBegin { param_id }
            | ParamOutputEvent::Value { param_id, .. }
            | ParamOutputEvent::GestureEnd { param_id } => param_id,
        }
    }
}

/// Appends the parameter events among `events` (the plugin's output events) to `record`, in
/// order; other events are skipped.
pub(crate) fn record_output_events(events: &EventBuffer, record: &mut Vec<ParamOutputEvent>) {
    use clack_host::events::event_types::{
        ParamGestureBeginEvent, ParamGestureEndEvent, ParamValueEvent,
    };
    for event in events {
        let id = |param_id: Option<ClapId>| param_id.map_or(u32::MAX, ClapId::get);
        if let Some(begin) = event.as_event::<ParamGestureBeginEvent>() {
            record.push(ParamOutputEvent::GestureBegin {
                param_id: id(begin.param_id()),
            });
        } else if let Some(value) = event.as_event::<ParamValueEvent>() {
            record.push(ParamOutputEvent::Value {
                param_id: id(value.param_id()),
                value: value.value(),
            });
        } else if let Some(end) = event.as_event::<ParamGestureEndEvent>() {
            record.push(ParamOutputEvent::GestureEnd {
                param_id: id(end.param_id()),
            });
        }
    }
}

/// The CLAP ID nice-plug gives a parameter with string ID `string_id`: a base-31 rolling hash of
/// the bytes with the top bit cleared (bit 31 is reserved for host parameters in VST3). This
/// mirrors `nice_plug::wrapper::util::hash_param_id`.
pub fn nice_plug_param_hash(string_id: &str) -> u32 {
    let hash = string_id.bytes().fold(0_u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    });
    hash & !(1 << 31)
}

/// Reads every parameter's description through `clap_plugin_params.get_info`.
pub(crate) fn enumerate(
    params: &PluginParams,
    plugin: &PluginMainThreadHandle,
) -> anyhow::Result<Vec<ParamDescription>> {
    let count = params.count(plugin);
    let mut descriptions = Vec::with_capacity(count as usize);
    let mut buffer = ParamInfoBuffer::new();
    for index in 0..count {
        let info = params.get_info(plugin, index, &mut buffer).ok_or_else(|| {
            anyhow::anyhow!("clap_plugin_params.get_info failed for index {index} of {count}")
        })?;
        descriptions.push(ParamDescription {
            id: info.id.get(),
            name: String::from_utf8_lossy(info.name).into_owned(),
            module: String::from_utf8_lossy(info.module).into_owned(),
            min_value: info.min_value,
            max_value: info.max_value,
            default_value: info.default_value,
            flags: info.flags,
        });
    }
    Ok(descriptions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_hash_matches_nice_plug_for_known_ids() {
        // "gain" = ((103·31 + 97)·31 + 105)·31 + 110 = 3 165 055 by hand.
        assert_eq!(nice_plug_param_hash("gain"), 3_165_055, "hash of \"gain\"");
        assert_eq!(nice_plug_param_hash(""), 0, "hash of the empty ID");
        let long = nice_plug_param_hash("a_long_parameter_identifier");
        assert_eq!(long >> 31, 0, "top bit must be clear, got {long:#x}");
    }

    #[test]
    fn params_are_named_by_string_id_or_display_name() {
        let gain = ParamDescription {
            id: nice_plug_param_hash("gain"),
            name: "Gain".to_owned(),
            module: String::new(),
            min_value: 0.0,
            max_value: 1.0,
            default_value: 0.0,
            flags: ParamInfoFlags::IS_AUTOMATABLE,
        };
        assert!(gain.is_named("gain"), "string ID");
        assert!(gain.is_named("GAIN"), "display name, any case");
        assert!(!gain.is_named("output"), "another ID");
        assert!(!gain.is_bypass(), "plain parameter is not bypass");
    }
}
