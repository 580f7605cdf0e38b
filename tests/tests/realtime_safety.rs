//! Real-time safety (issue 7 item 5): `process` never allocates, for every model and setting of
//! both plugins, in both formats.
//!
//! How the check works. nice-plug's `assert_process_allocs` feature installs
//! `nice_assert_no_alloc::AllocDisabler` as the plugin library's global allocator and wraps the
//! whole CLAP and VST3 `process` call (parameter events included) in `assert_no_alloc`; any
//! allocation or deallocation inside it then calls `handle_alloc_error`, which aborts the
//! process. Both halves exist only with `debug_assertions` (`#[cfg(all(debug_assertions, feature =
//! "assert_process_allocs"))]` in nice-plug's `wrapper/util.rs`), so a release bundle checks
//! nothing. This file therefore builds debug-profile bundles with the feature on
//! (`gainstage_tests::bundle::alloc_check_bundles`, into `target/alloc-check`).
//!
//! Because a violation aborts the whole process, each sweep runs in a child process (this test
//! binary again, running one of the ignored `child_*` tests); the parent test fails with the
//! child's output if the child dies or does not report its sweep as passed.
//!
//! The sweep, per format and plugin, at 48 kHz stereo unless said otherwise:
//! 1. every value of every switch (models, voicings, input types, impedances, qualities, amp
//!    types, loads, speakers, modes, A/B and on/off switches), each set by an event in the middle
//!    of a block, then 50 ms of audio so cross-fades run and finish;
//! 2. every continuous parameter to its minimum and maximum the same way;
//! 3. every combination of the main switches ([`combination_keys`]), each applied at a block start;
//! 4. every offline-quality value with the plugin rendering offline;
//! 5. every sample rate × mono and stereo with a random parameter moved on every sample in blocks
//!    of random size.
//!
//! `bundle_has_the_allocation_checker_compiled_in` shows the checker is in the debug bundles and
//! absent from the release ones, from the checker's own message text in the libraries.

use std::process::Command;
use std::time::Instant;

use gainstage_tests::bundle::{
    ALLOC_CHECK_BUNDLE_DIR_VARIABLE, alloc_check_bundles, built_bundles,
};
use gainstage_tests::host::nice_plug_param_hash;
use gainstage_tests::host_matrix::{
    AutomationTarget, BlockPlan, Format, HostedPlugin, SAMPLE_RATES, SplitMix64,
    per_sample_automation, test_input, with_instance_from,
};
use gainstage_tests::vst3_host::library_path;
use gainstage_tests::{Layout, ParamChange, Plugin};

const SAMPLE_RATE: f64 = 48_000.0;
const BLOCK_SIZE: usize = 512;
/// Audio after each change in parts 1, 2 and 4: 50 ms, longer than any switching cross-fade.
const SETTLE_FRAMES: usize = 2_400;
/// Frame (inside the first block) at which a part-1/2 change is sent.
const CHANGE_FRAME: usize = 100;
/// Audio per combination in part 3.
const COMBINATION_FRAMES: usize = 1_024;
/// Audio per rate and layout in part 5.
const AUTOMATION_FRAMES: usize = 4_096;

/// The switches whose every combination part 3 runs, by nice-plug string ID.
fn combination_keys(plugin: Plugin) -> &'static [&'static str] {
    match plugin {
        Plugin::Preamp => &["model", "voicing", "input", "quality"],
        Plugin::PowerAmp => &["type", "nominal", "speaker", "quality"],
    }
}

/// The offline-quality switch, by nice-plug string ID.
fn offline_quality_key(plugin: Plugin) -> &'static str {
    match plugin {
        Plugin::Preamp => "offline_quality",
        Plugin::PowerAmp => "offline_q",
    }
}

fn target<'a>(targets: &'a [AutomationTarget], key: &str) -> anyhow::Result<&'a AutomationTarget> {
    let id = nice_plug_param_hash(key);
    targets
        .iter()
        .find(|target| target.id == id)
        .ok_or_else(|| anyhow::anyhow!("no automatable parameter with string ID {key:?}"))
}

fn normalised_step(target: &AutomationTarget, step: u32) -> f64 {
    f64::from(step) / f64::from(target.step_count)
}

/// What one sweep did.
#[derive(Debug, Default)]
struct SweepReport {
    switch_values: usize,
    continuous_extremes: usize,
    combinations: usize,
    offline_values: usize,
    automated_runs: usize,
    process_calls: usize,
    frames: usize,
}

