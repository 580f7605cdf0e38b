//! The benchmark report: what each preamp model and power-amp type and load costs, written to
//! `docs/benchmarks.md`.
//!
//! Every figure comes from the built CLAP bundle running in the project's CLAP host, a stereo
//! instance at 48 kHz in blocks of 512 frames, fed nominal-level (−18 dBFS RMS) pink noise after
//! a warm-up:
//!
//! - **CPU ÷ audio time** (the real-time factor): thread CPU time spent in the host's process
//!   calls divided by the duration of the audio processed; the best of three passes, which on a
//!   shared machine is the figure least disturbed by other work.
//! - **Instructions per channel-sample**: callgrind counts the instructions executed inside
//!   [`callgrind_measured_section`] (the plugin's `process` plus the host's copying of each
//!   block, a few instructions per sample) in a separate run of this binary under valgrind (one
//!   run per plugin, a dump per case), divided by frames × 2 channels. Deterministic, so it is
//!   the figure to compare between commits.
//!
//! "Default quality" is the Quality parameter's default; "highest quality" its last choice
//! (each plugin lists its qualities from cheapest to best).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use gainstage_tests::{Layout, LoadedBundle, Plugin, PluginUnderTest};

use crate::cpu_time::{COUNTS_CPU_TIME, ThreadCpuClock};
use crate::program::pink_noise;
use crate::settings::{
    BundleSource, PluginName, apply_settings, instantiate, short_name, step_texts, workspace_root,
};

/// The hidden command that measures one configuration under callgrind.
pub const WORKER_COMMAND: &str = "bench-worker";
/// Sample rate of every measurement, Hz.
pub const SAMPLE_RATE: f64 = 48_000.0;
/// Block size of every measurement, frames.
pub const BLOCK_SIZE: usize = 512;
/// Warm-up before any measurement, seconds.
pub const WARM_UP_SECONDS: f64 = 0.5;
/// Level of the pink noise measured with, dBFS RMS.
pub const INPUT_RMS_DBFS: f64 = -18.0;
/// Passes of the real-time-factor measurement; the fastest counts.
pub const TIMING_PASSES: usize = 3;

/// One configuration to measure: a plugin with settings given as (parameter, text).
#[derive(Debug, Clone)]
pub struct BenchCase {
    /// The plugin.
    pub plugin: Plugin,
    /// Settings, applied in order.
    pub settings: Vec<(String, String)>,
    /// Table cells describing the case (model or type, load, quality).
    pub labels: Vec<String>,
}

/// What one case measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// The case.
    pub case: BenchCase,
    /// CPU time ÷ audio time.
    pub real_time_factor: f64,
    /// Instructions per channel-sample, if callgrind ran.
    pub instructions_per_sample: Option<f64>,
    /// Latency the plugin reported, frames.
    pub latency: u32,
}

/// The cases for `plugin`: every preamp model, or every power-amp type (default load) and every
/// load (default type), each at default and highest quality.
pub fn cases(bundle: &LoadedBundle, plugin: Plugin) -> anyhow::Result<Vec<BenchCase>> {
    let mut instance = instantiate(bundle, plugin)?;
    let quality = instance.param("quality")?.clone();
    let qualities = step_texts(&mut instance, &quality)?;
    let default_quality = instance.value_to_text("quality", quality.default_value)?;
    let highest_quality = qualities.last().cloned().context("no quality choices")?;
    let both_qualities = [default_quality, highest_quality];
    let choices =
        |instance: &mut PluginUnderTest, key: &str| -> anyhow::Result<(Vec<String>, String)> {
            let param = instance.param(key)?.clone();
            let default = instance.value_to_text(key, param.default_value)?;
            Ok((step_texts(instance, &param)?, default))
        };
    let mut cases = Vec::new();
    match plugin {
        Plugin::Preamp => {
            let (models, _) = choices(&mut instance, "model")?;
            for model in &models {
                for quality in &both_qualities {
                    cases.push(BenchCase {
                        plugin,
                        settings: vec![
                            ("model".to_owned(), model.clone()),
                            ("quality".to_owned(), quality.clone()),
                        ],
                        labels: vec![model.clone(), quality.clone()],
                    });
                }
            }
        }
        Plugin::PowerAmp => {
            let (types, default_type) = choices(&mut instance, "type")?;
            let (loads, default_load) = choices(&mut instance, "speaker")?;
            for amp_type in &types {
                for quality in &both_qualities {
                    cases.push(BenchCase {
                        plugin,
                        settings: vec![
                            ("type".to_owned(), amp_type.clone()),
                            ("quality".to_owned(), quality.clone()),
                        ],
                        labels: vec![amp_type.clone(), default_load.clone(), quality.clone()],
                    });
                }
            }
            for load in loads.iter().filter(|load| **load != default_load) {
                for quality in &both_qualities {
                    cases.push(BenchCase {
                        plugin,
                        settings: vec![
                            ("speaker".to_owned(), load.clone()),
                            ("quality".to_owned(), quality.clone()),
                        ],
                        labels: vec![default_type.clone(), load.clone(), quality.clone()],
                    });
                }
            }
        }
    }
    Ok(cases)
}

