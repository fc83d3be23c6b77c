//! The RANGE syntax every command shares (docs/cli.md): `a..b` (step 1, inclusive), `a..b:s`,
//! `a..b/k` (k evenly spaced points), `a,b,c`, `x`. A user's program gets it too:
//! `#[arg(long, value_parser = engine::range::positive)] sigma: Range`.

/// The most values one RANGE may hold (every form: a count after `/`, a step, a list).
pub const MAX_RANGE_VALUES: usize = 100_000;

/// Parse a RANGE into its values (finite, distinct numbers; at least one, at most
/// [`MAX_RANGE_VALUES`]). A value given twice is refused: it would be the same grid point twice,
/// judged (and counted by Holm's correction) twice.
pub fn parse_range(s: &str) -> Result<Vec<f64>, String> {
    let values = range_values(s)?;
    refuse_repeats(&values)?;
    Ok(values)
}

/// Refuse a value that appears twice (after rounding to 12 significant digits).
fn refuse_repeats(values: &[f64]) -> Result<(), String> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(format!(
            "the value {} appears more than once (each grid point is run and judged once; give distinct values)",
            w[0]
        )),
        None => Ok(()),
    }
}

/// Refuse a count of values over [`MAX_RANGE_VALUES`] before anything is allocated.
fn refuse_count(count: f64, how: &str) -> Result<(), String> {
    if count.is_nan() || count > MAX_RANGE_VALUES as f64 {
        return Err(format!(
            "RANGE has {count:.3e} values ({how}); at most {MAX_RANGE_VALUES}"
        ));
    }
    Ok(())
}

/// The values a RANGE spells, in order (repeats not yet refused).
fn range_values(s: &str) -> Result<Vec<f64>, String> {
    let s = s.trim_ascii();
    if s.is_empty() {
        return Err(
            "empty RANGE (use a..b, a..b:step, a..b/count, a,b,c or a single value)".into(),
        );
    }
    let num = |t: &str| -> Result<f64, String> {
        let v: f64 = t
            .trim_ascii()
            .parse()
            .map_err(|_| format!("'{}' is not a number", t.trim_ascii()))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("'{}' is not a finite number", t.trim_ascii()))
        }
    };
    let values = if let Some((a, rest)) = s.split_once("..") {
        let a = num(a)?;
        if let Some((b, k)) = rest.split_once('/') {
            let b = num(b)?;
            let k: usize = k.trim_ascii().parse().map_err(|_| {
                format!(
                    "count '{}' after '/' must be a whole number from 1 to {MAX_RANGE_VALUES}",
                    k.trim_ascii()
                )
            })?;
            refuse_count(k as f64, "the count after '/'")?;
            match k {
                0 => return Err("count after '/' must be >= 1".into()),
                1 => vec![a],
                _ => (0..k)
                    .map(|i| tidy(a + (b - a) * i as f64 / (k - 1) as f64))
                    .collect(),
            }
        } else {
            let (b, step) = match rest.split_once(':') {
                Some((b, st)) => (num(b)?, num(st)?),
                None => (num(rest)?, 1.0),
            };
            if step <= 0.0 {
                return Err(format!("step must be > 0, got {step}"));
            }
            if b < a {
                return Err(format!("empty RANGE: {b} < {a}"));
            }
            // Count in floating point first: a tiny step would overflow an integer.
            let steps = ((b - a) / step * (1.0 + 1e-12) + 1e-9).floor();
            refuse_count(steps + 1.0, &format!("step {step:e}"))?;
            let count = steps as usize + 1;
            (0..count).map(|i| tidy(a + step * i as f64)).collect()
        }
    } else {
        refuse_count(s.matches(',').count() as f64 + 1.0, "a list")?;
        s.split(',').map(num).collect::<Result<Vec<_>, _>>()?
    };
    Ok(values)
}

/// Round to 12 significant digits so that 0.1..0.3:0.1 ends at 0.3, not 0.30000000000000004.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// A parsed RANGE, kept with the text the user wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// What the user wrote.
    pub text: String,
    /// The values, in order.
    pub values: Vec<f64>,
}

/// Parse a RANGE whose every value satisfies `ok` (described by `what` in the message).
pub fn range_where(s: &str, ok: impl Fn(f64) -> bool, what: &str) -> Result<Range, String> {
    let values = parse_range(s)?;
    if let Some(bad) = values.iter().find(|v| !ok(**v)) {
        return Err(format!("every value must be {what}, got {bad}"));
    }
    Ok(Range {
        text: s.to_string(),
        values,
    })
}

