//! Real polynomials of small, fixed capacity and their complex roots: the algebra behind the
//! rational impedances and transfer functions of the speaker and output-network models.
//!
//! Everything is `Copy` and lives on the stack, so designing a filter from a transfer function
//! never allocates (it may run on the audio thread when a parameter moves). Roots come from the
//! Aberth–Ehrlich simultaneous iteration (O. Aberth, "Iteration methods for finding all zeros of a
//! polynomial simultaneously", Math. Comp. 27, 1973), started on a circle whose radius follows
//! the coefficients, then polished by Newton steps on the original polynomial.

use realfft::num_complex::Complex64;

/// Largest polynomial degree the fixed-capacity types hold.
pub const MAX_DEGREE: usize = 20;

/// A real polynomial `c[0] + c[1]·s + … + c[d]·s^d` of degree `d ≤ MAX_DEGREE`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Polynomial {
    coefficients: [f64; MAX_DEGREE + 1],
    degree: usize,
}

impl Polynomial {
    /// The constant polynomial `value`.
    pub fn constant(value: f64) -> Self {
        let mut coefficients = [0.0; MAX_DEGREE + 1];
        coefficients[0] = value;
        Self {
            coefficients,
            degree: 0,
        }
    }

    /// The polynomial with the given coefficients, lowest power first.
    ///
    /// # Panics
    /// If there are more than `MAX_DEGREE + 1` coefficients or none.
    pub fn from_coefficients(coefficients: &[f64]) -> Self {
        assert!(
            !coefficients.is_empty() && coefficients.len() <= MAX_DEGREE + 1,
            "Polynomial: {} coefficients, capacity is {}",
            coefficients.len(),
            MAX_DEGREE + 1
        );
        let mut stored = [0.0; MAX_DEGREE + 1];
        stored[..coefficients.len()].copy_from_slice(coefficients);
        let mut polynomial = Self {
            coefficients: stored,
            degree: coefficients.len() - 1,
        };
        polynomial.trim();
        polynomial
    }

    /// The monic polynomial `∏ (s − root)` of a root set closed under conjugation (imaginary
    /// parts of the product are dropped).
    pub fn from_roots(roots: &RootSet) -> Self {
        let mut product = [Complex64::new(0.0, 0.0); MAX_DEGREE + 1];
        product[0] = Complex64::new(1.0, 0.0);
        for (count, root) in roots.iter().enumerate() {
            // Multiply the first `count + 1` coefficients by (s − root).
            for index in (0..=count + 1).rev() {
                let shifted = if index > 0 {
                    product[index - 1]
                } else {
                    Complex64::new(0.0, 0.0)
                };
                product[index] = shifted - root * product[index];
            }
        }
        let mut coefficients = [0.0; MAX_DEGREE + 1];
        for (coefficient, value) in coefficients.iter_mut().zip(product.iter()) {
            *coefficient = value.re;
        }
        Self {
            coefficients,
            degree: roots.len(),
        }
    }

