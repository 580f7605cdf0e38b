//! `cargo xtask render` on generated WAV files through both built plugins: level, latency
//! alignment, presets, quality, and clear errors that leave no output file.

use std::path::{Path, PathBuf};
use std::process::Command;

use gainstage_tests::{LoadedBundle, Plugin, built_bundles, signal};
use gainstage_tools::render::{RenderOptions, prepare, render, render_file};
use gainstage_tools::wav::{self, Audio, SampleFormat};

const RATE: u32 = 48_000;
/// Settling time left out of level measurements: 0.3 s.
const SETTLE: usize = 14_400;

fn scratch(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("gainstage-render-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("scratch folder");
    folder.join(name)
}

fn bundle(plugin: Plugin) -> LoadedBundle {
    LoadedBundle::load(&built_bundles().clap_path(plugin)).expect("bundle loads")
}

fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// Stereo white noise from a small linear congruential generator (Numerical Recipes constants),
/// `length` frames at `amplitude` peak; the right channel is the left one inverted.
fn noise(length: usize, amplitude: f32) -> Audio {
    let mut state: u32 = 12_345;
    let left: Vec<f32> = (0..length)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            amplitude * ((state >> 8) as f32 / (1 << 23) as f32 - 1.0)
        })
        .collect();
    let right = left.iter().map(|sample| -sample).collect();
    Audio {
        sample_rate: RATE,
        channels: vec![left, right],
    }
}

/// The lag (output behind input, frames, in −`range`..=`range`) where the normalised
/// cross-correlation of `input` and `output` peaks, and that peak.
fn correlation_peak(input: &[f32], output: &[f32], range: isize) -> (isize, f64) {
    let length = input.len() as isize;
    let mut best = (0, 0.0_f64);
    for lag in -range..=range {
        let (mut cross, mut input_energy, mut output_energy) = (0.0, 0.0, 0.0);
        for index in range..length - range {
            let x = f64::from(input[index as usize]);
            let y = f64::from(output[(index + lag) as usize]);
            cross += x * y;
            input_energy += x * x;
            output_energy += y * y;
        }
        let normalised = cross / (input_energy * output_energy).sqrt();
        if normalised.abs() > best.1.abs() {
            best = (lag, normalised);
        }
    }
    best
}

#[test]
fn transparent_line_gain_20_db_renders_plus_20_db_within_0_2_db() -> anyhow::Result<()> {
    let input_dbfs = -40.0;
    let tone = signal::sine(1_000.0, input_dbfs, f64::from(RATE), 48_000);
    let input_path = scratch("tone-24bit.wav");
    let output_path = scratch("tone-plus-20.wav");
    wav::write(
        &input_path,
        &Audio {
            sample_rate: RATE,
            channels: vec![tone.clone(), tone],
        },
        SampleFormat::Int24,
    )?;
    let mut options = RenderOptions::new(Plugin::Preamp);
    options.settings = settings(&[("model", "Transparent"), ("input", "Line"), ("gain", "20")]);
    let rendered = render_file(
        &bundle(Plugin::Preamp),
        &options,
        &input_path,
        &output_path,
        SampleFormat::Float32,
    )?;
    let output = wav::read(&output_path)?;
    assert_eq!(output.frames(), 48_000, "output as long as the input");
    for (channel, samples) in output.channels.iter().enumerate() {
        let gain = signal::rms_dbfs(&samples[SETTLE..]) - input_dbfs;
        println!(
            "channel {channel}: {gain:+.3} dB (expected +20 ± 0.2), latency {} compensated, \
             offline {}",
            rendered.latency, rendered.offline
        );
        assert!(
            (gain - 20.0).abs() <= 0.2,
            "channel {channel}: {gain:+.3} dB"
        );
    }
    Ok(())
}

