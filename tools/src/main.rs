//! `gainstage-tools`: the command behind `cargo xtask render|soak|bench` (run it with
//! `cargo xtask <command>`; `cargo xtask help` lists the options).

use std::path::PathBuf;

use anyhow::{Context, bail};
use gainstage_tests::Plugin;
use gainstage_tools::bench;
use gainstage_tools::render::{RenderOptions, render_file};
use gainstage_tools::settings::{
    BundleSource, PluginName, instantiate, parse_assignment, preset_names, short_name, step_texts,
};
use gainstage_tools::soak::{self, SoakConfig};
use gainstage_tools::wav::SampleFormat;

const USAGE: &str = "Usage:
  cargo xtask render <in.wav> <out.wav> --plugin preamp|poweramp [--set name=value]...
        [--preset NAME] [--quality TEXT] [--block N] [--realtime] [--format FORMAT]
        [--bundle-dir DIR]
      Runs a mono or stereo WAV file (8/16/24/32-bit integer or 32-bit float) through the
      built plugin bundle and writes the result, aligned with the input (the plugin's latency
      is compensated) and as long. Parameters are named by ID or display name, values as the
      plugin displays them (gain=20, model=Tube, invert=on). --quality sets the quality the
      render uses (the offline quality; the real-time one with --realtime). --format is
      float32 (default), int16, int24 or int32. --block is the block size (default 1024).
  cargo xtask params --plugin preamp|poweramp [--bundle-dir DIR]
      Lists the plugin's parameters with their range or choices, and its factory presets.
  cargo xtask soak [--minutes N] [--plugin preamp|poweramp] [--seed S] [--bundle-dir DIR]
      Renders N minutes (default 60) of 48 kHz stereo program per plugin with random
      automation of every parameter; fails on NaN/Inf, runaway DC or rising cost.
  cargo xtask bench [--plugin preamp|poweramp] [--seconds S] [--callgrind-seconds S] [--no-callgrind]
        [--output FILE]
        [--bundle-dir DIR]
      Measures real-time factor and instructions per channel-sample (callgrind) of every
      model at default and highest quality and writes docs/benchmarks.md.

Bundles come from --bundle-dir, else $GAINSTAGE_BUNDLE_DIR, else a release build
(cargo xtask bundle -p gainstage_preamp -p gainstage_poweramp --release).";

/// Command-line arguments after the command name, consumed as they are read.
struct Arguments {
    rest: Vec<String>,
}

impl Arguments {
    fn take_flag(&mut self, flag: &str) -> bool {
        match self.rest.iter().position(|argument| argument == flag) {
            Some(index) => {
                self.rest.remove(index);
                true
            }
            None => false,
        }
    }

    fn take_all(&mut self, option: &str) -> anyhow::Result<Vec<String>> {
        let mut values = Vec::new();
        while let Some(index) = self.rest.iter().position(|argument| argument == option) {
            if index + 1 >= self.rest.len() {
                bail!("{option} needs a value");
            }
            values.push(self.rest.remove(index + 1));
            self.rest.remove(index);
        }
        Ok(values)
    }

    fn take(&mut self, option: &str) -> anyhow::Result<Option<String>> {
        let mut values = self.take_all(option)?;
        if values.len() > 1 {
            bail!("{option} given {} times", values.len());
        }
        Ok(values.pop())
    }

    fn take_parsed<T: std::str::FromStr>(&mut self, option: &str) -> anyhow::Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.take(option)?
            .map(|text| {
                text.parse::<T>()
                    .map_err(|error| anyhow::anyhow!("{option} {text:?}: {error}"))
            })
            .transpose()
    }

    /// The bundles' source; resolve it (build) only once the other arguments are known good.
    fn bundle_source(&mut self) -> anyhow::Result<BundleSource> {
        Ok(match self.take("--bundle-dir")? {
            Some(folder) => BundleSource::Folder(PathBuf::from(folder)),
            None => BundleSource::from_environment(),
        })
    }

    fn plugins(&mut self) -> anyhow::Result<Vec<Plugin>> {
        Ok(match self.take_parsed::<PluginName>("--plugin")? {
            Some(PluginName(plugin)) => vec![plugin],
            None => Plugin::ALL.to_vec(),
        })
    }

    fn finish(self) -> anyhow::Result<()> {
        if let Some(unexpected) = self.rest.first() {
            bail!("unexpected argument {unexpected:?}\n\n{USAGE}");
        }
        Ok(())
    }
}

