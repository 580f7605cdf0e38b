//! Host-level tests of both Gainstage plugins, loaded from their release CLAP bundles by the
//! project's own test host: descriptors, activation and processing at every supported rate,
//! layout and block size, the parameter interface, bypass, sample-accurate parameter events,
//! state save/load, and how a latency change is reported (`clap_host_latency.changed` only inside
//! `activate`).
//!
//! Every check runs once per plugin, as a separate test so the two plugins run in parallel.

use gainstage_tests::{
    Layout, LoadedBundle, ParamChange, ParamDescription, Plugin, PluginUnderTest, signal,
};

/// Sample rates every plugin must run at.
const SAMPLE_RATES: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
/// Block sizes every plugin must handle, from one frame to a large host buffer.
const BLOCK_SIZES: [usize; 3] = [1, 64, 4096];
/// The largest block promised at activation.
const MAX_BLOCK_SIZE: usize = 4096;
/// The test tone: 1 kHz at nominal line level (−18 dBFS RMS), half a second.
const TONE_HZ: f64 = 1_000.0;
const TONE_DBFS: f64 = -18.0;
const TONE_SECONDS: f64 = 0.5;
/// Output before this (plus the reported latency) is left out of level measurements.
const SETTLING_SECONDS: f64 = 0.1;
/// An output channel quieter than this (RMS) on a −18 dBFS tone counts as silent.
const SILENCE_FLOOR_DBFS: f64 = -60.0;
/// DESIGN.md: a freshly inserted preamp is within ±1 dB of unity on −18 dBFS material.
const PREAMP_UNITY_TOLERANCE_DB: f64 = 1.0;
/// Largest CLAP-value error allowed in a value → text → value round trip, as a fraction of the
/// parameter's range (display text rounds to the parameter's step or a few decimals).
const TEXT_ROUND_TRIP_TOLERANCE: f64 = 0.01;
/// Readback after setting a value the plugin itself produced from text must be exact to f32
/// precision (nice-plug stores parameters as f32).
const READBACK_TOLERANCE: f64 = 1e-6;

// ----- descriptors -----

fn check_descriptor(plugin: Plugin) -> anyhow::Result<()> {
    let bundle = LoadedBundle::load_plugin(plugin)?;
    let descriptors = bundle.descriptors()?;
    assert_eq!(
        descriptors.len(),
        1,
        "{}: expected exactly one plugin in the bundle, got {descriptors:#?}",
        bundle.path().display()
    );
    let descriptor = &descriptors[0];
    println!("{plugin:?} descriptor: {descriptor:#?}");
    assert_eq!(descriptor.name, plugin.display_name(), "{plugin:?} name");
    assert_eq!(descriptor.id, plugin.clap_id(), "{plugin:?} ID");
    assert_eq!(descriptor.vendor, "Gainstage", "{plugin:?} vendor");
    assert_eq!(
        descriptor.version,
        env!("CARGO_PKG_VERSION"),
        "{plugin:?} version should be the workspace version"
    );
    for feature in ["audio-effect", "distortion", "stereo", "mono"] {
        assert!(
            descriptor.has_feature(feature),
            "{plugin:?} features lack {feature:?}: got {:?}",
            descriptor.features
        );
    }
    Ok(())
}

#[test]
fn preamp_descriptor_names_id_vendor_version_and_features() -> anyhow::Result<()> {
    check_descriptor(Plugin::Preamp)
}

#[test]
fn power_amp_descriptor_names_id_vendor_version_and_features() -> anyhow::Result<()> {
    check_descriptor(Plugin::PowerAmp)
}

// ----- activation and processing -----

/// Output level of one processing run, per channel.
struct LevelReport {
    input_dbfs: f64,
    output_dbfs: Vec<f64>,
    output_peak: Vec<f32>,
    latency: u32,
}

