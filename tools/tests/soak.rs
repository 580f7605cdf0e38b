//! The soak: random automation of every parameter over program material, checked for NaN/Inf,
//! DC and rising cost. A 60-second version runs with the tests; the hour-long one is ignored
//! by default (`cargo xtask soak` runs it with progress output).

use gainstage_tests::{LoadedBundle, Plugin, built_bundles};
use gainstage_tools::soak::{SoakConfig, SoakReport, run};

fn soak(config: &SoakConfig) -> anyhow::Result<SoakReport> {
    let bundle = LoadedBundle::load(&built_bundles().clap_path(config.plugin))?;
    let report = run(&bundle, config, |_| {})?;
    println!("{}", report.summary());
    Ok(report)
}

fn check(report: &SoakReport) {
    let failures = report.failures();
    assert!(failures.is_empty(), "soak failed: {failures:?}");
}

/// 60 s in 5-second windows, the last three replaying the first three.
#[test]
fn one_minute_soak_of_both_plugins_has_no_nan_no_lasting_dc_and_steady_cost() -> anyhow::Result<()>
{
    for plugin in Plugin::ALL {
        let config = SoakConfig::short(plugin, 12, 5);
        check(&soak(&config)?);
    }
    Ok(())
}

#[test]
#[ignore = "an hour of audio per plugin; run with `cargo xtask soak` or --ignored"]
fn one_hour_soak_of_both_plugins_has_no_nan_no_lasting_dc_and_steady_cost() -> anyhow::Result<()> {
    for plugin in Plugin::ALL {
        check(&soak(&SoakConfig::hour(plugin))?);
    }
    Ok(())
}
