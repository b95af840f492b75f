//! Values inside query terms: numbers (with `k`/`M`/`G` multipliers),
//! durations (`4:30`, `1:02:03`, `215.5`), booleans, and dates (`2026`,
//! `2026-01`, `2026-01-31`, `2026-01-31T10:30`, relative `-1w`), plus the
//! matching display helpers used by `ls` templates.
//!
//! Dates are in local time, as in beets: `added:2026-01-01` is that day from
//! local midnight to the next. A date or a duration stands for a *period*
//! whose length is its precision (a day, a month, a second), so a range
//! `2026-01..2026-03` runs from the start of January to the end of March.
//! Relative dates (`-1w`, `+2d`, `-3m` = 90 days, `-1y` = 365 days) have day
//! precision, as in beets.

/// Parse an integer, allowing `k`, `M`, `G` multipliers (1000, 10^6, 10^9).
pub(crate) fn parse_int(s: &str) -> Result<i64, &'static str> {
    let (num, mult) = split_multiplier(s);
    if num.is_empty() {
        return Err("expected a number");
    }
    if let Ok(v) = num.parse::<i64>() {
        return v.checked_mul(mult).ok_or("number too large");
    }
    // 1.5k is a whole number even though it has a fraction.
    if mult > 1 {
        if let Some(v) = parse_plain_float(num) {
            let x = v * mult as f64;
            if x.fract() == 0.0 && x.abs() < 9.0e18 {
                return Ok(x as i64);
            }
        }
    }
    let digits = num.strip_prefix(['-', '+']).unwrap_or(num);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("number too large");
    }
    if parse_plain_float(num).is_some() {
        return Err("expected a whole number");
    }
    Err("expected a number")
}

fn split_multiplier(s: &str) -> (&str, i64) {
    match s.as_bytes().last() {
        Some(b'k') | Some(b'K') => (&s[..s.len() - 1], 1_000),
        Some(b'M') => (&s[..s.len() - 1], 1_000_000),
        Some(b'G') => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    }
}

/// A decimal number without exponent, `inf` or `nan` (Rust's parser accepts
/// those, a query should not).
fn parse_plain_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty()
        || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || body.bytes().filter(|&b| b == b'.').count() > 1
        || !body.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A real number and its precision (`1.25` has precision 0.01).
pub(crate) fn parse_float(s: &str) -> Result<(f64, f64), &'static str> {
    let v = parse_plain_float(s).ok_or("expected a number")?;
    Ok((v, precision_of(s)))
}

fn precision_of(s: &str) -> f64 {
    match s.split_once('.') {
        Some((_, frac)) => 10f64.powi(-(frac.len().min(12) as i32)),
        None => 1.0,
    }
}

/// A duration: `h:mm:ss`, `m:ss` or seconds, each with an optional fraction
/// of a second. Returns seconds and precision.
pub(crate) fn parse_duration(s: &str) -> Result<(f64, f64), &'static str> {
    const MSG: &str = "expected a duration (m:ss, h:mm:ss or seconds)";
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(MSG);
    }
    let (last, leading) = match parts.split_last() {
        Some(x) => x,
        None => return Err(MSG),
    };
    let (secs, prec) = parse_float(last).map_err(|_| MSG)?;
    if secs < 0.0 || last.starts_with(['-', '+']) {
        return Err(MSG);
    }
    if !leading.is_empty() && secs >= 60.0 {
        return Err("seconds must be below 60 in m:ss");
    }
    let mut total = 0f64;
    for (i, p) in leading.iter().enumerate() {
        if !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 9 {
            return Err(MSG);
        }
        let v: f64 = p.parse::<u64>().map_err(|_| MSG)? as f64;
        if i > 0 && v >= 60.0 {
            return Err("minutes must be below 60 in h:mm:ss");
        }
        total = total * 60.0 + v;
    }
    Ok((total * 60.0 + secs, prec))
}

/// Parse a boolean: true/false, yes/no, 1/0, on/off.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" | "y" | "t" => Some(true),
        "false" | "no" | "0" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// A period of time `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Period {
    pub start: f64,
    pub end: f64,
}