/// A stereo instance of `case`, activated and warmed up, and the noise it is measured with.
fn prepared_instance(
    bundle: &LoadedBundle,
    case_plugin: Plugin,
    settings: &[(String, String)],
    seconds: f64,
) -> anyhow::Result<(PluginUnderTest, [Vec<f32>; 2])> {
    let mut instance = instantiate(bundle, case_plugin)?;
    apply_settings(&mut instance, settings)?;
    instance.activate(SAMPLE_RATE, 1, BLOCK_SIZE, Layout::Stereo)?;
    let warm_up = pink_noise(1, (WARM_UP_SECONDS * SAMPLE_RATE) as usize, INPUT_RMS_DBFS);
    instance.process(&warm_up, BLOCK_SIZE)?;
    let input = pink_noise(2, (seconds * SAMPLE_RATE) as usize, INPUT_RMS_DBFS);
    Ok((instance, input))
}

/// Processes `input` on `instance`: the only code callgrind counts in a worker run. Kept out
/// of line and free of closures so that its name marks exactly this work.
#[inline(never)]
pub fn callgrind_measured_section(
    instance: &mut PluginUnderTest,
    input: &[Vec<f32>; 2],
) -> anyhow::Result<Vec<Vec<f32>>> {
    instance.process(input, BLOCK_SIZE)
}

/// The real-time factor of `case`: best of [`TIMING_PASSES`] passes over `seconds` of audio.
pub fn measure_real_time_factor(
    bundle: &LoadedBundle,
    case: &BenchCase,
    seconds: f64,
) -> anyhow::Result<(f64, u32)> {
    let (mut instance, input) = prepared_instance(bundle, case.plugin, &case.settings, seconds)?;
    let latency = instance.latency();
    let mut best = f64::INFINITY;
    for _ in 0..TIMING_PASSES {
        let clock = ThreadCpuClock::start();
        let output = callgrind_measured_section(&mut instance, &input)?;
        best = best.min(clock.elapsed().as_secs_f64());
        ensure!(
            output.iter().flatten().all(|sample| sample.is_finite()),
            "non-finite output from {:?}",
            case.labels
        );
    }
    Ok((best / seconds, latency))
}

/// The callgrind function-name pattern that switches counting on and off around
/// [`callgrind_measured_section`], and after which each case's counts are dumped.
const MEASURED_SECTION: &str = "gainstage_tools::bench::callgrind_measured_section";