/// A RANGE of positive values (a clap value parser).
pub fn positive(s: &str) -> Result<Range, String> {
    range_where(s, |v| v > 0.0, "> 0")
}

/// A RANGE of dimensions, kept with the text the user wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct DRange {
    /// What the user wrote.
    pub text: String,
    /// The dimensions, in order.
    pub values: Vec<usize>,
}

impl DRange {
    /// The largest dimension of the sweep.
    pub fn max(&self) -> usize {
        self.values.iter().copied().max().unwrap_or(2)
    }
}

/// A RANGE of whole dimensions from 2 to 100 000 (a clap value parser).
pub fn dimension_range(s: &str) -> Result<DRange, String> {
    let r = range_where(
        s,
        |v| (2.0..=100_000.0).contains(&v) && v.fract() == 0.0,
        "a whole number from 2 to 100000",
    )?;
    Ok(DRange {
        text: r.text,
        values: r.values.iter().map(|&v| v as usize).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_range("1..10").unwrap(),
            (1..=10).map(f64::from).collect::<Vec<_>>()
        );
        assert_eq!(
            parse_range("1..3:0.5").unwrap(),
            vec![1.0, 1.5, 2.0, 2.5, 3.0]
        );
        assert_eq!(parse_range("0.1..0.3:0.1").unwrap(), vec![0.1, 0.2, 0.3]);
        assert_eq!(
            parse_range("0..1/5").unwrap(),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(parse_range("-1..1").unwrap(), vec![-1.0, 0.0, 1.0]);
        assert_eq!(parse_range("2,0.5,10").unwrap(), vec![2.0, 0.5, 10.0]);
        assert_eq!(parse_range("7").unwrap(), vec![7.0]);
        assert_eq!(parse_range("3..3").unwrap(), vec![3.0]);
        assert_eq!(parse_range("1..100000/100000").unwrap().len(), 100_000);
    }

    #[test]
    fn counts_over_the_limit_are_refused_before_allocating() {
        let e = parse_range("1..10/100001").unwrap_err();
        assert!(e.contains("at most 100000"), "{e}");
        let e = parse_range("0..1:1e-6").unwrap_err();
        assert!(e.contains("at most 100000"), "{e}");
        assert!(parse_range("0..1:2e-5").is_ok());
        let list = vec!["1"; 100_001].join(",");
        assert!(parse_range(&list).unwrap_err().contains("at most"));
    }

    #[test]
    fn repeated_values_are_refused_with_the_value() {
        let e = parse_range("50,50,50").unwrap_err();
        assert!(e.contains("50") && e.contains("more than once"), "{e}");
        // 12-digit rounding makes these the same grid point.
        assert!(parse_range("1..1.0000000000001/2").is_err());
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            "a..b",
            "1..x",
            "3..1",
            "1..2:0",
            "1..2:-1",
            "1..2/0",
            "1,,2",
            "nan",
            "1..inf",
            "1..2/x",
            "1..10/18446744073709551615",
            "1..10/100000000000",
            "1..2:1e-300",
            "2,1,2",
            "1..1/3",
            "1,1",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }

    /// Property, over 200 000 random strings of RANGE characters (seeded): parsing never
    /// panics, and whatever it accepts is 1 to MAX_RANGE_VALUES finite, distinct values, which
    /// a list of those same values parses back to.
    #[test]
    fn any_string_parses_to_finite_distinct_values_or_an_error() {
        use rand::{RngExt, SeedableRng};
        let alphabet: Vec<char> = "0123456789..,,::/-+eE ninfax".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let len = rng.random_range(0..14);
            let s: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let Ok(v) = parse_range(&s) else { continue };
            accepted += 1;
            assert!(!v.is_empty() && v.len() <= MAX_RANGE_VALUES, "{s:?}");
            assert!(v.iter().all(|x| x.is_finite()), "{s:?}");
            let list: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
            assert_eq!(parse_range(&list.join(",")).as_ref(), Ok(&v), "{s:?}");
        }
        // The alphabet makes valid ranges often enough for the property to bite.
        assert!(accepted > 10_000, "{accepted}");
    }
}