/// Parse an absolute or relative date into the period it names. `now` is
/// the current time in Unix seconds.
pub(crate) fn parse_date(s: &str, now: f64) -> Result<Period, &'static str> {
    const MSG: &str =
        "expected a date (YYYY, YYYY-MM, YYYY-MM-DD[THH[:MM[:SS]]]) or a relative date like -1w";
    if let Some(rest) = s.strip_prefix(['-', '+']) {
        let sign = if s.starts_with('-') { -1.0 } else { 1.0 };
        let unit = match rest.as_bytes().last() {
            Some(b'd') => 86_400.0,
            Some(b'w') => 7.0 * 86_400.0,
            Some(b'm') => 30.0 * 86_400.0,
            Some(b'y') => 365.0 * 86_400.0,
            _ => return Err("expected a relative date like -3d, -1w, -6m or -1y"),
        };
        let n = &rest[..rest.len() - 1];
        if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected a relative date like -3d, -1w, -6m or -1y");
        }
        let n: f64 = n.parse::<u32>().map_err(|_| MSG)? as f64;
        let t = now + sign * n * unit;
        let day = local_day_start(t).ok_or(MSG)?;
        let next = local_day_start(day + 36.0 * 3600.0).ok_or(MSG)?;
        return Ok(Period {
            start: day,
            end: next,
        });
    }
    let (date, time) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let dparts: Vec<&str> = date.split('-').collect();
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| -> Result<i64, &'static str> {
        if !len.contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MSG);
        }
        p.parse::<i64>().map_err(|_| MSG)
    };
    let mut f = [0i64; 6]; // y m d h mi s
    f[1] = 1;
    f[2] = 1;
    let mut precision = 0; // index of the last given field
    match dparts.as_slice() {
        [y] => f[0] = num(y, 4..=4)?,
        [y, m] => {
            f[0] = num(y, 4..=4)?;
            f[1] = num(m, 1..=2)?;
            precision = 1;
        }
        [y, m, d] => {
            f[0] = num(y, 4..=4)?;
            f[1] = num(m, 1..=2)?;
            f[2] = num(d, 1..=2)?;
            precision = 2;
        }
        _ => return Err(MSG),
    }
    if let Some(t) = time {
        if precision < 2 {
            return Err(MSG);
        }
        let tparts: Vec<&str> = t.split(':').collect();
        if tparts.is_empty() || tparts.len() > 3 {
            return Err(MSG);
        }
        for (i, p) in tparts.iter().enumerate() {
            f[3 + i] = num(p, 1..=2)?;
            precision = 3 + i;
        }
    }
    if f[0] < 1 || !(1..=12).contains(&f[1]) {
        return Err("month out of range");
    }
    if f[2] < 1 || f[2] > days_in_month(f[0], f[1]) {
        return Err("day out of range");
    }
    if f[3] > 23 || f[4] > 59 || f[5] > 59 {
        return Err("time out of range");
    }
    let start = local_to_unix(f).ok_or(MSG)?;
    let mut next = f;
    next[precision] += 1;
    let end = local_to_unix(next).ok_or(MSG)?;
    Ok(Period { start, end })
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(any(not(unix), test))]
/// Days from 1970-01-01 to a civil date (proleptic Gregorian; fields may
/// overflow, e.g. month 13 is January of the next year).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = y + (m - 1).div_euclid(12);
    let m = (m - 1).rem_euclid(12) + 1;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(any(not(unix), test))]
/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Local broken-down time (y, m, d, h, mi, s; fields may overflow) to Unix
/// seconds.
#[cfg(unix)]
fn local_to_unix(f: [i64; 6]) -> Option<f64> {
    // SAFETY: `tm` is a plain C struct; zeroed is a valid value, and mktime
    // only reads and normalises it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = i32::try_from(f[0] - 1900).ok()?;
    tm.tm_mon = i32::try_from(f[1] - 1).ok()?;
    tm.tm_mday = i32::try_from(f[2]).ok()?;
    tm.tm_hour = i32::try_from(f[3]).ok()?;
    tm.tm_min = i32::try_from(f[4]).ok()?;
    tm.tm_sec = i32::try_from(f[5]).ok()?;
    tm.tm_isdst = -1;
    // SAFETY: a valid, initialised tm.
    let t = unsafe { libc::mktime(&mut tm) };
    if t == -1 && !(f[0] == 1969 || f[0] == 1970) {
        return None;
    }
    Some(t as f64)
}

/// Local time is UTC where libc is not at hand.
#[cfg(not(unix))]
fn local_to_unix(f: [i64; 6]) -> Option<f64> {
    let days = days_from_civil(f[0], f[1], f[2]);
    Some((days * 86_400 + f[3] * 3600 + f[4] * 60 + f[5]) as f64)
}

/// Unix seconds to local broken-down time (y, m, d, h, mi, s).
#[cfg(unix)]
fn unix_to_local(t: f64) -> Option<[i64; 6]> {
    if !t.is_finite() || t.abs() > 1.0e14 {
        return None;
    }
    let secs = t.floor() as libc::time_t;
    // SAFETY: zeroed tm is valid; localtime_r writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    let r = unsafe { libc::localtime_r(&secs, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some([
        tm.tm_year as i64 + 1900,
        tm.tm_mon as i64 + 1,
        tm.tm_mday as i64,
        tm.tm_hour as i64,
        tm.tm_min as i64,
        tm.tm_sec as i64,
    ])
}