/// Whether valgrind can be run.
pub fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Instructions per channel-sample of each of `plugin`'s [`cases`], in order, over `seconds`
/// of audio each, counted by callgrind in one worker run of this binary (the plugin's one-time
/// tables are then built once, not once per case). Callgrind dumps its counts each time
/// [`callgrind_measured_section`] returns, so dump *k* holds case *k*.
pub fn measure_instructions(
    bundle_directory: &Path,
    plugin: Plugin,
    case_count: usize,
    seconds: f64,
) -> anyhow::Result<Vec<f64>> {
    let folder = std::env::temp_dir().join(format!(
        "gainstage-callgrind-{}-{}",
        std::process::id(),
        short_name(plugin)
    ));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder)?;
    let output_file = folder.join("callgrind.out");
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect={MEASURED_SECTION}"))
        .arg(format!("--dump-after={MEASURED_SECTION}"))
        .arg(format!("--callgrind-out-file={}", output_file.display()))
        .arg(std::env::current_exe()?)
        .arg(WORKER_COMMAND)
        .args(["--plugin", short_name(plugin)])
        .arg("--bundle-dir")
        .arg(bundle_directory)
        .args(["--seconds", &seconds.to_string()])
        .output()
        .context("running valgrind")?;
    ensure!(
        run.status.success(),
        "callgrind run failed ({}):\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    // Dumps are numbered parts: callgrind.out.1, callgrind.out.2, …
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(&folder)? {
        let path = entry?.path();
        let part = path
            .extension()
            .and_then(|extension| extension.to_str())
            .and_then(|extension| extension.parse::<usize>().ok());
        if let Some(part) = part {
            parts.push((part, path));
        }
    }
    parts.sort();
    ensure!(
        parts.len() >= case_count,
        "callgrind wrote {} dumps for {case_count} cases (is {MEASURED_SECTION} in the binary?)",
        parts.len()
    );
    let frames = (seconds * SAMPLE_RATE) as usize;
    let mut counts = Vec::with_capacity(case_count);
    for (_, path) in &parts[..case_count] {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let instructions = callgrind_total(&text)?;
        ensure!(
            instructions > 0,
            "callgrind counted nothing in {}",
            path.display()
        );
        counts.push(instructions as f64 / (frames * 2) as f64);
    }
    let _ = std::fs::remove_dir_all(&folder);
    Ok(counts)
}

/// The event total of a callgrind output file (its `totals:` line, else `summary:`).
pub fn callgrind_total(text: &str) -> anyhow::Result<u64> {
    let find = |prefix: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse::<u64>().ok())
    };
    find("totals:")
        .or_else(|| find("summary:"))
        .context("no totals: or summary: line in the callgrind output")
}

/// `bench-worker --plugin P --bundle-dir D --seconds S`: prepares each of the plugin's
/// [`cases`] in turn and runs [`callgrind_measured_section`] once for it (run under callgrind
/// by `bench`).
pub fn run_worker(arguments: Vec<String>) -> anyhow::Result<()> {
    let mut plugin = None;
    let mut bundle_directory = None;
    let mut seconds = 0.5;
    let mut iterator = arguments.into_iter();
    while let Some(option) = iterator.next() {
        let value = iterator
            .next()
            .with_context(|| format!("{option} needs a value"))?;
        match option.as_str() {
            "--plugin" => plugin = Some(value.parse::<PluginName>()?.0),
            "--bundle-dir" => bundle_directory = Some(PathBuf::from(value)),
            "--seconds" => seconds = value.parse()?,
            other => bail!("{WORKER_COMMAND}: unknown option {other:?}"),
        }
    }
    let plugin = plugin.context("--plugin is required")?;
    let bundle =
        BundleSource::Folder(bundle_directory.context("--bundle-dir is required")?).load(plugin)?;
    for case in cases(&bundle, plugin)? {
        let (mut instance, input) = prepared_instance(&bundle, plugin, &case.settings, seconds)?;
        callgrind_measured_section(&mut instance, &input)?;
    }
    Ok(())
}

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Plugins to measure.
    pub plugins: Vec<Plugin>,
    /// Audio per timing pass, seconds.
    pub timing_seconds: f64,
    /// Audio counted by callgrind, seconds.
    pub callgrind_seconds: f64,
    /// Run callgrind (needs valgrind).
    pub callgrind: bool,
    /// Where the report goes.
    pub output: PathBuf,
}

