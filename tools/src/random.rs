//! The seeded pseudo-random generator the test programs and the automation use: the DSP crate's
//! SplitMix64, reproducible from its seed on every platform, which is all a soak or benchmark needs.

pub use gainstage_dsp::analysis::generator::SplitMix64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_output_for_seed_zero_matches_the_reference_value() {
        // The published SplitMix64 sequence for seed 0 starts with 0xE220A8397B1DCDAF.
        let first = SplitMix64::new(0).next_u64();
        println!("SplitMix64(0) first output: {first:#018X}");
        assert_eq!(first, 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn unit_values_have_mean_one_half_within_one_percent() {
        let mut random = SplitMix64::new(7);
        let count = 100_000;
        let mean = (0..count).map(|_| random.unit()).sum::<f64>() / count as f64;
        println!("mean of {count} unit values: {mean:.5}");
        assert!(
            (mean - 0.5).abs() < 0.005,
            "mean {mean:.5}, expected 0.5 ± 0.005"
        );
    }

    #[test]
    fn normal_values_have_unit_variance_within_two_percent() {
        let mut random = SplitMix64::new(11);
        let count = 200_000;
        let values: Vec<f64> = (0..count).map(|_| random.normal()).collect();
        let mean = values.iter().sum::<f64>() / count as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count as f64;
        println!("normal: mean {mean:+.4}, variance {variance:.4}");
        assert!(mean.abs() < 0.01, "mean {mean:+.4}, expected 0 ± 0.01");
        assert!(
            (variance - 1.0).abs() < 0.02,
            "variance {variance:.4}, expected 1 ± 0.02"
        );
    }
}