fn process_tone(
    plugin: &mut PluginUnderTest,
    sample_rate: f64,
    layout: Layout,
    block_size: usize,
) -> anyhow::Result<LevelReport> {
    let length = (TONE_SECONDS * sample_rate) as usize;
    let tone = signal::sine(TONE_HZ, TONE_DBFS, sample_rate, length);
    let input = vec![tone; layout.channel_count()];
    let output = plugin.process(&input, block_size)?;
    let latency = plugin.latency();
    let skip = (SETTLING_SECONDS * sample_rate) as usize + latency as usize;
    assert!(
        skip < length / 2,
        "latency {latency} samples leaves too little of the {length}-sample tone to measure"
    );
    let measured_length = length - skip;
    Ok(LevelReport {
        input_dbfs: signal::rms_dbfs(&input[0][..measured_length]),
        output_dbfs: output
            .iter()
            .map(|channel| signal::rms_dbfs(signal::after(channel, skip)))
            .collect(),
        output_peak: output
            .iter()
            .map(|channel| {
                assert!(
                    signal::all_finite(channel),
                    "non-finite output at {sample_rate} Hz, {layout:?}, block {block_size}"
                );
                signal::peak(channel)
            })
            .collect(),
        latency,
    })
}

/// Activates `plugin` at every rate and layout, processes the test tone in every block size, and
/// checks the output is finite and not silent, and within `unity_tolerance_db` of the input level
/// if given.
fn check_processing(plugin: Plugin, unity_tolerance_db: Option<f64>) -> anyhow::Result<()> {
    let mut instance = PluginUnderTest::load(plugin)?;
    let mut worst_deviation_db: f64 = 0.0;
    for sample_rate in SAMPLE_RATES {
        for layout in Layout::ALL {
            for block_size in BLOCK_SIZES {
                instance.activate(sample_rate, 1, MAX_BLOCK_SIZE, layout)?;
                let channels = layout.channel_count() as u32;
                for is_input in [true, false] {
                    let ports = instance.audio_ports(is_input)?;
                    let direction = if is_input { "input" } else { "output" };
                    assert_eq!(
                        ports.len(),
                        1,
                        "{plugin:?} {layout:?}: expected one {direction} port, got {ports:?}"
                    );
                    assert_eq!(
                        ports[0].channel_count, channels,
                        "{plugin:?} {layout:?}: {direction} port channel count, got {ports:?}"
                    );
                }
                let report = process_tone(&mut instance, sample_rate, layout, block_size)?;
                instance.deactivate();

                let levels: Vec<String> = report
                    .output_dbfs
                    .iter()
                    .zip(&report.output_peak)
                    .map(|(rms, peak)| format!("{rms:.2} dBFS RMS (peak {peak:.3})"))
                    .collect();
                println!(
                    "{plugin:?} {sample_rate} Hz {layout:?} block {block_size}: in {:.2} dBFS, \
                     out {}, latency {} samples",
                    report.input_dbfs,
                    levels.join(" / "),
                    report.latency
                );
                for (channel, output_dbfs) in report.output_dbfs.iter().enumerate() {
                    assert!(
                        *output_dbfs > SILENCE_FLOOR_DBFS,
                        "{plugin:?} {sample_rate} Hz {layout:?} block {block_size} channel \
                         {channel}: output {output_dbfs:.2} dBFS is below the silence floor \
                         {SILENCE_FLOOR_DBFS} dBFS"
                    );
                    let deviation_db = output_dbfs - report.input_dbfs;
                    worst_deviation_db = if deviation_db.abs() > worst_deviation_db.abs() {
                        deviation_db
                    } else {
                        worst_deviation_db
                    };
                    if let Some(tolerance_db) = unity_tolerance_db {
                        assert!(
                            deviation_db.abs() <= tolerance_db,
                            "{plugin:?} {sample_rate} Hz {layout:?} block {block_size} channel \
                             {channel}: default settings should be within ±{tolerance_db} dB of \
                             unity on a {TONE_DBFS} dBFS tone; input {:.2} dBFS, output \
                             {output_dbfs:.2} dBFS ({deviation_db:+.2} dB)",
                            report.input_dbfs
                        );
                    }
                }
            }
        }
    }
    println!("{plugin:?}: largest output/input level difference {worst_deviation_db:+.2} dB");
    Ok(())
}

#[test]
fn preamp_processes_every_rate_layout_and_block_size_near_unity() -> anyhow::Result<()> {
    check_processing(Plugin::Preamp, Some(PREAMP_UNITY_TOLERANCE_DB))
}

