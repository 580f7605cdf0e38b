//! The soak: a long render with random automation of every parameter, checked for NaN/Inf,
//! runaway DC and cost that creeps up over time.
//!
//! The run is cut into windows (a minute each in the hour-long soak). Each window plays fresh
//! [`Program`] material and sets every automatable parameter to a random value at its start,
//! then keeps moving them at random frames, so a window's input and settings depend only on its
//! seed. The last `compare_windows` windows replay the seeds of the first ones: the plugin gets
//! exactly the same work again after the whole run. Its cost there is compared with that of a
//! fresh instance, created when the replay starts, which does the same work interleaved with it
//! second by second on the same thread, so both see the same machine load: the ratio (CPU time
//! of the soaked instance ÷ the fresh one's over the replay) is what a fresh instance would have
//! paid in the first windows, measured under today's conditions. The first and last windows'
//! own median CPU times are reported too, but on a shared machine they move with its load. The
//! host honours the plugin's restart requests (quality changes move the latency) between
//! one-second chunks, as a DAW would.
//!
//! DC is checked two ways. Runaway DC is DC that stays: once the input has been silent for
//! [`SILENCE_SETTLE_SECONDS`], the output's mean over the rest of that silence must stay within
//! [`SILENCE_DC_LIMIT`]. And DC must not grow over the run: the largest one-second mean of the
//! replayed last windows may not exceed that of the first windows (which had exactly the same
//! input and settings) by more than [`MEAN_GROWTH_LIMIT`]. The largest one-second mean itself is
//! reported but not limited: a driven power amp into a reactive load legitimately puts out
//! strongly asymmetric signals far above 0 dBFS.

use anyhow::Context;
use gainstage_tests::{Layout, LoadedBundle, ParamChange, Plugin, PluginUnderTest};

use crate::cpu_time::ThreadCpuClock;
use crate::program::{Program, automatable, random_automation};
use crate::random::SplitMix64;
use crate::settings::instantiate;

/// How a soak runs and what it accepts.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The plugin.
    pub plugin: Plugin,
    /// Number of windows.
    pub windows: usize,
    /// Length of a window, seconds (whole seconds).
    pub window_seconds: usize,
    /// Windows at each end whose cost is compared; the last ones replay the first ones.
    pub compare_windows: usize,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Seed of the whole run.
    pub seed: u64,
    /// Largest block size; each one-second chunk uses a random power of two from 32 up to it.
    pub max_block_size: usize,
    /// Limit on the absolute output mean over silent input, after the settling time.
    pub silence_dc_limit: f64,
    /// Limit on the soaked instance's CPU time ÷ a fresh instance's over the replay.
    pub cost_drift_limit: f64,
}

impl SoakConfig {
    /// The full soak: one hour of 48 kHz stereo in one-minute windows, the last ten replaying
    /// the first ten.
    pub fn hour(plugin: Plugin) -> Self {
        Self::minutes(plugin, 60)
    }

    /// `minutes` of 48 kHz stereo in one-minute windows (at least 2), comparing up to ten at
    /// each end (a third of the run each when shorter).
    pub fn minutes(plugin: Plugin, minutes: usize) -> Self {
        let windows = minutes.max(2);
        Self {
            plugin,
            windows,
            window_seconds: 60,
            compare_windows: (windows / 3).clamp(1, 10),
            sample_rate: 48_000,
            seed: 0x5EED_50A4,
            max_block_size: 512,
            silence_dc_limit: SILENCE_DC_LIMIT,
            cost_drift_limit: COST_DRIFT_LIMIT,
        }
    }

    /// A short soak: `windows` windows of `window_seconds` each (at least 4 windows), comparing
    /// a quarter at each end.
    pub fn short(plugin: Plugin, windows: usize, window_seconds: usize) -> Self {
        let windows = windows.max(4);
        Self {
            window_seconds: window_seconds.max(1),
            windows,
            compare_windows: windows / 4,
            ..Self::minutes(plugin, 2)
        }
    }