fn main() {
    let mut arguments = std::env::args().skip(1);
    let command = arguments.next();
    let arguments = Arguments {
        rest: arguments.collect(),
    };
    let result = match command.as_deref() {
        Some("render") => run_render(arguments),
        Some("params") => run_params(arguments),
        Some("soak") => run_soak(arguments),
        Some("bench") => bench::run_command(arguments.rest),
        Some(bench::WORKER_COMMAND) => bench::run_worker(arguments.rest),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command {other:?}\n\n{USAGE}")),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run_render(mut arguments: Arguments) -> anyhow::Result<()> {
    let Some(PluginName(plugin)) = arguments.take_parsed("--plugin")? else {
        bail!("render needs --plugin preamp|poweramp\n\n{USAGE}");
    };
    let mut options = RenderOptions::new(plugin);
    options.settings = arguments
        .take_all("--set")?
        .iter()
        .map(|text| parse_assignment(text))
        .collect::<anyhow::Result<_>>()?;
    options.preset = arguments.take("--preset")?;
    options.quality = arguments.take("--quality")?;
    if let Some(block) = arguments.take_parsed("--block")? {
        options.block_size = block;
    }
    options.realtime = arguments.take_flag("--realtime");
    let format = arguments
        .take_parsed::<SampleFormat>("--format")?
        .unwrap_or_default();
    let source = arguments.bundle_source()?;
    let [input, output] =
        <[String; 2]>::try_from(std::mem::take(&mut arguments.rest)).map_err(|rest| {
            anyhow::anyhow!("render takes <in.wav> <out.wav>, got {rest:?}\n\n{USAGE}")
        })?;
    let bundle = source.load(plugin)?;
    let rendered = render_file(&bundle, &options, input.as_ref(), output.as_ref(), format)?;
    eprintln!(
        "{}: {} → {} ({:.2} s, {} mode, latency {} frames compensated, {format})",
        plugin.display_name(),
        input,
        output,
        rendered.audio.seconds(),
        if rendered.offline {
            "offline"
        } else {
            "real-time"
        },
        rendered.latency,
    );
    for line in &rendered.applied {
        eprintln!("  {line}");
    }
    Ok(())
}

fn run_params(mut arguments: Arguments) -> anyhow::Result<()> {
    let plugins = arguments.plugins()?;
    let source = arguments.bundle_source()?;
    arguments.finish()?;
    let source = source.resolved()?;
    for plugin in plugins {
        let bundle = source.load(plugin)?;
        let mut instance = instantiate(&bundle, plugin)?;
        println!("{} ({}):", plugin.display_name(), short_name(plugin));
        for param in instance.params().to_vec() {
            let values = if param.is_stepped() {
                step_texts(&mut instance, &param)?.join(" | ")
            } else {
                format!(
                    "{} to {}",
                    instance.value_to_text(&param.name, param.min_value)?,
                    instance.value_to_text(&param.name, param.max_value)?
                )
            };
            let default = instance.value_to_text(&param.name, param.default_value)?;
            println!("  {:<28} {values} (default {default})", param.name);
        }
        println!("  factory presets: {}", preset_names(plugin).join(", "));
    }
    Ok(())
}

fn run_soak(mut arguments: Arguments) -> anyhow::Result<()> {
    let plugins = arguments.plugins()?;
    let minutes: usize = arguments.take_parsed("--minutes")?.unwrap_or(60);
    let seed: Option<u64> = arguments.take_parsed("--seed")?;
    let source = arguments.bundle_source()?;
    arguments.finish()?;
    let source = source.resolved()?;
    let mut failed = Vec::new();
    for plugin in plugins {
        let bundle = source.load(plugin)?;
        let mut config = SoakConfig::minutes(plugin, minutes);
        if let Some(seed) = seed {
            config.seed = seed;
        }
        eprintln!(
            "soak: {} for {} min (seed {:#x})…",
            plugin.display_name(),
            config.windows,
            config.seed
        );
        let report = soak::run(&bundle, &config, |window| {
            eprintln!(
                "  minute {:2}: CPU {:.3} s, wall {:.3} s, peak {:.3}, largest 1-s mean {:.2e}, \
                 mean over {:.1} s of settled silence {:.2e}, NaN/Inf {}, restarts {}{}",
                window.index + 1,
                window.cpu_seconds,
                window.wall_seconds,
                window.peak,
                window.largest_mean,
                window.silence_seconds,
                window.silence_mean,
                window.non_finite,
                window.restarts,
                if window.fresh_cpu_seconds > 0.0 {
                    format!(", fresh instance CPU {:.3} s", window.fresh_cpu_seconds)
                } else {
                    String::new()
                }
            );
        })
        .with_context(|| format!("soak of {}", plugin.display_name()))?;
        println!("{}", report.summary());
        let failures = report.failures();
        if !failures.is_empty() {
            failed.push(format!(
                "{}: {}",
                plugin.display_name(),
                failures.join("; ")
            ));
        }
    }
    if !failed.is_empty() {
        bail!("soak failed:\n  {}", failed.join("\n  "));
    }
    Ok(())
}