#[test]
fn power_amp_processes_every_rate_layout_and_block_size() -> anyhow::Result<()> {
    // The power amp's level depends on its rating and sensitivity: report it, require only a
    // finite, audible output.
    check_processing(Plugin::PowerAmp, None)
}

// ----- parameters -----

/// Parameters a host user can change: not the bypass, automatable, visible, writable.
fn editable_params(instance: &PluginUnderTest) -> Vec<ParamDescription> {
    instance
        .params()
        .iter()
        .filter(|param| {
            !param.is_bypass()
                && param.is_automatable()
                && !param.is_hidden()
                && !param.is_read_only()
        })
        .cloned()
        .collect()
}

/// The parameter the event, bypass and state checks move: the first editable continuous one
/// (such as a gain), else the first editable one of any kind.
fn probe_param(plugin: Plugin, instance: &PluginUnderTest) -> ParamDescription {
    let editable = editable_params(instance);
    editable
        .iter()
        .find(|param| !param.is_stepped())
        .or_else(|| editable.first())
        .cloned()
        .unwrap_or_else(|| panic!("{plugin:?} has no editable parameter besides bypass"))
}

/// A valid value a quarter of the range away from the default (at least one step for stepped
/// parameters), snapped to the plugin's own grid by a text round trip.
fn value_away_from_default(
    instance: &mut PluginUnderTest,
    param: &ParamDescription,
) -> anyhow::Result<f64> {
    let range = param.max_value - param.min_value;
    let offset = if param.is_stepped() {
        (0.25 * range).round().max(1.0)
    } else {
        0.25 * range
    };
    let candidate = if param.default_value + offset <= param.max_value {
        param.default_value + offset
    } else {
        param.default_value - offset
    };
    let name = param.name.as_str();
    let text = instance.value_to_text(name, candidate)?;
    instance.text_to_value(name, &text)
}

fn assert_value(instance: &mut PluginUnderTest, name: &str, expected: f64, context: &str) {
    let actual = instance
        .param_value(name)
        .unwrap_or_else(|error| panic!("{context}: reading {name:?}: {error:#}"));
    assert!(
        (actual - expected).abs() <= READBACK_TOLERANCE,
        "{context}: {name:?} should read {expected}, got {actual}"
    );
}