    /// The degree (0 for constants, including the zero polynomial).
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// The coefficients, lowest power first (`degree + 1` of them).
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients[..=self.degree]
    }

    /// The coefficient of `s^power` (0 above the degree).
    pub fn coefficient(&self, power: usize) -> f64 {
        if power <= self.degree {
            self.coefficients[power]
        } else {
            0.0
        }
    }

    /// The highest-power coefficient.
    pub fn leading(&self) -> f64 {
        self.coefficients[self.degree]
    }

    fn trim(&mut self) {
        while self.degree > 0 && self.coefficients[self.degree] == 0.0 {
            self.degree -= 1;
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Self) -> Self {
        let degree = self.degree.max(other.degree);
        let mut coefficients = [0.0; MAX_DEGREE + 1];
        for (power, coefficient) in coefficients.iter_mut().enumerate().take(degree + 1) {
            *coefficient = self.coefficient(power) + other.coefficient(power);
        }
        let mut sum = Self {
            coefficients,
            degree,
        };
        sum.trim();
        sum
    }

    /// `self · other`.
    ///
    /// # Panics
    /// If the product's degree exceeds `MAX_DEGREE`.
    pub fn multiply(&self, other: &Self) -> Self {
        let degree = self.degree + other.degree;
        assert!(
            degree <= MAX_DEGREE,
            "Polynomial product of degree {degree} exceeds the capacity {MAX_DEGREE}"
        );
        let mut coefficients = [0.0; MAX_DEGREE + 1];
        for (left_power, left) in self.coefficients().iter().enumerate() {
            for (right_power, right) in other.coefficients().iter().enumerate() {
                coefficients[left_power + right_power] += left * right;
            }
        }
        let mut product = Self {
            coefficients,
            degree,
        };
        product.trim();
        product
    }

    /// `factor · self`.
    pub fn scale(&self, factor: f64) -> Self {
        let mut scaled = *self;
        for coefficient in scaled.coefficients.iter_mut() {
            *coefficient *= factor;
        }
        scaled.trim();
        scaled
    }

    /// The polynomial in the scaled variable: `q(σ) = p(scale·σ)`.
    pub fn substitute_scaled(&self, scale: f64) -> Self {
        let mut scaled = *self;
        let mut power_of_scale = 1.0;
        for coefficient in scaled.coefficients.iter_mut().take(self.degree + 1) {
            *coefficient *= power_of_scale;
            power_of_scale *= scale;
        }
        scaled
    }

    /// Value at a complex argument (Horner).
    pub fn evaluate(&self, argument: Complex64) -> Complex64 {
        self.coefficients()
            .iter()
            .rev()
            .fold(Complex64::new(0.0, 0.0), |accumulator, coefficient| {
                accumulator * argument + coefficient
            })
    }

    /// Value and first derivative at a complex argument (Horner).
    fn evaluate_with_derivative(&self, argument: Complex64) -> (Complex64, Complex64) {
        let mut value = Complex64::new(0.0, 0.0);
        let mut derivative = Complex64::new(0.0, 0.0);
        for coefficient in self.coefficients().iter().rev() {
            derivative = derivative * argument + value;
            value = value * argument + coefficient;
        }
        (value, derivative)
    }

    /// Every complex root (with multiplicity), by Aberth–Ehrlich iteration.
    ///
    /// The polynomial is first rescaled so that its roots have a geometric-mean magnitude near 1,
    /// which keeps roots spread over many decades (a few hertz to a hundred kilohertz, in rad/s)
    /// well conditioned. Roots of an exactly zero leading part (s = 0 factors) are returned as 0.
    pub fn roots(&self) -> RootSet {
        let mut roots = RootSet::new();
        // Factor out roots at zero.
        let lowest_nonzero = (0..=self.degree)
            .find(|&power| self.coefficients[power] != 0.0)
            .unwrap_or(self.degree);
        for _ in 0..lowest_nonzero {
            roots.push(Complex64::new(0.0, 0.0));
        }
        let degree = self.degree - lowest_nonzero;
        if degree == 0 {
            return roots;
        }
        let mut reduced = [0.0; MAX_DEGREE + 1];
        reduced[..=degree].copy_from_slice(&self.coefficients[lowest_nonzero..=self.degree]);
        let reduced = Self {
            coefficients: reduced,
            degree,
        };
        // Geometric mean of the root magnitudes is |c0 / cd|^(1/d).
        let scale = (reduced.coefficients[0] / reduced.coefficients[degree])
            .abs()
            .powf(1.0 / degree as f64);
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let mut normalised = reduced.substitute_scaled(scale);
        let leading = normalised.leading();
        normalised = normalised.scale(1.0 / leading);

        let mut estimates = [Complex64::new(0.0, 0.0); MAX_DEGREE];
        // Cauchy-style radius from the normalised coefficients, then a circle with an irrational
        // angular offset so that no estimate starts on the real axis or on a symmetry line.
        let radius = normalised
            .coefficients()
            .iter()
            .take(degree)
            .map(|coefficient| coefficient.abs())
            .fold(0.0_f64, f64::max)
            .clamp(0.5, 2.0);
        for (index, estimate) in estimates.iter_mut().take(degree).enumerate() {
            let angle = std::f64::consts::TAU * index as f64 / degree as f64 + 0.4;
            *estimate = Complex64::from_polar(radius, angle);
        }
        for _ in 0..500 {
            let mut largest_step = 0.0_f64;
            for index in 0..degree {
                let point = estimates[index];
                let (value, derivative) = normalised.evaluate_with_derivative(point);
                if value.norm() == 0.0 {
                    continue;
                }
                let newton = value / derivative;
                let mut repulsion = Complex64::new(0.0, 0.0);
                for (other_index, other) in estimates.iter().take(degree).enumerate() {
                    if other_index != index {
                        let difference = point - other;
                        if difference.norm() > 0.0 {
                            repulsion += difference.inv();
                        }
                    }
                }
                let step = newton / (Complex64::new(1.0, 0.0) - newton * repulsion);
                if step.is_finite() {
                    estimates[index] = point - step;
                    largest_step = largest_step.max(step.norm() / point.norm().max(1.0e-12));
                }
            }
            if largest_step < 1.0e-15 {
                break;
            }
        }
        // Newton polish on the normalised polynomial, then undo the scaling.
        for estimate in estimates.iter_mut().take(degree) {
            for _ in 0..3 {
                let (value, derivative) = normalised.evaluate_with_derivative(*estimate);
                if derivative.norm() > 0.0 {
                    let step = value / derivative;
                    if step.is_finite() {
                        *estimate -= step;
                    }
                }
            }
            let mut root = *estimate * scale;
            // Snap numerically real roots onto the axis.
            if root.im.abs() <= 1.0e-9 * root.norm() {
                root.im = 0.0;
            }
            roots.push(root);
        }
        roots.make_conjugate_symmetric();
        roots
    }
}

