//! The value types of the language: answers, dates with calendar arithmetic, decimals.

use std::fmt;

pub use rust_decimal::Decimal;

/// A checklist answer. "Don't know" and "not asked" are both [`Answer::Unknown`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// No.
    No,
    /// Yes.
    Yes,
    /// Don't know, or not answered.
    Unknown,
}

impl Answer {
    /// The word used in facts and decisions.
    pub fn word(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unknown => "unknown",
        }
    }

    /// Reads `yes`, `no` or `unknown` (also `dont_know` and `don't know`).
    pub fn from_word(word: &str) -> Option<Answer> {
        match word {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "unknown" | "dont_know" | "don't know" | "dk" => Some(Answer::Unknown),
            _ => None,
        }
    }
}

/// Calendar units for date arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Unit {
    /// Days.
    Days,
    /// Weeks of 7 days.
    Weeks,
    /// Calendar months.
    Months,
    /// Calendar years.
    Years,
}

impl Unit {
    /// The plural word.
    pub fn word(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }
}

/// A calendar date, stored as days since 1970-01-01 (negative before).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Date(pub i32);

impl Date {
    /// The date for a year, month (1–12) and day (1–31), if it exists (years 1–9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |s: &str| -> Option<u32> {
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let year = num(text.get(0..4)?)?;
        let month = num(text.get(5..7)?)?;
        let day = num(text.get(8..10)?)?;
        Date::from_ymd(i32::try_from(year).ok()?, month, day)
    }

    /// This date moved by `amount` units (negative moves back). Months and years are
    /// calendar months: the day is clamped to the end of a shorter month (31 March minus
    /// one month is 28 or 29 February). `None` when the result leaves years 1–9999.
    pub fn shift(self, amount: i64, unit: Unit) -> Option<Date> {
        match unit {
            Unit::Days => self.add_days(amount),
            Unit::Weeks => self.add_days(amount.checked_mul(7)?),
            Unit::Months => self.add_months(amount),
            Unit::Years => self.add_months(amount.checked_mul(12)?),
        }
    }

    fn add_days(self, days: i64) -> Option<Date> {
        let d = i64::from(self.0).checked_add(days)?;
        let d = i32::try_from(d).ok()?;
        let (y, _, _) = civil_from_days(d);
        (1..=9999).contains(&y).then_some(Date(d))
    }

    fn add_months(self, months: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let total = i64::from(y)
            .checked_mul(12)?
            .checked_add(i64::from(m) - 1)?
            .checked_add(months)?;
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
        if !(1..=9999).contains(&year) {
            return None;
        }
        let day = d.min(days_in_month(year, month));
        Date::from_ymd(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The number of days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let d = d as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_shift_by_calendar_months() {
        let d = Date::parse("2024-05-01").unwrap();
        assert_eq!(d.to_string(), "2024-05-01");
        assert_eq!(Date::parse("1970-01-01").unwrap().0, 0);
        assert_eq!(
            d.shift(-12, Unit::Months).unwrap().to_string(),
            "2023-05-01"
        );
        assert_eq!(
            Date::parse("2024-03-31")
                .unwrap()
                .shift(-1, Unit::Months)
                .unwrap()
                .to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::parse("2024-02-29")
                .unwrap()
                .shift(1, Unit::Years)
                .unwrap()
                .to_string(),
            "2025-02-28"
        );
        assert_eq!(d.shift(2, Unit::Weeks).unwrap().to_string(), "2024-05-15");
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2024-5-01").is_none());
        assert!(
            Date::parse("9999-12-31")
                .unwrap()
                .shift(1, Unit::Days)
                .is_none()
        );
    }
}