fn process_settled(
    instance: &mut dyn HostedPlugin,
    channels: usize,
    changes: &[ParamChange],
    frames: usize,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let input = test_input(SAMPLE_RATE, channels, frames, frames as u64);
    let blocks = BlockPlan::Fixed(BLOCK_SIZE).block_sizes(frames);
    let output = instance.process_blocks(&input, &blocks, changes)?;
    anyhow::ensure!(
        output.iter().flatten().all(|sample| sample.is_finite()),
        "output not finite after {changes:?}"
    );
    report.process_calls += blocks.len();
    report.frames += frames;
    Ok(())
}

fn sweep(instance: &mut dyn HostedPlugin, plugin: Plugin) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    let targets = instance.automation_targets();
    let channels = Layout::Stereo.channel_count();
    instance.activate(SAMPLE_RATE, BLOCK_SIZE, Layout::Stereo)?;

    // 1 and 2: every switch value and every continuous extreme, one at a time.
    for target in &targets {
        let values: Vec<f64> = if target.step_count > 0 {
            (0..=target.step_count)
                .map(|step| normalised_step(target, step))
                .collect()
        } else {
            vec![0.0, 1.0]
        };
        for value in values {
            let change = ParamChange {
                frame: CHANGE_FRAME,
                param_id: target.id,
                value,
            };
            process_settled(instance, channels, &[change], SETTLE_FRAMES, &mut report)?;
            if target.step_count > 0 {
                report.switch_values += 1;
            } else {
                report.continuous_extremes += 1;
            }
        }
        // Back to a middle setting so the next parameter runs in a usual context.
        let middle = if target.step_count > 0 {
            normalised_step(target, target.step_count / 2)
        } else {
            0.5
        };
        let change = ParamChange {
            frame: 0,
            param_id: target.id,
            value: middle,
        };
        process_settled(instance, channels, &[change], BLOCK_SIZE, &mut report)?;
    }

    // 3: every combination of the main switches.
    let keys = combination_keys(plugin);
    let switches: Vec<&AutomationTarget> = keys
        .iter()
        .map(|key| target(&targets, key))
        .collect::<anyhow::Result<_>>()?;
    let total: usize = switches
        .iter()
        .map(|switch| switch.step_count as usize + 1)
        .product();
    for index in 0..total {
        let mut rest = index;
        let changes: Vec<ParamChange> = switches
            .iter()
            .map(|switch| {
                let values = switch.step_count as usize + 1;
                let step = (rest % values) as u32;
                rest /= values;
                ParamChange {
                    frame: 0,
                    param_id: switch.id,
                    value: normalised_step(switch, step),
                }
            })
            .collect();
        process_settled(
            instance,
            channels,
            &changes,
            COMBINATION_FRAMES,
            &mut report,
        )?;
        report.combinations += 1;
    }
    instance.deactivate();

    // 4: every offline quality, rendering offline.
    let offline_quality = target(&targets, offline_quality_key(plugin))?.clone();
    instance.set_offline(true)?;
    for step in 0..=offline_quality.step_count {
        instance.set_normalized(offline_quality.id, normalised_step(&offline_quality, step))?;
        instance.activate(SAMPLE_RATE, BLOCK_SIZE, Layout::Stereo)?;
        process_settled(instance, channels, &[], SETTLE_FRAMES, &mut report)?;
        instance.deactivate();
        report.offline_values += 1;
    }
    instance.set_offline(false)?;

    // 5: every rate and layout, a random parameter moved every sample, random block sizes.
    let mut random = SplitMix64::new(0xA110C + plugin as u64);
    for sample_rate in SAMPLE_RATES {
        for layout in Layout::ALL {
            instance.activate(sample_rate, BLOCK_SIZE, layout)?;
            let input = test_input(sample_rate, layout.channel_count(), AUTOMATION_FRAMES, 7);
            let changes = per_sample_automation(&targets, 0..AUTOMATION_FRAMES, &mut random);
            let mut blocks = Vec::new();
            let mut remaining = AUTOMATION_FRAMES;
            while remaining > 0 {
                let size = (1 + random.below(BLOCK_SIZE)).min(remaining);
                blocks.push(size);
                remaining -= size;
            }
            let output = instance.process_blocks(&input, &blocks, &changes)?;
            anyhow::ensure!(
                output.iter().flatten().all(|sample| sample.is_finite()),
                "{sample_rate} Hz {layout:?}: output not finite"
            );
            instance.reset()?;
            instance.deactivate();
            report.automated_runs += 1;
            report.process_calls += blocks.len();
            report.frames += AUTOMATION_FRAMES;
        }
    }
    Ok(report)
}

/// The line a child prints when its sweep completed.
const SWEEP_PASSED: &str = "ALLOC SWEEP PASSED";