/// A set of complex roots of a real polynomial, fixed capacity `MAX_DEGREE`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RootSet {
    roots: [Complex64; MAX_DEGREE],
    count: usize,
}

impl Default for RootSet {
    fn default() -> Self {
        Self::new()
    }
}

impl RootSet {
    /// No roots.
    pub fn new() -> Self {
        Self {
            roots: [Complex64::new(0.0, 0.0); MAX_DEGREE],
            count: 0,
        }
    }

    /// Adds a root.
    ///
    /// # Panics
    /// If the set is full.
    pub fn push(&mut self, root: Complex64) {
        assert!(self.count < MAX_DEGREE, "RootSet is full ({MAX_DEGREE})");
        self.roots[self.count] = root;
        self.count += 1;
    }

    /// Adds a real root.
    pub fn push_real(&mut self, root: f64) {
        self.push(Complex64::new(root, 0.0));
    }

    /// Adds every root of `other`.
    pub fn extend(&mut self, other: &RootSet) {
        for root in other.iter() {
            self.push(*root);
        }
    }

    /// Adds the roots of `a·s² + b·s + c` (a ≠ 0).
    pub fn push_quadratic(&mut self, a: f64, b: f64, c: f64) {
        let discriminant = b * b - 4.0 * a * c;
        if discriminant >= 0.0 {
            // Numerically stable form (no cancellation between −b and the square root).
            let q = -0.5 * (b + b.signum() * discriminant.sqrt());
            let first = if q != 0.0 { c / q } else { 0.0 };
            let second = q / a;
            self.push_real(first);
            self.push_real(second);
        } else {
            let real = -b / (2.0 * a);
            let imaginary = (-discriminant).sqrt() / (2.0 * a.abs());
            self.push(Complex64::new(real, imaginary));
            self.push(Complex64::new(real, -imaginary));
        }
    }