fn check_alignment(
    plugin: Plugin,
    pairs: &[(&str, &str)],
    realtime: bool,
) -> anyhow::Result<usize> {
    let input = noise(24_000, 0.05);
    let mut options = RenderOptions::new(plugin);
    options.settings = settings(pairs);
    options.realtime = realtime;
    let rendered = render(&bundle(plugin), &options, &input)?;
    assert_eq!(rendered.audio.frames(), input.frames(), "same length");
    for channel in 0..2 {
        let (lag, peak) = correlation_peak(
            &input.channels[channel][SETTLE / 4..],
            &rendered.audio.channels[channel][SETTLE / 4..],
            64,
        );
        println!(
            "{} {pairs:?}: channel {channel} correlation peak {peak:+.3} at lag {lag} \
             (reported latency {} compensated, offline {})",
            plugin.display_name(),
            rendered.latency,
            rendered.offline
        );
        assert_eq!(lag, 0, "correlation peak at lag {lag}, expected 0");
        assert!(
            peak.abs() > 0.5,
            "correlation peak {peak:.3} too weak to locate"
        );
    }
    Ok(rendered.latency)
}

// Alignment is checked at linear-phase qualities, whose reported latency is their exact delay;
// a minimum-phase filter's group delay is not a latency and moves the correlation peak a little.

#[test]
fn preamp_render_is_aligned_at_lag_zero_with_its_latency_compensated() -> anyhow::Result<()> {
    // Offline render: the default offline quality (16× linear phase) has a latency.
    let latency = check_alignment(Plugin::Preamp, &[], false)?;
    assert!(
        latency > 0,
        "the offline quality should report a latency, got {latency}"
    );
    let latency = check_alignment(Plugin::Preamp, &[("quality", "8× linear phase")], true)?;
    assert!(
        latency > 0,
        "8× linear phase should report a latency, got {latency}"
    );
    Ok(())
}

#[test]
fn power_amp_render_is_aligned_at_lag_zero_with_its_latency_compensated() -> anyhow::Result<()> {
    let settings = [("offline quality", "8× linear phase")];
    let latency = check_alignment(Plugin::PowerAmp, &settings, false)?;
    assert!(
        latency > 0,
        "8× linear phase should report a latency, got {latency}"
    );
    let latency = check_alignment(Plugin::PowerAmp, &[("quality", "4× linear phase")], true)?;
    assert!(
        latency > 0,
        "4× linear phase should report a latency, got {latency}"
    );
    Ok(())
}

#[test]
fn offline_render_uses_the_offline_quality_and_realtime_the_realtime_one() -> anyhow::Result<()> {
    let bundle = bundle(Plugin::Preamp);
    let mut latencies = Vec::new();
    for realtime in [false, true] {
        let mut options = RenderOptions::new(Plugin::Preamp);
        options.realtime = realtime;
        options.quality = Some("16× linear phase".to_owned());
        let rendered = render(&bundle, &options, &noise(4_800, 0.05))?;
        println!(
            "realtime {realtime}: offline mode {}, latency {}, applied {:?}",
            rendered.offline, rendered.latency, rendered.applied
        );
        assert_eq!(rendered.offline, !realtime, "render mode");
        latencies.push(rendered.latency);
    }
    assert_eq!(
        latencies[0], latencies[1],
        "--quality sets the quality the render uses in either mode"
    );
    // Without --quality, real time runs the default 4× minimum phase (no latency).
    let mut options = RenderOptions::new(Plugin::Preamp);
    options.realtime = true;
    let rendered = render(&bundle, &options, &noise(4_800, 0.05))?;
    println!("realtime, default quality: latency {}", rendered.latency);
    assert!(
        rendered.latency < latencies[0],
        "default real-time latency below 16× linear"
    );
    Ok(())
}

