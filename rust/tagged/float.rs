//! Floats as Python's `float.__repr__` writes them, which is what `json`
//! writes (the non-finite ones as JavaScript names them).

/// Writes `repr(x)`, from Rust's shortest round-trip digits.
pub fn write_float(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        return out.extend_from_slice(b"NaN");
    }
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if x.is_infinite() {
        return out.extend_from_slice(b"Infinity");
    }
    let shortest = format!("{:e}", x.abs());
    // Of the shortest digits that read back as `x`, Python takes the closest
    // to it (ties to even); Rust's may be another, so the correctly rounded
    // ones of that length win when they too read back.
    let n = shortest.find('e').unwrap_or(0).saturating_sub(1).max(1);
    let closest = format!("{:.*e}", n - 1, x.abs());
    let sci = if closest.parse() == Ok(x.abs()) {
        closest
    } else {
        shortest
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(|&b| b != b'.').collect();
    let n = digits.len() as i32;
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(&digits);
        } else if n <= exp + 1 {
            out.extend_from_slice(&digits);
            out.resize(out.len() + (exp + 1 - n) as usize, b'0');
            out.extend_from_slice(b".0");
        } else {
            let (int, frac) = digits.split_at(exp as usize + 1);
            out.extend_from_slice(int);
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.extend_from_slice(
            format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::write_float;

    fn float(x: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, x);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn floats_read_as_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (1e16, "1e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (123456.789, "123456.789"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5e-7, "-2.5e-07"),
            // Exact ties: to the even digit, as Python.
            (-(1113178120592002.0 + 0.25), "-1113178120592002.2"),
            (233891771783429.0 + 0.625, "233891771783429.62"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, want) in cases {
            assert_eq!(float(x), want);
        }
    }
}