    fn window_seed(&self, window: usize) -> u64 {
        let replayed = self.windows - self.compare_windows;
        let source = if window >= replayed {
            window - replayed
        } else {
            window
        };
        self.seed ^ (source as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Silent input for this long (seconds) before the output's mean is checked: covers the
/// latency and several time constants of a 1 Hz DC blocker (τ ≈ 0.16 s).
pub const SILENCE_SETTLE_SECONDS: f64 = 1.0;
/// Shortest stretch of settled silence (seconds) whose mean is checked.
pub const SILENCE_MEASURE_SECONDS: f64 = 0.1;
/// Largest allowed absolute output mean over settled silence (−40 dBFS): a blocker's decaying
/// tail is far below it, an offset that stays is not.
pub const SILENCE_DC_LIMIT: f64 = 0.01;
/// The last windows' largest one-second mean may exceed the first windows' by this factor, plus
/// [`SILENCE_DC_LIMIT`] (the replay starts from a different filter state).
pub const MEAN_GROWTH_LIMIT: f64 = 1.5;
/// Largest allowed ratio of the soaked instance's CPU time to a fresh instance's on the same
/// work, interleaved: room for measurement noise, not for a trend.
pub const COST_DRIFT_LIMIT: f64 = 1.25;

/// What one window measured.
#[derive(Debug, Clone)]
pub struct WindowFigures {
    /// Window index from 0.
    pub index: usize,
    /// CPU time spent in `process` (thread CPU time), seconds.
    pub cpu_seconds: f64,
    /// Wall time spent in `process`, seconds.
    pub wall_seconds: f64,
    /// CPU time a fresh instance spent on the same work, interleaved (replayed windows only;
    /// 0 elsewhere), seconds.
    pub fresh_cpu_seconds: f64,
    /// Largest absolute output sample.
    pub peak: f32,
    /// Largest absolute one-second mean of either channel.
    pub largest_mean: f64,
    /// Largest absolute output mean over a stretch of settled silent input (0 if none).
    pub silence_mean: f64,
    /// Settled silent input in this window, seconds.
    pub silence_seconds: f64,
    /// Output samples that were NaN or infinite.
    pub non_finite: usize,
    /// Restart requests honoured in this window.
    pub restarts: u32,
}

/// The result of a soak.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// The configuration that ran.
    pub config: SoakConfig,
    /// Per-window figures.
    pub windows: Vec<WindowFigures>,
    /// Parameters automated.
    pub automated_params: usize,
    /// Parameter changes sent.
    pub param_changes: usize,
    /// Resident memory after the first window and before the replay (before the fresh
    /// instance exists), bytes (Linux only).
    pub resident_bytes: Option<(u64, u64)>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

impl SoakReport {
    /// Seconds of audio rendered.
    pub fn audio_seconds(&self) -> f64 {
        (self.windows.len() * self.config.window_seconds) as f64
    }

    /// Median CPU time of the first and of the last `compare_windows` windows, seconds.
    pub fn first_and_last_cost(&self) -> (f64, f64) {
        let count = self.config.compare_windows.min(self.windows.len());
        let mut first: Vec<f64> = self.windows[..count]
            .iter()
            .map(|w| w.cpu_seconds)
            .collect();
        let mut last: Vec<f64> = self.windows[self.windows.len() - count..]
            .iter()
            .map(|w| w.cpu_seconds)
            .collect();
        (median(&mut first), median(&mut last))
    }

    /// CPU time of the soaked instance and of the fresh one over the replayed windows, seconds.
    pub fn replay_cost(&self) -> (f64, f64) {
        let count = self.config.compare_windows.min(self.windows.len());
        let replay = &self.windows[self.windows.len() - count..];
        (
            replay.iter().map(|w| w.cpu_seconds).sum(),
            replay.iter().map(|w| w.fresh_cpu_seconds).sum(),
        )
    }

    /// Soaked ÷ fresh CPU time over the replay.
    pub fn cost_drift(&self) -> f64 {
        let (soaked, fresh) = self.replay_cost();
        soaked / fresh
    }

    /// Output samples that were NaN or infinite, over the run.
    pub fn non_finite(&self) -> usize {
        self.windows.iter().map(|w| w.non_finite).sum()
    }

    /// Largest absolute one-second mean of the run.
    pub fn largest_mean(&self) -> f64 {
        self.windows
            .iter()
            .map(|w| w.largest_mean)
            .fold(0.0, f64::max)
    }

    /// Largest absolute output mean over settled silence in the run.
    pub fn silence_mean(&self) -> f64 {
        self.windows
            .iter()
            .map(|w| w.silence_mean)
            .fold(0.0, f64::max)
    }

    /// Settled silent input checked over the run, seconds.
    pub fn silence_seconds(&self) -> f64 {
        self.windows.iter().map(|w| w.silence_seconds).sum()
    }

    /// Largest one-second mean of the first and of the last `compare_windows` windows.
    pub fn first_and_last_mean(&self) -> (f64, f64) {
        let count = self.config.compare_windows.min(self.windows.len());
        let largest =
            |windows: &[WindowFigures]| windows.iter().map(|w| w.largest_mean).fold(0.0, f64::max);
        (
            largest(&self.windows[..count]),
            largest(&self.windows[self.windows.len() - count..]),
        )
    }

    /// Largest absolute output sample of the run.
    pub fn peak(&self) -> f32 {
        self.windows.iter().map(|w| w.peak).fold(0.0, f32::max)
    }

    /// Total CPU time in `process` ÷ audio time.
    pub fn real_time_factor(&self) -> f64 {
        self.windows.iter().map(|w| w.cpu_seconds).sum::<f64>() / self.audio_seconds()
    }

    /// Every limit the run broke, in words (empty if it passed).
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.non_finite() > 0 {
            failures.push(format!("{} NaN/Inf output samples", self.non_finite()));
        }
        if self.silence_mean() > self.config.silence_dc_limit {
            failures.push(format!(
                "runaway DC: output mean {:.2e} over settled silent input (limit {})",
                self.silence_mean(),
                self.config.silence_dc_limit
            ));
        }
        let (first_mean, last_mean) = self.first_and_last_mean();
        if last_mean > first_mean * MEAN_GROWTH_LIMIT + self.config.silence_dc_limit {
            failures.push(format!(
                "DC grew: largest one-second mean {first_mean:.3e} at the start, {last_mean:.3e} \
                 in the replay at the end (limit ×{MEAN_GROWTH_LIMIT} + {})",
                self.config.silence_dc_limit
            ));
        }
        if self.silence_seconds() == 0.0 {
            failures.push("no settled silence in the program: DC was not checked".to_owned());
        }
        if self.cost_drift() > self.config.cost_drift_limit {
            failures.push(format!(
                "cost drifted up: soaked/fresh {:.3} over the replay (limit {})",
                self.cost_drift(),
                self.config.cost_drift_limit
            ));
        }
        failures
    }

    /// A short human-readable summary with every figure.
    pub fn summary(&self) -> String {
        let (first, last) = self.first_and_last_cost();
        let unit = if self.config.window_seconds == 60 {
            "minute"
        } else {
            "window"
        };
        let memory = match self.resident_bytes {
            Some((start, end)) => format!(
                "; resident memory {:.1} MiB after the first {unit}, {:.1} MiB before the replay",
                start as f64 / 1_048_576.0,
                end as f64 / 1_048_576.0
            ),
            None => String::new(),
        };
        format!(
            "{}: {:.0} s of {} Hz stereo, {} parameters automated ({} changes), {} restarts \
             honoured; NaN/Inf samples {}; output mean over {:.0} s of settled silence at most \
             {:.2e} (limit {}); largest 1-s mean {:.2e} (first {} {unit}s {:.2e}, replayed last \
             {:.2e}); peak {:.3}; CPU time per {unit}: first {} median {:.3} s, last {} median {:.3} s \
             (ratio {:.3}, machine load included); replay soaked {:.2} s vs fresh instance \
             {:.2} s interleaved: ratio {:.3} (limit {}); overall {:.4} CPU s per audio \
             s{memory}",
            self.config.plugin.display_name(),
            self.audio_seconds(),
            self.config.sample_rate,
            self.automated_params,
            self.param_changes,
            self.windows.iter().map(|w| w.restarts).sum::<u32>(),
            self.non_finite(),
            self.silence_seconds(),
            self.silence_mean(),
            self.config.silence_dc_limit,
            self.largest_mean(),
            self.config.compare_windows,
            self.first_and_last_mean().0,
            self.first_and_last_mean().1,
            self.peak(),
            self.config.compare_windows,
            first,
            self.config.compare_windows,
            last,
            last / first,
            self.replay_cost().0,
            self.replay_cost().1,
            self.cost_drift(),
            self.config.cost_drift_limit,
            self.real_time_factor(),
        )
    }
}

/// Follows stretches of silent input and measures the output's mean once each has settled.
struct SilenceTracker {
    settle_frames: usize,
    measure_frames: usize,
    silent_run: usize,
    sums: [f64; 2],
    measured: usize,
}

impl SilenceTracker {
    fn new(sample_rate: f64) -> Self {
        Self {
            settle_frames: (SILENCE_SETTLE_SECONDS * sample_rate) as usize,
            measure_frames: (SILENCE_MEASURE_SECONDS * sample_rate) as usize,
            silent_run: 0,
            sums: [0.0; 2],
            measured: 0,
        }
    }

    /// Takes one frame; returns (largest absolute channel mean, seconds) when a measured
    /// stretch of settled silence ends.
    fn push(&mut self, silent_input: bool, left: f32, right: f32) -> Option<(f64, f64)> {
        if !silent_input {
            self.silent_run = 0;
            return self.finish();
        }
        self.silent_run += 1;
        if self.silent_run > self.settle_frames {
            self.sums[0] += f64::from(left);
            self.sums[1] += f64::from(right);
            self.measured += 1;
        }
        None
    }

    /// Ends the current stretch (at a window boundary the stretch is measured, and the next
    /// window starts counting afresh, with new settings).
    fn finish(&mut self) -> Option<(f64, f64)> {
        let measured = std::mem::take(&mut self.measured);
        let sums = std::mem::take(&mut self.sums);
        self.silent_run = 0;
        if measured < self.measure_frames.max(1) {
            return None;
        }
        let mean = sums
            .iter()
            .map(|sum| (sum / measured as f64).abs())
            .fold(0.0, f64::max);
        Some((
            mean,
            measured as f64 / self.settle_frames as f64 * SILENCE_SETTLE_SECONDS,
        ))
    }
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4_096)
}

/// One stereo instance as a DAW drives it: activated, processing one-second chunks, restarted
/// between chunks when it asks.
struct Runner {
    instance: PluginUnderTest,
    sample_rate: f64,
    max_block_size: usize,
}

impl Runner {
    fn new(bundle: &LoadedBundle, config: &SoakConfig) -> anyhow::Result<Self> {
        let mut runner = Self {
            instance: instantiate(bundle, config.plugin)?,
            sample_rate: f64::from(config.sample_rate),
            max_block_size: config.max_block_size,
        };
        runner.activate()?;
        Ok(runner)
    }