fn check_params(plugin: Plugin) -> anyhow::Result<()> {
    let mut instance = PluginUnderTest::load(plugin)?;
    let params = instance.params().to_vec();
    assert!(!params.is_empty(), "{plugin:?} exposes no parameters");
    let mut ids: Vec<u32> = params.iter().map(|param| param.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        params.len(),
        "{plugin:?}: parameter IDs must be unique"
    );

    let mut worst_round_trip_error: f64 = 0.0;
    for param in &params {
        println!(
            "{plugin:?} param {:>10} {:?} (module {:?}): {} ..= {}, default {}, flags {:?}",
            param.id,
            param.name,
            param.module,
            param.min_value,
            param.max_value,
            param.default_value,
            param.flags
        );
        assert!(
            !param.name.trim().is_empty(),
            "{plugin:?} param {} has no name",
            param.id
        );
        assert!(
            param.min_value < param.max_value,
            "{plugin:?} {:?}: min {} must be below max {}",
            param.name,
            param.min_value,
            param.max_value
        );
        assert!(
            (param.min_value..=param.max_value).contains(&param.default_value),
            "{plugin:?} {:?}: default {} outside {} ..= {}",
            param.name,
            param.default_value,
            param.min_value,
            param.max_value
        );
        let current = instance.param_value(&param.name)?;
        assert!(
            (current - param.default_value).abs() <= READBACK_TOLERANCE,
            "{plugin:?} {:?}: a fresh instance should be at the default {}, got {current}",
            param.name,
            param.default_value
        );

        // value → text → value → text: the text must survive, the value must come back close.
        let range = param.max_value - param.min_value;
        let probes = [0.0, 0.25, 0.5, 0.75, 1.0].map(|fraction| {
            let value = param.min_value + fraction * range;
            if param.is_stepped() {
                value.round()
            } else {
                value
            }
        });
        for value in probes.into_iter().chain([param.default_value]) {
            let text = instance.value_to_text(&param.name, value)?;
            let parsed = instance.text_to_value(&param.name, &text)?;
            let text_again = instance.value_to_text(&param.name, parsed)?;
            assert_eq!(
                text_again, text,
                "{plugin:?} {:?}: value {value} shows as {text:?}, parses to {parsed}, which \
                 shows as {text_again:?}",
                param.name
            );
            let error = (parsed - value).abs() / range;
            worst_round_trip_error = worst_round_trip_error.max(error);
            assert!(
                error <= TEXT_ROUND_TRIP_TOLERANCE,
                "{plugin:?} {:?}: value {value} → {text:?} → {parsed}: error {:.4} % of the \
                 range exceeds {} %",
                param.name,
                error * 100.0,
                TEXT_ROUND_TRIP_TOLERANCE * 100.0
            );
        }
    }
    println!(
        "{plugin:?}: {} params, worst text round-trip error {:.4} % of range",
        params.len(),
        worst_round_trip_error * 100.0
    );

    let bypass = instance
        .bypass_param()
        .unwrap_or_else(|| panic!("{plugin:?} has no parameter flagged CLAP_PARAM_IS_BYPASS"))
        .clone();
    assert!(
        bypass.is_stepped() && bypass.min_value == 0.0 && bypass.max_value == 1.0,
        "{plugin:?} bypass {:?} should be a stepped 0..=1 switch, got {bypass:?}",
        bypass.name
    );
    assert_eq!(
        bypass.default_value, 0.0,
        "{plugin:?} bypass must default to off"
    );

    // A parameter change sent as an event inside a block, at a frame offset.
    let target_param = probe_param(plugin, &instance);
    let name = target_param.name.clone();
    let target = value_away_from_default(&mut instance, &target_param)?;
    assert!(
        (target - target_param.default_value).abs() > READBACK_TOLERANCE,
        "{plugin:?} {name:?}: test value {target} should differ from the default"
    );
    let sample_rate = 48_000.0;
    let block_size = 256;
    instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
    let tone = signal::sine(TONE_HZ, TONE_DBFS, sample_rate, block_size);
    let stereo = [tone.clone(), tone];
    let before = instance.process(&stereo, block_size)?;
    assert_value(
        &mut instance,
        &name,
        target_param.default_value,
        "after a block without events",
    );
    let change_frame = 100;
    let changes = [ParamChange {
        frame: change_frame,
        param_id: target_param.id,
        value: target,
    }];
    let after = instance.process_with_changes(&stereo, block_size, &changes)?;
    assert_value(
        &mut instance,
        &name,
        target,
        &format!("after a param-value event at frame {change_frame} of a {block_size}-frame block"),
    );
    for output in before.iter().chain(&after) {
        assert!(
            signal::all_finite(output),
            "{plugin:?}: non-finite output around the event"
        );
    }

    // The same change through params.flush: active (between blocks), then inactive.
    instance.set_param(&name, target_param.default_value)?;
    assert_value(
        &mut instance,
        &name,
        target_param.default_value,
        "after an active params.flush",
    );
    instance.deactivate();
    instance.set_param(&name, target)?;
    assert_value(
        &mut instance,
        &name,
        target,
        "after an inactive params.flush",
    );
    println!(
        "{plugin:?}: {name:?} set by event to {target}, reset by flush; host calls {:?}",
        instance.host_calls()
    );
    Ok(())
}

#[test]
fn preamp_params_are_well_formed_and_settable() -> anyhow::Result<()> {
    check_params(Plugin::Preamp)
}

#[test]
fn power_amp_params_are_well_formed_and_settable() -> anyhow::Result<()> {
    check_params(Plugin::PowerAmp)
}

// ----- bypass and sample-accurate automation -----

/// Largest |output − delayed input| allowed once a bypassed plugin has settled: bypass must pass
/// the input through untouched (a finished cross-fade leaves exactly the dry signal).
const BYPASS_TOLERANCE: f32 = 1e-6;
/// Smallest |output − delayed input| expected when the same settings are *not* bypassed, so the
/// bypass check above is not passed by a plugin that happens to be transparent.
const AUDIBLE_DIFFERENCE: f32 = 1e-3;

/// Largest |output[i] − input[i − latency]| over the settled part of a run.
fn largest_difference_from_delayed_input(
    input: &[f32],
    output: &[f32],
    latency: usize,
    skip: usize,
) -> f32 {
    (skip.max(latency)..output.len())
        .map(|index| (output[index] - input[index - latency]).abs())
        .fold(0.0, f32::max)
}

