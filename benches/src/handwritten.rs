//! The MARAC referral decision written by hand in Rust: the physical limit the engine is
//! measured against. It follows the `marac.referral` contract exactly (see the ruleset).

use waymark_ir::{Answer, Date, Unit};

/// The parameters of `marac.referral`.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Yes answers for visible high risk.
    pub vhr_threshold: usize,
    /// Yes answers for the medium band.
    pub medium_from: usize,
    /// Events for potential escalation.
    pub escalation_count: usize,
    /// Months counted back for escalation.
    pub escalation_window_months: i64,
    /// Months counted back for a repeat referral.
    pub repeat_window_months: i64,
    /// Youngest age referred to MARAC.
    pub marac_min_age: i64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            vhr_threshold: 14,
            medium_from: 10,
            escalation_count: 3,
            escalation_window_months: 12,
            repeat_window_months: 12,
            marac_min_age: 16,
        }
    }
}

/// One case, already parsed.
#[derive(Clone, Debug)]
pub struct Case {
    /// Answers to q1..q24.
    pub answers: [Answer; 24],
    /// Professional judgement recorded.
    pub professional_judgement: Answer,
    /// Assessment date.
    pub assessment_date: Date,
    /// Domestic-abuse events (absent = none known).
    pub abuse_event_dates: Option<Vec<Date>>,
    /// Last MARAC referral.
    pub last_marac_date: Option<Date>,
    /// Victim's age.
    pub victim_age: Option<i64>,
}

/// The risk level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Standard.
    Standard,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// The outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Yes answers.
    pub yes_count: usize,
    /// Risk level.
    pub risk_level: Level,
    /// Refer to MARAC.
    pub refer_marac: bool,
    /// Reasons: bit 0 visible high risk, 1 professional judgement, 2 potential escalation, 3 repeat.
    pub reasons: u8,
}

/// The decision.
pub fn decide(c: &Case, p: &Params) -> Outcome {
    let yes_count = c.answers.iter().filter(|a| **a == Answer::Yes).count();
    let vhr = yes_count >= p.vhr_threshold;
    let pj = c.professional_judgement == Answer::Yes;
    let escalation = match (
        &c.abuse_event_dates,
        c.assessment_date
            .shift(-p.escalation_window_months, Unit::Months),
    ) {
        (Some(events), Some(from)) => {
            events
                .iter()
                .filter(|d| **d >= from && **d <= c.assessment_date)
                .count()
                >= p.escalation_count
        }
        _ => false,
    };
    let repeat = match (
        c.last_marac_date,
        c.assessment_date
            .shift(-p.repeat_window_months, Unit::Months),
    ) {
        (Some(last), Some(from)) => last >= from && last <= c.assessment_date,
        _ => false,
    };
    let reasons =
        u8::from(vhr) | u8::from(pj) << 1 | u8::from(escalation) << 2 | u8::from(repeat) << 3;
    let any = reasons != 0;
    let too_young = c.victim_age.is_some_and(|a| a < p.marac_min_age);
    let risk_level = if any {
        Level::High
    } else if yes_count >= p.medium_from {
        Level::Medium
    } else {
        Level::Standard
    };
    Outcome {
        yes_count,
        risk_level,
        refer_marac: any && !too_young,
        reasons,
    }
}
