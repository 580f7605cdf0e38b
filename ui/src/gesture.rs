//! One-shot parameter changes wrapped in a complete automation gesture.
//!
//! A host records automation between `begin` and `end`; a click, a typed value or a reset is one
//! gesture with a single `set`. Drags keep their gesture open across frames (see
//! [`crate::knob`]).

use nice_plug::prelude::{Param, ParamSetter};

/// Sets `param` to `normalized` (0–1, snapped to the parameter's steps) as one gesture:
/// one `begin`, one `set`, one `end`.
pub fn set_normalized_as_gesture<P: Param>(setter: &ParamSetter, param: &P, normalized: f32) {
    let plain = param.preview_plain(normalized.clamp(0.0, 1.0));
    setter.begin_set_parameter(param);
    setter.set_parameter(param, plain);
    setter.end_set_parameter(param);
}

/// Resets `param` to its default value as one gesture.
pub fn reset_to_default<P: Param>(setter: &ParamSetter, param: &P) {
    set_normalized_as_gesture(setter, param, param.default_normalized_value());
}