fn check_bypass(plugin: Plugin) -> anyhow::Result<()> {
    let sample_rate = 48_000.0;
    let block_size = 256;
    let tone = signal::sine(
        TONE_HZ,
        TONE_DBFS,
        sample_rate,
        (0.25 * sample_rate) as usize,
    );
    let stereo = [tone.clone(), tone.clone()];
    let skip = (SETTLING_SECONDS * sample_rate) as usize;
    let mut differences = Vec::new();
    for bypassed in [true, false] {
        let mut instance = PluginUnderTest::load(plugin)?;
        // Move the first editable parameter so that processing is clearly audible.
        let moved = probe_param(plugin, &instance);
        let moved_value = value_away_from_default(&mut instance, &moved)?;
        instance.set_param(&moved.name, moved_value)?;
        let bypass = instance
            .bypass_param()
            .unwrap_or_else(|| panic!("{plugin:?} has no bypass parameter"))
            .clone();
        instance.set_param(&bypass.name, if bypassed { 1.0 } else { 0.0 })?;
        instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
        let output = instance.process(&stereo, block_size)?;
        let latency = instance.latency() as usize;
        let difference = output
            .iter()
            .map(|channel| largest_difference_from_delayed_input(&tone, channel, latency, skip))
            .fold(0.0, f32::max);
        println!(
            "{plugin:?} with {:?} at {moved_value} and bypass {}: largest |output − input| \
             {difference:.3e} (latency {latency})",
            moved.name,
            if bypassed { "on" } else { "off" }
        );
        differences.push(difference);
    }
    assert!(
        differences[0] <= BYPASS_TOLERANCE,
        "{plugin:?}: bypassed output should equal the (latency-delayed) input within \
         {BYPASS_TOLERANCE:e}; largest difference {:.3e}",
        differences[0]
    );
    assert!(
        differences[1] >= AUDIBLE_DIFFERENCE,
        "{plugin:?}: with bypass off the moved parameter should change the output by at least \
         {AUDIBLE_DIFFERENCE:e}; largest difference {:.3e}",
        differences[1]
    );
    Ok(())
}

#[test]
fn preamp_bypass_passes_the_input_through() -> anyhow::Result<()> {
    check_bypass(Plugin::Preamp)
}

#[test]
fn power_amp_bypass_passes_the_input_through() -> anyhow::Result<()> {
    check_bypass(Plugin::PowerAmp)
}

/// Frames after the event (beyond the reported latency) within which its effect must show.
const EVENT_EFFECT_WINDOW: usize = 16;

/// Runs two fresh instances on the same input, one with a param-value event at a frame inside
/// the second block: outputs must be bit-identical before the event's frame (nothing happens
/// early) and differ soon after it (it was applied where it was sent, not at a block boundary).
fn check_event_timing(plugin: Plugin) -> anyhow::Result<()> {
    let sample_rate = 48_000.0;
    let block_size = 256;
    let event_frame = block_size + 44;
    let tone = signal::sine(TONE_HZ, TONE_DBFS, sample_rate, 4 * block_size);
    let stereo = [tone.clone(), tone];
    let mut outputs = Vec::new();
    let mut latency = 0;
    for with_event in [false, true] {
        let mut instance = PluginUnderTest::load(plugin)?;
        let param = probe_param(plugin, &instance);
        let target = value_away_from_default(&mut instance, &param)?;
        instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
        latency = instance.latency() as usize;
        let changes = [ParamChange {
            frame: event_frame,
            param_id: param.id,
            value: target,
        }];
        let changes: &[ParamChange] = if with_event { &changes } else { &[] };
        outputs.push(instance.process_with_changes(&stereo, block_size, changes)?);
    }
    for (channel, (plain, evented)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
        let first_difference = plain
            .iter()
            .zip(evented)
            .position(|(a, b)| a.to_bits() != b.to_bits());
        println!(
            "{plugin:?} channel {channel}: event at frame {event_frame}, first output \
             difference at {first_difference:?}, latency {latency}"
        );
        let first_difference = first_difference.unwrap_or_else(|| {
            panic!("{plugin:?} channel {channel}: the event at frame {event_frame} changed nothing")
        });
        assert!(
            first_difference >= event_frame,
            "{plugin:?} channel {channel}: output changed at frame {first_difference}, before the \
             event at frame {event_frame} (applied at the block start instead of its offset?)"
        );
        assert!(
            first_difference < event_frame + latency + EVENT_EFFECT_WINDOW,
            "{plugin:?} channel {channel}: event at frame {event_frame} first showed at frame \
             {first_difference}, later than latency {latency} + {EVENT_EFFECT_WINDOW} frames"
        );
    }
    Ok(())
}