/// Runs the sweep in this process on the allocation-checking bundle (an allocation aborts).
fn child(format: Format, plugin: Plugin) {
    let started = Instant::now();
    let report = with_instance_from(alloc_check_bundles(), format, plugin, |instance| {
        sweep(instance, plugin)
    })
    .unwrap_or_else(|error| panic!("{format:?} {plugin:?} sweep failed: {error:#}"));
    println!(
        "{SWEEP_PASSED} {format:?} {plugin:?}: {} switch values, {} continuous extremes, {} \
         combinations of {:?}, {} offline qualities, {} automated rate/layout runs; {} process \
         calls, {} frames, no allocation; {:.1} s",
        report.switch_values,
        report.continuous_extremes,
        report.combinations,
        combination_keys(plugin),
        report.offline_values,
        report.automated_runs,
        report.process_calls,
        report.frames,
        started.elapsed().as_secs_f64()
    );
}

/// Runs `child_test` in a child process and fails with its output unless it passed.
fn run_in_child(child_test: &str, format: Format, plugin: Plugin) {
    // Build (or locate) the bundles here, once, so the child does not build them again.
    let bundles = alloc_check_bundles();
    let started = Instant::now();
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([
            child_test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ALLOC_CHECK_BUNDLE_DIR_VARIABLE, &bundles.directory)
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout.lines().find_map(|line| {
        line.find(SWEEP_PASSED)
            .map(|start| line[start..].to_owned())
    });
    println!(
        "{format:?} {plugin:?}: child exited with {} after {:.1} s\n{}",
        output.status,
        started.elapsed().as_secs_f64(),
        summary.as_deref().unwrap_or("(no sweep summary)")
    );
    if !output.status.success() || summary.is_none() {
        let tail: Vec<&str> = stderr.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "{format:?} {plugin:?}: the allocation sweep failed ({}). An abort here (SIGABRT) \
             with \"memory allocation of N bytes failed\" means `process` allocated.\nstdout:\n\
             {stdout}\nstderr (last lines):\n{}",
            output.status,
            tail.join("\n")
        );
    }
}

#[test]
#[ignore = "child process of clap_preamp_process_never_allocates_for_any_setting"]
fn child_clap_preamp() {
    child(Format::Clap, Plugin::Preamp);
}

#[test]
#[ignore = "child process of clap_power_amp_process_never_allocates_for_any_setting"]
fn child_clap_power_amp() {
    child(Format::Clap, Plugin::PowerAmp);
}

#[test]
#[ignore = "child process of vst3_preamp_process_never_allocates_for_any_setting"]
fn child_vst3_preamp() {
    child(Format::Vst3, Plugin::Preamp);
}

#[test]
#[ignore = "child process of vst3_power_amp_process_never_allocates_for_any_setting"]
fn child_vst3_power_amp() {
    child(Format::Vst3, Plugin::PowerAmp);
}

#[test]
fn clap_preamp_process_never_allocates_for_any_setting() {
    run_in_child("child_clap_preamp", Format::Clap, Plugin::Preamp);
}

#[test]
fn clap_power_amp_process_never_allocates_for_any_setting() {
    run_in_child("child_clap_power_amp", Format::Clap, Plugin::PowerAmp);
}

#[test]
fn vst3_preamp_process_never_allocates_for_any_setting() {
    run_in_child("child_vst3_preamp", Format::Vst3, Plugin::Preamp);
}

#[test]
fn vst3_power_amp_process_never_allocates_for_any_setting() {
    run_in_child("child_vst3_power_amp", Format::Vst3, Plugin::PowerAmp);
}

/// The abort-mode message `nice_assert_no_alloc` logs before aborting (its `log` feature, which
/// nice-plug enables): present only where the checker is compiled in.
const CHECKER_MESSAGE: &[u8] = b"Memory allocation of ";

fn count_occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

#[test]
fn bundle_has_the_allocation_checker_compiled_in() -> anyhow::Result<()> {
    let checked = alloc_check_bundles();
    let release = built_bundles();
    for plugin in Plugin::ALL {
        for (kind, bundles, expected) in [("debug", checked, true), ("release", release, false)] {
            let libraries = [
                bundles.clap_path(plugin),
                library_path(&bundles.vst3_path(plugin)),
            ];
            for library in libraries {
                let bytes = std::fs::read(&library)?;
                let found = count_occurrences(&bytes, CHECKER_MESSAGE);
                println!(
                    "{plugin:?} {kind} {}: checker message found {found} time(s)",
                    library.display()
                );
                assert_eq!(
                    found > 0,
                    expected,
                    "{plugin:?} {kind} {}: the allocation checker should {}be compiled in",
                    library.display(),
                    if expected { "" } else { "not " }
                );
            }
        }
    }
    Ok(())
}