#[test]
fn factory_presets_set_their_values_through_the_host() -> anyhow::Result<()> {
    let mut options = RenderOptions::new(Plugin::Preamp);
    options.preset = Some("warm VOCAL".to_owned());
    let (mut instance, _, applied) = prepare(&bundle(Plugin::Preamp), &options)?;
    let mut shown = Vec::new();
    for key in ["model", "voicing", "gain", "output", "lowcut_slope"] {
        let value = instance.param_value(key)?;
        shown.push(instance.value_to_text(key, value)?);
    }
    println!("Warm vocal: {shown:?} ({applied:?})");
    assert_eq!(
        shown,
        ["Tube", "Vocal", "46.0 dB", "-3.0 dB", "18 dB/oct"],
        "preamp preset values"
    );

    let mut options = RenderOptions::new(Plugin::PowerAmp);
    options.preset = Some("Plexi 50 W into 4×12".to_owned());
    options.settings = settings(&[("sag", "10 %")]);
    let (mut instance, _, _) = prepare(&bundle(Plugin::PowerAmp), &options)?;
    let mut shown = Vec::new();
    for key in ["type", "watts", "speaker", "sag"] {
        let value = instance.param_value(key)?;
        shown.push(instance.value_to_text(key, value)?);
    }
    println!("Plexi then sag=10 %: {shown:?}");
    assert_eq!(
        shown,
        [
            "Tube push-pull EL34",
            "50.0 W",
            "4×12 closed-back guitar",
            "10 %"
        ],
        "power-amp preset values, then --set overrides"
    );
    Ok(())
}

fn tools_binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gainstage-tools"));
    command.env(
        gainstage_tests::bundle::BUNDLE_DIR_VARIABLE,
        &built_bundles().directory,
    );
    command
}

fn failed_render(arguments: &[&str], input: &Path, output: &Path) -> String {
    let run = tools_binary()
        .arg("render")
        .arg(input)
        .arg(output)
        .args(arguments)
        .output()
        .expect("gainstage-tools runs");
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    println!(
        "{arguments:?}: exit {:?}, stderr: {}",
        run.status.code(),
        stderr.trim()
    );
    assert!(!run.status.success(), "{arguments:?} should fail");
    assert!(!output.exists(), "{arguments:?} left an output file");
    stderr
}

#[test]
fn unknown_parameters_values_and_bad_files_are_errors_that_write_nothing() -> anyhow::Result<()> {
    let input = scratch("short.wav");
    wav::write(&input, &noise(4_800, 0.1), SampleFormat::Int16)?;
    let output = scratch("never-written.wav");
    let _ = std::fs::remove_file(&output);

    let stderr = failed_render(
        &["--plugin", "preamp", "--set", "warmth=3"],
        &input,
        &output,
    );
    assert!(stderr.contains("warmth"), "names the unknown parameter");
    let stderr = failed_render(
        &["--plugin", "preamp", "--set", "model=Banana"],
        &input,
        &output,
    );
    assert!(
        stderr.contains("Banana") && stderr.contains("Tube"),
        "names the bad value and the choices"
    );
    let stderr = failed_render(
        &["--plugin", "poweramp", "--set", "sag=lots"],
        &input,
        &output,
    );
    assert!(
        stderr.contains("lots") && stderr.contains("Sag"),
        "names value and parameter"
    );
    let stderr = failed_render(&["--plugin", "preamp", "--preset", "Nope"], &input, &output);
    assert!(
        stderr.contains("Nope") && stderr.contains("Warm vocal"),
        "lists the presets"
    );
    let stderr = failed_render(&["--plugin", "mixer"], &input, &output);
    assert!(stderr.contains("mixer"), "names the unknown plugin");

    let not_wav = scratch("not-audio.wav");
    std::fs::write(&not_wav, "not audio")?;
    let stderr = failed_render(&["--plugin", "preamp"], &not_wav, &output);
    assert!(stderr.contains("not-audio.wav"), "names the bad file");

    let run = tools_binary()
        .arg("render")
        .arg(&input)
        .arg(&output)
        .args([
            "--plugin",
            "poweramp",
            "--set",
            "type=class d",
            "--format",
            "int24",
        ])
        .output()?;
    println!(
        "good render: {}",
        String::from_utf8_lossy(&run.stderr).trim()
    );
    assert!(run.status.success(), "a good render succeeds");
    assert_eq!(
        wav::read(&output)?.frames(),
        4_800,
        "and writes the whole file"
    );
    Ok(())
}