#[test]
fn preamp_param_event_takes_effect_at_its_frame() -> anyhow::Result<()> {
    check_event_timing(Plugin::Preamp)
}

#[test]
fn power_amp_param_event_takes_effect_at_its_frame() -> anyhow::Result<()> {
    check_event_timing(Plugin::PowerAmp)
}

// ----- state -----

fn all_values(instance: &mut PluginUnderTest) -> anyhow::Result<Vec<(String, f64)>> {
    let names: Vec<String> = instance
        .params()
        .iter()
        .map(|param| param.name.clone())
        .collect();
    names
        .into_iter()
        .map(|name| {
            let value = instance.param_value(&name)?;
            Ok((name, value))
        })
        .collect()
}

fn assert_values_match(
    plugin: Plugin,
    instance: &mut PluginUnderTest,
    expected: &[(String, f64)],
    context: &str,
) -> anyhow::Result<()> {
    for ((name, expected_value), (_, actual_value)) in expected.iter().zip(all_values(instance)?) {
        assert!(
            (actual_value - expected_value).abs() <= READBACK_TOLERANCE,
            "{plugin:?} {context}: {name:?} should be the saved {expected_value}, got {actual_value}"
        );
    }
    Ok(())
}

fn check_state(plugin: Plugin) -> anyhow::Result<()> {
    let mut original = PluginUnderTest::load(plugin)?;
    // Move every editable parameter away from its default so the state carries real content.
    let editable = editable_params(&original);
    for param in &editable {
        let value = value_away_from_default(&mut original, param)?;
        original.set_param(&param.name, value)?;
    }
    let saved_values = all_values(&mut original)?;
    let state = original.save_state()?;
    println!(
        "{plugin:?}: saved {} bytes of state with {} parameters moved from their defaults",
        state.len(),
        editable.len()
    );

    // Change a parameter after saving.
    let changed = probe_param(plugin, &original);
    original.set_param(&changed.name, changed.default_value)?;
    let changed_value = original.param_value(&changed.name)?;
    let saved_value = saved_values
        .iter()
        .find(|(name, _)| *name == changed.name)
        .map(|(_, value)| *value)
        .expect("every parameter was read");
    assert!(
        (changed_value - saved_value).abs() > READBACK_TOLERANCE,
        "{plugin:?} {:?}: changing after save should move it off the saved {saved_value}, \
         got {changed_value}",
        changed.name
    );

    // A fresh instance takes the saved state; so does the changed original.
    let mut fresh = PluginUnderTest::load(plugin)?;
    fresh.load_state(&state)?;
    assert_values_match(
        plugin,
        &mut fresh,
        &saved_values,
        "fresh instance after load",
    )?;
    original.load_state(&state)?;
    assert_values_match(
        plugin,
        &mut original,
        &saved_values,
        "original after reload",
    )?;

    // Same state, same input: bit-identical output.
    let sample_rate = 48_000.0;
    let block_size = 512;
    let tone = signal::sine(
        TONE_HZ,
        TONE_DBFS,
        sample_rate,
        (0.25 * sample_rate) as usize,
    );
    let stereo = [tone.clone(), tone];
    let mut outputs = Vec::new();
    for instance in [&mut original, &mut fresh] {
        instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
        outputs.push(instance.process(&stereo, block_size)?);
        instance.deactivate();
    }
    for (channel, (left, right)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
        let first_difference = left
            .iter()
            .zip(right)
            .position(|(a, b)| a.to_bits() != b.to_bits());
        if let Some(index) = first_difference {
            panic!(
                "{plugin:?}: outputs after loading the same state differ on channel {channel} \
                 first at sample {index}: {} vs {}",
                left[index], right[index]
            );
        }
        println!(
            "{plugin:?} channel {channel}: {} samples bit-identical, output {:.2} dBFS RMS",
            left.len(),
            signal::rms_dbfs(left)
        );
    }
    Ok(())
}