/// Local time is UTC where libc is not at hand.
#[cfg(not(unix))]
fn unix_to_local(t: f64) -> Option<[i64; 6]> {
    if !t.is_finite() || t.abs() > 1.0e14 {
        return None;
    }
    let secs = t.floor() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    Some([y, m, d, s / 3600, s / 60 % 60, s % 60])
}

/// Local midnight starting the day that contains `t`.
fn local_day_start(t: f64) -> Option<f64> {
    let f = unix_to_local(t)?;
    local_to_unix([f[0], f[1], f[2], 0, 0, 0])
}

/// `YYYY-MM-DD HH:MM:SS` in local time (empty for an impossible time).
pub fn format_local_time(t: f64) -> String {
    match unix_to_local(t) {
        Some(f) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            f[0], f[1], f[2], f[3], f[4], f[5]
        ),
        None => String::new(),
    }
}

/// `m:ss`, or `h:mm:ss` from one hour on (seconds are truncated, as beets does).
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    let s = secs.min(1.0e12) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_with_multipliers() {
        assert_eq!(parse_int("1999"), Ok(1999));
        assert_eq!(parse_int("-5"), Ok(-5));
        assert_eq!(parse_int("256k"), Ok(256_000));
        assert_eq!(parse_int("1.5M"), Ok(1_500_000));
        assert_eq!(parse_int("19x0"), Err("expected a number"));
        assert_eq!(parse_int("1.5"), Err("expected a whole number"));
        assert_eq!(parse_int("99999999999999999999"), Err("number too large"));
        assert_eq!(parse_int("k"), Err("expected a number"));
        assert_eq!(parse_int("inf"), Err("expected a number"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4:30"), Ok((270.0, 1.0)));
        assert_eq!(parse_duration("1:02:03"), Ok((3723.0, 1.0)));
        assert_eq!(parse_duration("215.5"), Ok((215.5, 0.1)));
        assert_eq!(parse_duration("0:05.25"), Ok((5.25, 0.01)));
        assert!(parse_duration("4:60").is_err());
        assert!(parse_duration("1:60:00").is_err());
        assert!(parse_duration("4:").is_err());
        assert!(parse_duration("-4").is_err());
        assert!(parse_duration("a:30").is_err());
        assert!(parse_duration("1:2:3:4").is_err());
    }

    #[test]
    fn civil_round_trip() {
        for d in [-800_000, -1, 0, 1, 59, 10_957, 20_000, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2025, 13, 1), days_from_civil(2026, 1, 1));
    }

    #[test]
    fn dates_name_periods() {
        let p = parse_date("2026-01", 0.0).unwrap();
        let jan = parse_date("2026-01-01", 0.0).unwrap();
        let feb = parse_date("2026-02-01", 0.0).unwrap();
        assert_eq!(p.start, jan.start);
        assert_eq!(p.end, feb.start);
        assert_eq!(jan.end - jan.start, 86_400.0);
        let y = parse_date("2026", 0.0).unwrap();
        assert_eq!(y.start, jan.start);
        assert_eq!(y.end, parse_date("2027", 0.0).unwrap().start);
        let h = parse_date("2026-01-01T10", 0.0).unwrap();
        assert_eq!(h.end - h.start, 3600.0);
        let s = parse_date("2026-01-01T10:30:15", 0.0).unwrap();
        assert_eq!(s.end - s.start, 1.0);
        assert!(parse_date("2026-13", 0.0).is_err());
        assert!(parse_date("2026-02-30", 0.0).is_err());
        assert!(parse_date("2024-02-29", 0.0).is_ok());
        assert!(parse_date("2026-01-01T24", 0.0).is_err());
        assert!(parse_date("26-01-01", 0.0).is_err());
        assert!(parse_date("2026-01T10", 0.0).is_err());
        assert!(parse_date("yesterday", 0.0).is_err());
    }

    #[test]
    fn relative_dates_have_day_precision() {
        let now = parse_date("2026-03-10T15:00", 0.0).unwrap().start;
        let p = parse_date("-1w", now).unwrap();
        assert_eq!(p.start, parse_date("2026-03-03", 0.0).unwrap().start);
        assert_eq!(p.end, parse_date("2026-03-04", 0.0).unwrap().start);
        assert!(parse_date("-1x", now).is_err());
        assert!(parse_date("-w", now).is_err());
        assert!(parse_date("-9999999999d", now).is_err());
    }

    #[test]
    fn display_helpers() {
        assert_eq!(format_duration(270.9), "4:30");
        assert_eq!(format_duration(3723.0), "1:02:03");
        assert_eq!(format_duration(f64::NAN), "");
        let t = parse_date("2026-01-02T03:04:05", 0.0).unwrap().start;
        assert_eq!(format_local_time(t), "2026-01-02 03:04:05");
    }
}
