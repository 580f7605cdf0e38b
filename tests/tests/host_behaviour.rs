//! Host behaviour, both formats × both plugins (issue 7 item 2), through the release bundles:
//! every sample rate from 22.05 kHz to 384 kHz × mono and stereo × blocks of 1, 7, 64, 512,
//! 4096 and 8192 frames and seeded random sizes, with activate/deactivate and reset cycles and a
//! random parameter moved on every sample; and state saved in one instance and loaded into
//! another giving bit-identical output. The checks live in `gainstage_tests::host_matrix`, written
//! once for both hosts; each test here prints what it measured.

use std::time::Instant;

use gainstage_tests::Plugin;
use gainstage_tests::host_matrix::{
    BlockPlan, Format, OUTPUT_BOUND, SAMPLE_RATES, run_matrix, run_state_identity,
};

/// Random settings per format and plugin in the state-identity check.
const STATE_SETTINGS: usize = 8;

fn check_matrix(format: Format, plugin: Plugin) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = run_matrix(format, plugin)?;
    let expected_runs = SAMPLE_RATES.len() * 2 * BlockPlan::ALL.len();
    println!(
        "{format:?} {plugin:?}: {} runs ({} rates × 2 layouts × {} block plans), {} frames, {} \
         per-sample parameter changes, {} activations, {} resets, all finite; peak {:.3} \
         (bound {OUTPUT_BOUND}) in {}; {:.1} s",
        report.runs,
        SAMPLE_RATES.len(),
        BlockPlan::ALL.len(),
        report.frames,
        report.changes,
        report.activations,
        report.resets,
        report.peak,
        report.peak_run,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(report.runs, expected_runs, "every combination runs");
    Ok(())
}

fn check_state_identity(format: Format, plugin: Plugin) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = run_state_identity(format, plugin, STATE_SETTINGS)?;
    println!(
        "{format:?} {plugin:?}: {} random settings saved and loaded into a fresh instance, {} \
         frames bit-identical, largest state {} bytes; {:.1} s",
        report.settings,
        report.frames_compared,
        report.largest_state,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(report.settings, STATE_SETTINGS, "every setting compared");
    Ok(())
}

#[test]
fn clap_preamp_runs_every_rate_block_plan_and_layout_with_per_sample_automation_finite()
-> anyhow::Result<()> {
    check_matrix(Format::Clap, Plugin::Preamp)
}

#[test]
fn clap_power_amp_runs_every_rate_block_plan_and_layout_with_per_sample_automation_finite()
-> anyhow::Result<()> {
    check_matrix(Format::Clap, Plugin::PowerAmp)
}

#[test]
fn vst3_preamp_runs_every_rate_block_plan_and_layout_with_per_sample_automation_finite()
-> anyhow::Result<()> {
    check_matrix(Format::Vst3, Plugin::Preamp)
}

#[test]
fn vst3_power_amp_runs_every_rate_block_plan_and_layout_with_per_sample_automation_finite()
-> anyhow::Result<()> {
    check_matrix(Format::Vst3, Plugin::PowerAmp)
}

#[test]
fn clap_preamp_state_loaded_into_another_instance_gives_bit_identical_output() -> anyhow::Result<()>
{
    check_state_identity(Format::Clap, Plugin::Preamp)
}

#[test]
fn clap_power_amp_state_loaded_into_another_instance_gives_bit_identical_output()
-> anyhow::Result<()> {
    check_state_identity(Format::Clap, Plugin::PowerAmp)
}

#[test]
fn vst3_preamp_state_loaded_into_another_instance_gives_bit_identical_output() -> anyhow::Result<()>
{
    check_state_identity(Format::Vst3, Plugin::Preamp)
}

#[test]
fn vst3_power_amp_state_loaded_into_another_instance_gives_bit_identical_output()
-> anyhow::Result<()> {
    check_state_identity(Format::Vst3, Plugin::PowerAmp)
}
