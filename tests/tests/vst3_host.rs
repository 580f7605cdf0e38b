//! Host-level tests of both Gainstage plugins through their release VST3 bundles and the
//! project's own VST3 host (`gainstage_tests::vst3_host`): factory and class info, the
//! component/controller wiring, bus arrangements, parameters and their text, sample-accurate
//! parameter changes, component and controller state, and clean termination (every host object's
//! reference count back to one).
//!
//! The rate × block size × layout matrix, automation every sample and state identity for both
//! formats are in `host_behaviour.rs`.

use gainstage_tests::vst3_host::{
    AUDIO_MODULE_CLASS, Vst3Module, Vst3ParamDescription, Vst3PluginUnderTest, reference_count,
};
use gainstage_tests::{Layout, ParamChange, Plugin, built_bundles, signal};

/// The test tone: 1 kHz at nominal line level (−18 dBFS RMS).
const TONE_HZ: f64 = 1_000.0;
const TONE_DBFS: f64 = -18.0;
/// Frames after a change (beyond the reported latency) within which its effect must show.
const EVENT_EFFECT_WINDOW: usize = 16;

/// `PClassInfo2::subCategories` must say what the plugin is: an effect that distorts.
const REQUIRED_SUB_CATEGORIES: [&str; 2] = ["Fx", "Distortion"];

fn check_factory_and_class_info(plugin: Plugin) -> anyhow::Result<()> {
    let module = Vst3Module::load(&built_bundles().vst3_path(plugin))?;
    let (has_factory2, has_factory3) = module.factory_versions();
    let factory = module.factory_info()?;
    let classes = module.classes()?;
    println!(
        "{plugin:?}: library {}, IPluginFactory2 {has_factory2}, IPluginFactory3 {has_factory3}, \
         factory {factory:?}\nclasses {classes:#?}",
        module.path().display()
    );
    assert!(
        has_factory2 && has_factory3,
        "{plugin:?}: factory 2 and 3 expected"
    );
    assert_eq!(factory.vendor, "Gainstage", "{plugin:?} factory vendor");
    let audio_classes: Vec<_> = classes
        .iter()
        .filter(|class| class.category == AUDIO_MODULE_CLASS)
        .collect();
    assert_eq!(audio_classes.len(), 1, "{plugin:?}: one audio module class");
    let class = audio_classes[0];
    assert_eq!(class.name, plugin.display_name(), "{plugin:?} class name");
    assert_eq!(class.vendor, "Gainstage", "{plugin:?} class vendor");
    assert_eq!(
        class.version,
        env!("CARGO_PKG_VERSION"),
        "{plugin:?} class version"
    );
    assert_eq!(
        class.factory_version, 3,
        "{plugin:?}: info merged from factory 3"
    );
    assert!(
        class.sdk_version.starts_with("VST 3"),
        "{plugin:?} SDK {:?}",
        class.sdk_version
    );
    for sub_category in REQUIRED_SUB_CATEGORIES {
        assert!(
            class
                .sub_categories
                .split('|')
                .any(|part| part == sub_category),
            "{plugin:?} sub-categories {:?} lack {sub_category:?}",
            class.sub_categories
        );
    }
    Ok(())
}

#[test]
fn preamp_vst3_factory_lists_one_audio_effect_class_with_full_info() -> anyhow::Result<()> {
    check_factory_and_class_info(Plugin::Preamp)
}

#[test]
fn power_amp_vst3_factory_lists_one_audio_effect_class_with_full_info() -> anyhow::Result<()> {
    check_factory_and_class_info(Plugin::PowerAmp)
}