/// `bench [--plugin P] [--seconds S] [--callgrind-seconds S] [--no-callgrind] [--output FILE]
/// [--bundle-dir D]`.
pub fn run_command(arguments: Vec<String>) -> anyhow::Result<()> {
    let mut options = BenchOptions {
        plugins: Plugin::ALL.to_vec(),
        timing_seconds: 4.0,
        callgrind_seconds: 0.5,
        callgrind: true,
        output: workspace_root().join("docs").join("benchmarks.md"),
    };
    let mut source = BundleSource::from_environment();
    let mut iterator = arguments.into_iter();
    while let Some(option) = iterator.next() {
        if option == "--no-callgrind" {
            options.callgrind = false;
            continue;
        }
        let value = iterator
            .next()
            .with_context(|| format!("{option} needs a value"))?;
        match option.as_str() {
            "--plugin" => options.plugins = vec![value.parse::<PluginName>()?.0],
            "--seconds" => options.timing_seconds = value.parse()?,
            "--callgrind-seconds" => options.callgrind_seconds = value.parse()?,
            "--output" => options.output = PathBuf::from(value),
            "--bundle-dir" => source = BundleSource::Folder(PathBuf::from(value)),
            other => bail!("bench: unknown option {other:?}"),
        }
    }
    ensure!(
        options.timing_seconds > 0.0 && options.callgrind_seconds > 0.0,
        "durations must be positive"
    );
    if options.callgrind && !valgrind_available() {
        eprintln!("valgrind not found: instruction counts are left out (install valgrind)");
        options.callgrind = false;
    }
    let machine = MachineInfo::gather();
    let source = source.resolved()?;
    let bundles = source.bundles()?;
    let mut results = Vec::new();
    for plugin in &options.plugins {
        let bundle = source.load(*plugin)?;
        let plugin_cases = cases(&bundle, *plugin)?;
        let instructions = if options.callgrind {
            eprintln!(
                "{}: counting instructions of {} cases under callgrind…",
                plugin.display_name(),
                plugin_cases.len()
            );
            measure_instructions(
                &bundles.directory,
                *plugin,
                plugin_cases.len(),
                options.callgrind_seconds,
            )?
            .into_iter()
            .map(Some)
            .collect()
        } else {
            vec![None; plugin_cases.len()]
        };
        for (case, instructions_per_sample) in plugin_cases.into_iter().zip(instructions) {
            let (real_time_factor, latency) =
                measure_real_time_factor(&bundle, &case, options.timing_seconds)?;
            eprintln!(
                "{} {}: {:.4} CPU s per audio s, {} instructions per channel-sample, latency {latency}",
                plugin.display_name(),
                case.labels.join(" / "),
                real_time_factor,
                instructions_per_sample.map_or("—".to_owned(), |count| format!("{count:.0}")),
            );
            results.push(BenchResult {
                case,
                real_time_factor,
                instructions_per_sample,
                latency,
            });
        }
    }
    let report = markdown_report(&machine, &options, &results);
    if let Some(folder) = options.output.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(&options.output, report)
        .with_context(|| format!("writing {}", options.output.display()))?;
    eprintln!("wrote {}", options.output.display());
    Ok(())
}

/// Where and when a report was made.
#[derive(Debug, Clone)]
pub struct MachineInfo {
    /// CPU model name.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Operating system and kernel.
    pub system: String,
    /// `rustc --version`.
    pub rustc: String,
    /// UTC date and time.
    pub date: String,
    /// Git commit (short hash, `-dirty` with uncommitted changes).
    pub commit: String,
    /// One-minute load average when the run started.
    pub load: String,
}