    /// Number of roots.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no roots.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The roots.
    pub fn iter(&self) -> std::slice::Iter<'_, Complex64> {
        self.roots[..self.count].iter()
    }

    /// The roots as a slice.
    pub fn as_slice(&self) -> &[Complex64] {
        &self.roots[..self.count]
    }

    /// Makes complex roots come in exact conjugate pairs (averaging each root with its nearest
    /// partner), so that the real polynomial rebuilt from them has no stray imaginary parts.
    fn make_conjugate_symmetric(&mut self) {
        let mut paired = [false; MAX_DEGREE];
        for index in 0..self.count {
            if paired[index] || self.roots[index].im == 0.0 {
                continue;
            }
            let target = self.roots[index].conj();
            let partner = (0..self.count)
                .filter(|&other| other != index && !paired[other])
                .min_by(|&left, &right| {
                    (self.roots[left] - target)
                        .norm()
                        .total_cmp(&(self.roots[right] - target).norm())
                });
            if let Some(partner) = partner {
                let average = 0.5 * (self.roots[index] + self.roots[partner].conj());
                let average = if average.im.abs() <= 1.0e-9 * average.norm() {
                    Complex64::new(average.re, 0.0)
                } else {
                    average
                };
                self.roots[index] = average;
                self.roots[partner] = average.conj();
                paired[index] = true;
                paired[partner] = true;
            }
        }
    }
}

/// A ratio of two real polynomials, `numerator(s) / denominator(s)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rational {
    /// Numerator polynomial.
    pub numerator: Polynomial,
    /// Denominator polynomial.
    pub denominator: Polynomial,
}

impl Rational {
    /// The constant `value`.
    pub fn constant(value: f64) -> Self {
        Self {
            numerator: Polynomial::constant(value),
            denominator: Polynomial::constant(1.0),
        }
    }

    /// Value at `s = j·2π·frequency_hz`.
    pub fn at_frequency(&self, frequency_hz: f64) -> Complex64 {
        let argument = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        self.evaluate(argument)
    }

    /// Value at a complex `s`.
    pub fn evaluate(&self, argument: Complex64) -> Complex64 {
        self.numerator.evaluate(argument) / self.denominator.evaluate(argument)
    }

    /// `self + other`.
    pub fn add(&self, other: &Self) -> Self {
        Self {
            numerator: self
                .numerator
                .multiply(&other.denominator)
                .add(&other.numerator.multiply(&self.denominator)),
            denominator: self.denominator.multiply(&other.denominator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_spread_over_five_decades_are_found_to_high_accuracy() {
        let mut expected = RootSet::new();
        expected.push_real(-2.0 * std::f64::consts::PI * 3.0);
        expected.push_real(-2.0 * std::f64::consts::PI * 150.0);
        expected.push(Complex64::new(-40.0, 600.0));
        expected.push(Complex64::new(-40.0, -600.0));
        expected.push_real(-2.0 * std::f64::consts::PI * 5_400.0);
        expected.push_real(-2.0 * std::f64::consts::PI * 32_000.0);
        expected.push(Complex64::new(-180_000.0, 190_000.0));
        expected.push(Complex64::new(-180_000.0, -190_000.0));
        let polynomial = Polynomial::from_roots(&expected).scale(3.5);
        let found = polynomial.roots();
        assert_eq!(found.len(), expected.len());
        let mut worst = 0.0_f64;
        for root in expected.iter() {
            let nearest = found
                .iter()
                .map(|candidate| (candidate - root).norm() / root.norm())
                .fold(f64::INFINITY, f64::min);
            worst = worst.max(nearest);
        }
        assert!(
            worst < 1.0e-9,
            "Aberth roots over 3 Hz–45 kHz: worst relative error {worst:e}"
        );
    }

    #[test]
    fn quadratic_roots_and_products_agree() {
        let mut roots = RootSet::new();
        roots.push_quadratic(2.0, 3.0, 5.0);
        let rebuilt = Polynomial::from_roots(&roots).scale(2.0);
        let expected = [5.0, 3.0, 2.0];
        for (power, value) in expected.iter().enumerate() {
            assert!(
                (rebuilt.coefficient(power) - value).abs() < 1e-12,
                "coefficient {power}: {} vs {value}",
                rebuilt.coefficient(power)
            );
        }
        let product = Polynomial::from_coefficients(&[1.0, 1.0])
            .multiply(&Polynomial::from_coefficients(&[-1.0, 1.0]));
        assert_eq!(product.coefficients(), &[-1.0, 0.0, 1.0]);
    }
}