/// Parameters a host user can change: not the bypass, automatable, visible, writable.
fn editable_params(instance: &Vst3PluginUnderTest) -> Vec<Vst3ParamDescription> {
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

/// A normalised value a quarter of the range from the default, snapped to the step grid.
fn value_away_from_default(param: &Vst3ParamDescription) -> f64 {
    let away = if param.default_normalized < 0.5 {
        param.default_normalized + 0.25
    } else {
        param.default_normalized - 0.25
    };
    if param.step_count > 0 {
        let steps = f64::from(param.step_count);
        let snapped = (away * steps).round() / steps;
        if (snapped - param.default_normalized).abs() < 0.5 / steps {
            // At least one step away.
            if param.default_normalized < 0.5 {
                param.default_normalized + 1.0 / steps
            } else {
                param.default_normalized - 1.0 / steps
            }
        } else {
            snapped
        }
    } else {
        away
    }
}

fn check_params_and_wiring(plugin: Plugin) -> anyhow::Result<()> {
    let mut instance = Vst3PluginUnderTest::load(plugin)?;
    println!(
        "{plugin:?}: separate controller {}, {} parameters",
        instance.has_separate_controller(),
        instance.params().len()
    );
    let editable = editable_params(&instance);
    assert!(!editable.is_empty(), "{plugin:?}: no editable parameters");
    let bypass: Vec<_> = instance
        .params()
        .iter()
        .filter(|param| param.is_bypass())
        .collect();
    assert_eq!(
        bypass.len(),
        1,
        "{plugin:?}: one kIsBypass parameter, got {bypass:?}"
    );
    let mut ids: Vec<u32> = instance.params().iter().map(|param| param.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        instance.params().len(),
        "{plugin:?}: parameter IDs are unique"
    );
    for param in &editable {
        assert!(
            (0.0..=1.0).contains(&param.default_normalized),
            "{plugin:?} {}: default {} outside 0..=1",
            param.title,
            param.default_normalized
        );
        let current = instance.param_normalized(param.id);
        assert_eq!(
            current, param.default_normalized,
            "{plugin:?} {}: a fresh instance is at its default",
            param.title
        );
        let target = value_away_from_default(param);
        let text = instance.value_to_text(param.id, target)?;
        let parsed = instance.text_to_value(param.id, &text)?;
        // nice-plug stores values as f32: a stepped value comes back within f32 precision.
        let tolerance = if param.step_count > 0 { 1e-6 } else { 0.01 };
        println!(
            "{plugin:?} {:>28}: default {:.4}, {:.4} reads {text:?}, parses back to {parsed:.4} \
             (steps {})",
            param.title, param.default_normalized, target, param.step_count
        );
        assert!(
            (parsed - target).abs() <= tolerance,
            "{plugin:?} {}: {target} → {text:?} → {parsed}",
            param.title
        );
        instance.set_param_normalized(param.id, parsed)?;
        let read_back = instance.param_normalized(param.id);
        assert!(
            (read_back - parsed).abs() <= 1e-6,
            "{plugin:?} {}: set {parsed}, read back {read_back}",
            param.title
        );
    }
    // Bus arrangement: both layouts are accepted and reported back.
    for layout in Layout::ALL {
        instance.activate(48_000.0, 512, layout)?;
        let (name, channels, flags) = instance.audio_bus(true, 0)?;
        println!(
            "{plugin:?} {layout:?}: main input bus {name:?}, {channels} channels, flags {flags}"
        );
        let tone = signal::sine(TONE_HZ, TONE_DBFS, 48_000.0, 4_800);
        let input = vec![tone; layout.channel_count()];
        let output = instance.process(&input, 512)?;
        assert!(
            output.iter().flatten().all(|sample| sample.is_finite()),
            "{plugin:?} {layout:?}: output not finite"
        );
        instance.deactivate();
    }
    let handler_calls = instance.component_handler().calls();
    println!("{plugin:?}: component handler calls {handler_calls:?}");
    assert_eq!(
        instance.component_handler().open_edits(),
        0,
        "{plugin:?}: every beginEdit is closed by an endEdit"
    );
    Ok(())
}

#[test]
fn preamp_vst3_params_text_round_trip_and_buses_follow_the_layout() -> anyhow::Result<()> {
    check_params_and_wiring(Plugin::Preamp)
}

#[test]
fn power_amp_vst3_params_text_round_trip_and_buses_follow_the_layout() -> anyhow::Result<()> {
    check_params_and_wiring(Plugin::PowerAmp)
}

/// The parameter the change-timing check moves: the first editable continuous one.
fn probe_param(instance: &Vst3PluginUnderTest) -> Vst3ParamDescription {
    let editable = editable_params(instance);
    editable
        .iter()
        .find(|param| param.step_count == 0)
        .or(editable.first())
        .cloned()
        .expect("an editable parameter")
}

/// Two fresh instances process the same tone, one with a parameter change at a frame inside the
/// second block: outputs are bit-identical before that frame and differ soon after it.
fn check_change_timing(plugin: Plugin) -> anyhow::Result<()> {
    let sample_rate = 48_000.0;
    let block_size = 256;
    let event_frame = block_size + 44;
    let tone = signal::sine(TONE_HZ, TONE_DBFS, sample_rate, 4 * block_size);
    let stereo = [tone.clone(), tone];
    let mut outputs = Vec::new();
    let mut latency = 0;
    let mut param_title = String::new();
    for with_change in [false, true] {
        let mut instance = Vst3PluginUnderTest::load(plugin)?;
        let param = probe_param(&instance);
        param_title = param.title.clone();
        instance.activate(sample_rate, block_size, Layout::Stereo)?;
        latency = instance.latency() as usize;
        let changes = [ParamChange {
            frame: event_frame,
            param_id: param.id,
            value: value_away_from_default(&param),
        }];
        let changes: &[ParamChange] = if with_change { &changes } else { &[] };
        outputs.push(instance.process_with_changes(&stereo, block_size, changes)?);
        // The controller must read back what the processor received through IParameterChanges.
        let expected = if with_change {
            changes[0].value
        } else {
            param.default_normalized
        };
        let read_back = instance.param_normalized(param.id);
        println!(
            "{plugin:?} {param_title}: controller reads {read_back:.6} after processing \
             (expected {expected:.6}); output parameter change points {}",
            instance.output_change_points()
        );
        assert!(
            (read_back - expected).abs() <= 1e-6,
            "{plugin:?} {param_title}: controller reads {read_back}, processor was sent {expected}"
        );
    }
    for (channel, (plain, changed)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
        let first_difference = plain
            .iter()
            .zip(changed)
            .position(|(a, b)| a.to_bits() != b.to_bits());
        println!(
            "{plugin:?} channel {channel}: {param_title} changed at frame {event_frame}, first \
             output difference at {first_difference:?}, latency {latency}"
        );
        let first_difference = first_difference.unwrap_or_else(|| {
            panic!("{plugin:?} channel {channel}: the change at frame {event_frame} did nothing")
        });
        assert!(
            first_difference >= event_frame,
            "{plugin:?} channel {channel}: output changed at {first_difference}, before the \
             change at {event_frame}"
        );
        assert!(
            first_difference < event_frame + latency + EVENT_EFFECT_WINDOW,
            "{plugin:?} channel {channel}: change at {event_frame} first showed at \
             {first_difference}, later than latency {latency} + {EVENT_EFFECT_WINDOW}"
        );
    }
    Ok(())
}

#[test]
fn preamp_vst3_param_change_takes_effect_at_its_sample_offset() -> anyhow::Result<()> {
    check_change_timing(Plugin::Preamp)
}

#[test]
fn power_amp_vst3_param_change_takes_effect_at_its_sample_offset() -> anyhow::Result<()> {
    check_change_timing(Plugin::PowerAmp)
}

/// Moves every editable parameter away from its default in one instance, saves the component
/// and controller state, loads it into a fresh instance and compares every parameter.
fn check_state(plugin: Plugin) -> anyhow::Result<()> {
    let mut source = Vst3PluginUnderTest::load(plugin)?;
    for param in editable_params(&source) {
        source.set_param_normalized(param.id, value_away_from_default(&param))?;
    }
    // Apply the pending changes to the processor side too.
    source.activate(48_000.0, 64, Layout::Stereo)?;
    source.process(&[vec![0.0_f32; 64], vec![0.0; 64]], 64)?;
    source.deactivate();
    let state = source.save_state()?;
    println!(
        "{plugin:?}: component state {} bytes, controller state {} bytes",
        state.component.len(),
        state.controller.len()
    );
    assert!(
        !state.component.is_empty(),
        "{plugin:?}: empty component state"
    );
    let mut target = Vst3PluginUnderTest::load(plugin)?;
    target.load_state(&state)?;
    let mut compared = 0;
    for param in editable_params(&source) {
        let expected = source.param_normalized(param.id);
        let loaded = target.param_normalized(param.id);
        assert!(
            (expected - loaded).abs() <= 1e-6,
            "{plugin:?} {}: saved {expected}, loaded {loaded}",
            param.title
        );
        assert_ne!(
            loaded, param.default_normalized,
            "{plugin:?} {}: still at its default after loading",
            param.title
        );
        compared += 1;
    }
    println!("{plugin:?}: {compared} parameters restored through the VST3 state streams");
    assert_eq!(
        target.save_state()?,
        state,
        "{plugin:?}: re-saved state differs"
    );
    Ok(())
}

#[test]
fn preamp_vst3_state_round_trips_through_component_and_controller_streams() -> anyhow::Result<()> {
    check_state(Plugin::Preamp)
}

#[test]
fn power_amp_vst3_state_round_trips_through_component_and_controller_streams() -> anyhow::Result<()>
{
    check_state(Plugin::PowerAmp)
}

/// After a full life cycle and termination, the plugin holds no reference to any host object.
fn check_termination(plugin: Plugin) -> anyhow::Result<()> {
    let mut instance = Vst3PluginUnderTest::load(plugin)?;
    let host_application = instance.host_application().clone();
    let handler = instance.component_handler().clone();
    instance.activate(44_100.0, 128, Layout::Stereo)?;
    instance.process(&[vec![0.25_f32; 300], vec![-0.25; 300]], 128)?;
    instance.reset()?;
    instance.deactivate();
    let during = (
        reference_count(&host_application),
        reference_count(&handler),
    );
    instance.terminate()?;
    drop(instance);
    let after = (
        reference_count(&host_application),
        reference_count(&handler),
    );
    println!(
        "{plugin:?}: references (host application, component handler) while alive {during:?} \
         (test + host), after termination {after:?}"
    );
    assert_eq!(
        after,
        (1, 1),
        "{plugin:?}: the plugin kept host objects alive"
    );
    Ok(())
}

#[test]
fn preamp_vst3_terminates_and_releases_every_host_object() -> anyhow::Result<()> {
    check_termination(Plugin::Preamp)
}

#[test]
fn power_amp_vst3_terminates_and_releases_every_host_object() -> anyhow::Result<()> {
    check_termination(Plugin::PowerAmp)
}