fn command_text(program: &str, arguments: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(arguments)
        .current_dir(workspace_root())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

impl MachineInfo {
    /// Reads the machine's facts (what cannot be read says "unknown").
    pub fn gather() -> Self {
        let unknown = || "unknown".to_owned();
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(unknown);
        let dirty = command_text("git", &["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|status| !status.is_empty());
        let commit = command_text("git", &["rev-parse", "--short", "HEAD"])
            .map(|hash| if dirty { format!("{hash}-dirty") } else { hash })
            .unwrap_or_else(unknown);
        Self {
            cpu,
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            system: command_text("uname", &["-srm"]).unwrap_or_else(unknown),
            rustc: command_text("rustc", &["--version"]).unwrap_or_else(unknown),
            date: command_text("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(unknown),
            commit,
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|text| text.split_whitespace().next().map(str::to_owned))
                .unwrap_or_else(unknown),
        }
    }
}

/// The markdown report for `results`.
pub fn markdown_report(
    machine: &MachineInfo,
    options: &BenchOptions,
    results: &[BenchResult],
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Benchmarks\n");
    let _ = writeln!(
        text,
        "Generated by `cargo xtask bench` on {} at commit `{}`. Re-run it to refresh this file.\n",
        machine.date, machine.commit
    );
    let _ = writeln!(text, "| machine | |\n|---|---|");
    let _ = writeln!(
        text,
        "| CPU | {} ({} logical CPUs) |",
        machine.cpu, machine.cpus
    );
    let _ = writeln!(text, "| system | {} |", machine.system);
    let _ = writeln!(text, "| compiler | {} |", machine.rustc);
    let _ = writeln!(text, "| load average at start | {} |\n", machine.load);
    let clock = if COUNTS_CPU_TIME {
        "thread CPU time"
    } else {
        "wall time"
    };
    let _ = writeln!(
        text,
        "How: each row is the release CLAP bundle in the project's CLAP host (not the DSP engine \
         alone), one stereo instance at {:.0} kHz in blocks of {BLOCK_SIZE} frames, fed pink \
         noise at {INPUT_RMS_DBFS} dBFS RMS after {WARM_UP_SECONDS} s of warm-up, every other \
         parameter at its default.\n",
        SAMPLE_RATE / 1_000.0
    );
    let _ = writeln!(
        text,
        "- **CPU ÷ audio**: {clock} in the process calls ÷ audio duration ({:.0} s of audio, \
         best of {TIMING_PASSES} passes); below 1 is faster than real time. **× real time** is \
         its inverse. On a busy machine this figure varies by tens of percent between runs.",
        options.timing_seconds
    );
    let _ = writeln!(
        text,
        "- **Instructions / channel-sample**: callgrind's instruction count over {} s of audio \
         ÷ (frames × 2 channels), including the host's block copies (a few instructions per \
         sample). Deterministic: compare this column between commits.",
        options.callgrind_seconds
    );
    let _ = writeln!(
        text,
        "- Default quality is each plugin's Quality default; highest is its last Quality \
         choice. Latency is what the plugin reports at that quality, in samples at 48 kHz.\n"
    );
    for plugin in Plugin::ALL {
        let rows: Vec<&BenchResult> = results
            .iter()
            .filter(|result| result.case.plugin == plugin)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(text, "## {}\n", plugin.display_name());
        let headers: &[&str] = match plugin {
            Plugin::Preamp => &["Model", "Quality"],
            Plugin::PowerAmp => &["Amp type", "Load", "Quality"],
        };
        let _ = writeln!(
            text,
            "| {} | CPU ÷ audio | × real time | instructions / channel-sample | latency |",
            headers.join(" | ")
        );
        let _ = writeln!(
            text,
            "|{}---:|---:|---:|---:|",
            "---|".repeat(headers.len())
        );
        for row in rows {
            let _ = writeln!(
                text,
                "| {} | {:.4} | {:.0} | {} | {} |",
                row.case.labels.join(" | "),
                row.real_time_factor,
                1.0 / row.real_time_factor,
                row.instructions_per_sample
                    .map_or("—".to_owned(), |count| format!("{count:.0}")),
                row.latency
            );
        }
        let _ = writeln!(text);
    }
    format!("{}\n", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callgrind_totals_line_is_read_before_the_summary() {
        let text = "version: 1\ncmd: x\nevents: Ir\nsummary: 999\nfn=(1) f\n0 5\ntotals: 12345\n";
        assert_eq!(callgrind_total(text).unwrap(), 12_345);
        assert_eq!(callgrind_total("events: Ir\nsummary: 77\n").unwrap(), 77);
        assert!(callgrind_total("events: Ir\n").is_err());
    }
}