    fn activate(&mut self) -> anyhow::Result<()> {
        self.instance
            .activate(self.sample_rate, 1, self.max_block_size, Layout::Stereo)
    }

    /// Processes one chunk; returns the output, the CPU time spent in `process` (seconds) and
    /// whether the instance was restarted afterwards at its request.
    fn process(
        &mut self,
        input: &[&[f32]; 2],
        block_size: usize,
        changes: &[ParamChange],
    ) -> anyhow::Result<(Vec<Vec<f32>>, f64, bool)> {
        let restarts_before = self.instance.host_calls().restart_requests;
        let clock = ThreadCpuClock::start();
        let output = self
            .instance
            .process_with_changes(input, block_size, changes)?;
        let cpu_seconds = clock.elapsed().as_secs_f64();
        let restart = self.instance.host_calls().restart_requests != restarts_before;
        if restart {
            self.instance.deactivate();
            self.activate()?;
        }
        Ok((output, cpu_seconds, restart))
    }
}

/// Runs the soak in `config` on the plugin in `bundle`, calling `progress` after each window.
pub fn run(
    bundle: &LoadedBundle,
    config: &SoakConfig,
    mut progress: impl FnMut(&WindowFigures),
) -> anyhow::Result<SoakReport> {
    anyhow::ensure!(
        config.windows >= 2 * config.compare_windows && config.compare_windows >= 1,
        "a soak needs at least twice {} windows",
        config.compare_windows
    );
    let mut start_memory = None;
    let mut end_memory = None;
    let sample_rate = f64::from(config.sample_rate);
    let mut soaked = Runner::new(bundle, config)?;
    let params = automatable(soaked.instance.params());
    let mut fresh: Option<Runner> = None;
    let chunk = config.sample_rate as usize;
    let window_frames = chunk * config.window_seconds;
    let mut block_sizes = Vec::new();
    let mut block = 32;
    while block <= config.max_block_size {
        block_sizes.push(block);
        block *= 2;
    }
    let mut windows = Vec::with_capacity(config.windows);
    let mut param_changes = 0;
    let mut left = vec![0.0_f32; chunk];
    let mut right = vec![0.0_f32; chunk];
    let mut silence = SilenceTracker::new(sample_rate);
    for index in 0..config.windows {
        if index == config.windows - config.compare_windows {
            end_memory = resident_bytes();
            fresh = Some(Runner::new(bundle, config)?);
        }
        let seed = config.window_seed(index);
        let mut program = Program::new(seed, sample_rate);
        let automation = random_automation(
            seed.rotate_left(17),
            &params,
            window_frames,
            config.window_seconds as f64 / 5.0,
        );
        param_changes += automation.len();
        let mut block_random = SplitMix64::new(seed.rotate_left(33));
        let mut figures = WindowFigures {
            index,
            cpu_seconds: 0.0,
            wall_seconds: 0.0,
            fresh_cpu_seconds: 0.0,
            peak: 0.0,
            largest_mean: 0.0,
            silence_mean: 0.0,
            silence_seconds: 0.0,
            non_finite: 0,
            restarts: 0,
        };
        for chunk_index in 0..config.window_seconds {
            let chunk_start = chunk_index * chunk;
            program.fill(&mut left, &mut right);
            let changes: Vec<ParamChange> = automation
                .iter()
                .filter(|change| (chunk_start..chunk_start + chunk).contains(&change.frame))
                .map(|change| ParamChange {
                    frame: change.frame - chunk_start,
                    ..*change
                })
                .collect();
            let block_size = block_sizes[block_random.below(block_sizes.len())];
            let input = [&left[..], &right[..]];
            // The fresh instance goes first every other second, so neither always runs on the
            // caches the other left.
            let fresh_first = chunk_index % 2 == 1;
            if let (Some(fresh), true) = (fresh.as_mut(), fresh_first) {
                figures.fresh_cpu_seconds += fresh.process(&input, block_size, &changes)?.1;
            }
            let wall = std::time::Instant::now();
            let (output, cpu_seconds, restarted) = soaked
                .process(&input, block_size, &changes)
                .with_context(|| format!("window {index}, second {chunk_index}"))?;
            figures.wall_seconds += wall.elapsed().as_secs_f64();
            figures.cpu_seconds += cpu_seconds;
            figures.restarts += u32::from(restarted);
            if let (Some(fresh), false) = (fresh.as_mut(), fresh_first) {
                figures.fresh_cpu_seconds += fresh.process(&input, block_size, &changes)?.1;
            }
            for frame in 0..chunk {
                let silent_input = left[frame] == 0.0 && right[frame] == 0.0;
                let finished = silence.push(silent_input, output[0][frame], output[1][frame]);
                if let Some((mean, seconds)) = finished {
                    figures.silence_mean = figures.silence_mean.max(mean);
                    figures.silence_seconds += seconds;
                }
            }
            for channel in &output {
                let mut sum = 0.0_f64;
                for sample in channel {
                    if sample.is_finite() {
                        sum += f64::from(*sample);
                        figures.peak = figures.peak.max(sample.abs());
                    } else {
                        figures.non_finite += 1;
                    }
                }
                figures.largest_mean = figures.largest_mean.max((sum / chunk as f64).abs());
            }
        }
        if let Some((mean, seconds)) = silence.finish() {
            figures.silence_mean = figures.silence_mean.max(mean);
            figures.silence_seconds += seconds;
        }
        progress(&figures);
        windows.push(figures);
        if index == 0 {
            start_memory = resident_bytes();
        }
    }
    Ok(SoakReport {
        config: config.clone(),
        windows,
        automated_params: params.len(),
        param_changes,
        resident_bytes: start_memory.zip(end_memory),
    })
}