#[test]
fn preamp_state_round_trips_into_a_fresh_instance() -> anyhow::Result<()> {
    check_state(Plugin::Preamp)
}

#[test]
fn power_amp_state_round_trips_into_a_fresh_instance() -> anyhow::Result<()> {
    check_state(Plugin::PowerAmp)
}

// ----- latency changes -----

/// Drives a quality change that changes the latency while the plugin is active, then
/// deactivates and reactivates it, and reports how the plugin told the host. The CLAP
/// specification (`ext/latency.h`) allows `clap_host_latency.changed` only inside
/// `clap_plugin.activate`; an active plugin must ask for a restart instead. With
/// `late_callbacks`, the host serves the plugin's `on_main_thread` request only after
/// deactivating it, as clap-validator and a busy host may.
fn check_latency_change_protocol(plugin: Plugin, late_callbacks: bool) -> anyhow::Result<()> {
    let sample_rate = 48_000.0;
    let block_size = 512;
    let mut instance = PluginUnderTest::load(plugin)?;
    let quality = instance.param("quality")?.clone();
    instance.set_defer_main_thread_callbacks(late_callbacks);
    instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
    let latency_before = instance.latency();
    let tone = signal::sine(TONE_HZ, TONE_DBFS, sample_rate, 8 * block_size);
    let changes = [ParamChange {
        frame: 100,
        param_id: quality.id,
        value: quality.max_value,
    }];
    instance.process_with_changes(&[tone.clone(), tone], block_size, &changes)?;
    instance.deactivate();
    instance.serve_main_thread_callbacks_now();
    instance.set_defer_main_thread_callbacks(false);
    instance.activate(sample_rate, 1, block_size, Layout::Stereo)?;
    let latency_after = instance.latency();
    let calls = instance.host_calls();
    println!(
        "{plugin:?} (main-thread callbacks served {}): latency {latency_before} → \
         {latency_after} samples; restart requests {}, latency.changed {} ({} outside activate)",
        if late_callbacks {
            "after deactivation"
        } else {
            "after every block"
        },
        calls.restart_requests,
        calls.latency_changes,
        calls.latency_changes_outside_activate
    );
    assert_ne!(
        latency_before, latency_after,
        "{plugin:?}: the quality change should change the latency (else this checks nothing)"
    );
    assert!(
        calls.latency_changes >= 1,
        "{plugin:?}: the host was never told of the new latency"
    );
    assert_eq!(
        calls.latency_changes_outside_activate, 0,
        "{plugin:?}: clap_host_latency.changed was called outside clap_plugin.activate"
    );
    Ok(())
}

#[test]
fn preamp_reports_a_latency_change_inside_activate_when_callbacks_are_prompt() -> anyhow::Result<()>
{
    check_latency_change_protocol(Plugin::Preamp, false)
}

#[test]
fn power_amp_reports_a_latency_change_inside_activate_when_callbacks_are_prompt()
-> anyhow::Result<()> {
    check_latency_change_protocol(Plugin::PowerAmp, false)
}

#[test]
#[ignore = "not met yet: latency.changed is called 1 time outside activate when on_main_thread is served after deactivation (nice-plug 0.4.2 CLAP wrapper, Task::LatencyChanged on an inactive plugin); clap-validator param-set-events fails the same way"]
fn preamp_reports_a_latency_change_inside_activate_when_callbacks_come_late() -> anyhow::Result<()>
{
    check_latency_change_protocol(Plugin::Preamp, true)
}

#[test]
#[ignore = "not met yet: latency.changed is called 1 time outside activate when on_main_thread is served after deactivation (nice-plug 0.4.2 CLAP wrapper, Task::LatencyChanged on an inactive plugin); clap-validator param-set-events fails the same way"]
fn power_amp_reports_a_latency_change_inside_activate_when_callbacks_come_late()
-> anyhow::Result<()> {
    check_latency_change_protocol(Plugin::PowerAmp, true)
}
