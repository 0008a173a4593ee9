//! The cases every engine is given: MARAC referral cases (24 tri-state answers, professional
//! judgement, event dates, last referral, age) and eligibility-table lookups, generated from a
//! seed, with their forms for Waymark (JSON facts), the hand-written decision and the peers.

use serde_json::{Map, Value as Json, json};
use waymark_benches::generate::Rng;
use waymark_benches::handwritten;
use waymark_ir::{Answer, Date, Unit};

/// One MARAC case, independent of any engine.
#[derive(Clone, Debug, PartialEq)]
pub struct MaracCase {
    /// Answers to q1..q24.
    pub answers: [Answer; 24],
    /// Professional judgement recorded.
    pub professional_judgement: Answer,
    /// The date of the assessment.
    pub assessment_date: Date,
    /// Domestic-abuse events known to any agency; `None` when not recorded.
    pub abuse_event_dates: Option<Vec<Date>>,
    /// The last MARAC referral; `None` when not recorded.
    pub last_marac_date: Option<Date>,
    /// The victim's age; `None` when not recorded.
    pub victim_age: Option<i64>,
}

/// The parameters of `marac.referral` that the hand-written decision knows (the two
/// switches it does not, police call-outs only and the legacy repeat definition, stay off).
pub type Params = handwritten::Params;

/// Parameter values unlike the defaults (a shorter escalation window as in Kent and
/// Medway, a lower threshold, an older minimum age), to check that every encoding binds
/// its parameters rather than hard-coding the defaults.
pub fn local_params() -> Params {
    Params {
        vhr_threshold: 13,
        medium_from: 11,
        escalation_count: 2,
        escalation_window_months: 6,
        repeat_window_months: 18,
        marac_min_age: 18,
    }
}

/// The parameters as Waymark overrides.
pub fn waymark_overrides(p: &Params) -> Vec<(String, Json)> {
    vec![
        ("vhr_threshold".into(), json!(p.vhr_threshold)),
        ("medium_from".into(), json!(p.medium_from)),
        ("escalation_count".into(), json!(p.escalation_count)),
        (
            "escalation_window_months".into(),
            json!(p.escalation_window_months),
        ),
        ("repeat_window_months".into(), json!(p.repeat_window_months)),
        ("marac_min_age".into(), json!(p.marac_min_age)),
    ]
}

/// A date as the whole number `YYYYMMDD`: how the peers receive dates (JSON has no date
/// type; each encoding does its own calendar arithmetic on these numbers).
pub fn date_number(d: Date) -> i64 {
    let (y, m, day) = d.ymd();
    i64::from(y) * 10_000 + i64::from(m) * 100 + i64::from(day)
}

fn date_text(d: Date) -> String {
    let (y, m, day) = d.ymd();
    format!("{y:04}-{m:02}-{day:02}")
}

/// The expected outcome, comparable across engines.
pub type Outcome = handwritten::Outcome;

/// Reasons bits, as [`Outcome::reasons`] numbers them.
pub const REASONS: [&str; 4] = [
    "visible_high_risk",
    "professional_judgement",
    "potential_escalation",
    "repeat",
];

/// The risk level from its name.
pub fn level(name: &str) -> Option<handwritten::Level> {
    match name {
        "standard" => Some(handwritten::Level::Standard),
        "medium" => Some(handwritten::Level::Medium),
        "high" => Some(handwritten::Level::High),
        _ => None,
    }
}

impl MaracCase {
    /// The benchmark case of the main workspace's `marac_*` groups
    /// (`generate::marac_facts(7, 12, unknown_pct)`): 12 yes answers, professional judgement
    /// no, two events of which one is in the window, an old referral, aged 34.
    pub fn bench(unknown_pct: u64) -> MaracCase {
        MaracCase::from_facts(&waymark_benches::generate::marac_facts(7, 12, unknown_pct))
    }

    /// Reads the JSON facts form (the inverse of [`MaracCase::facts`]).
    pub fn from_facts(facts: &Json) -> MaracCase {
        let answer = |k: &str| {
            facts
                .get(k)
                .and_then(Json::as_str)
                .and_then(Answer::from_word)
                .unwrap_or(Answer::Unknown)
        };
        let date = |v: &Json| v.as_str().and_then(Date::parse);
        let mut answers = [Answer::Unknown; 24];
        for (i, a) in answers.iter_mut().enumerate() {
            *a = answer(&format!("q{}", i + 1));
        }
        MaracCase {
            answers,
            professional_judgement: answer("professional_judgement"),
            assessment_date: facts
                .get("assessment_date")
                .and_then(date)
                .unwrap_or(Date(0)),
            abuse_event_dates: facts
                .get("abuse_event_dates")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(date).collect()),
            last_marac_date: facts.get("last_marac_date").and_then(date),
            victim_age: facts.get("victim_age").and_then(Json::as_i64),
        }
    }

    /// Waymark's JSON facts.
    pub fn facts(&self) -> Json {
        let mut m = Map::new();
        for (i, a) in self.answers.iter().enumerate() {
            m.insert(format!("q{}", i + 1), a.word().into());
        }
        m.insert(
            "professional_judgement".into(),
            self.professional_judgement.word().into(),
        );
        m.insert(
            "assessment_date".into(),
            date_text(self.assessment_date).into(),
        );
        if let Some(ev) = &self.abuse_event_dates {
            let list: Vec<Json> = ev.iter().map(|d| date_text(*d).into()).collect();
            m.insert("abuse_event_dates".into(), list.into());
        }
        if let Some(d) = self.last_marac_date {
            m.insert("last_marac_date".into(), date_text(d).into());
        }
        if let Some(a) = self.victim_age {
            m.insert("victim_age".into(), a.into());
        }
        Json::Object(m)
    }

    /// The peers' JSON input: answers as an array of words, dates as `YYYYMMDD` numbers,
    /// what is not recorded left out.
    pub fn peer_json(&self) -> Json {
        let mut m = Map::new();
        let answers: Vec<Json> = self.answers.iter().map(|a| a.word().into()).collect();
        m.insert("answers".into(), answers.into());
        m.insert(
            "professional_judgement".into(),
            self.professional_judgement.word().into(),
        );
        m.insert(
            "assessment_date".into(),
            date_number(self.assessment_date).into(),
        );
        if let Some(ev) = &self.abuse_event_dates {
            let list: Vec<Json> = ev.iter().map(|d| date_number(*d).into()).collect();
            m.insert("abuse_event_dates".into(), list.into());
        }
        if let Some(d) = self.last_marac_date {
            m.insert("last_marac_date".into(), date_number(d).into());
        }
        if let Some(a) = self.victim_age {
            m.insert("victim_age".into(), a.into());
        }
        Json::Object(m)
    }

    /// The hand-written decision's case.
    pub fn handwritten(&self) -> handwritten::Case {
        handwritten::Case {
            answers: self.answers,
            professional_judgement: self.professional_judgement,
            assessment_date: self.assessment_date,
            abuse_event_dates: self.abuse_event_dates.clone(),
            last_marac_date: self.last_marac_date,
            victim_age: self.victim_age,
        }
    }

    /// True when some answer or professional judgement is unknown.
    pub fn has_unknown(&self) -> bool {
        self.professional_judgement == Answer::Unknown
            || self.answers.contains(&Answer::Unknown)
    }
}

/// A date from 2019 to 2026, with month ends, 29 February and 31 March over-represented
/// (where calendar-month windows clamp).
fn assessment_date(rng: &mut Rng) -> Date {
    let year = 2019 + rng.below(8) as i32;
    let edge = [(2, 29), (2, 28), (3, 31), (3, 30), (8, 31), (12, 31), (1, 31), (5, 31)];
    if rng.below(4) == 0 {
        let (m, d) = edge[rng.below(edge.len() as u64) as usize];
        if let Some(date) = Date::from_ymd(year, m, d) {
            return date;
        }
    }
    let month = 1 + rng.below(12) as u32;
    let day = 1 + rng.below(31) as u32;
    Date::from_ymd(year, month, day)
        .or_else(|| Date::from_ymd(year, month, 28))
        .unwrap_or(Date(19_000))
}

/// A date around a window of `months` before `at`: on, just inside or just outside its
/// start or its end, or anywhere from three years before to a month after.
fn event_date(rng: &mut Rng, at: Date, months: i64) -> Date {
    let start = at.shift(-months, Unit::Months).unwrap_or(at);
    let near = |rng: &mut Rng, d: Date| {
        d.shift(rng.below(3) as i64 - 1, Unit::Days).unwrap_or(d)
    };
    match rng.below(4) {
        0 => near(rng, start),
        1 => near(rng, at),
        _ => at
            .shift(rng.below(1_130) as i64 - 1_100, Unit::Days)
            .unwrap_or(at),
    }
}

/// The generator of MARAC cases: `unknown_pct` of the answers that are not yes are unknown
/// (`None`: a share drawn anew for every case, from 0 to 100 %).
pub fn marac_cases(seed: u64, n: usize, unknown_pct: Option<u64>, p: &Params) -> Vec<MaracCase> {
    let mut rng = Rng::new(seed);
    let windows = [p.escalation_window_months, p.repeat_window_months, 6, 12];
    (0..n)
        .map(|_| {
            let yes_share = rng.below(101);
            let unknown = unknown_pct.unwrap_or_else(|| rng.below(101));
            let mut answers = [Answer::No; 24];
            for a in &mut answers {
                *a = if rng.below(100) < yes_share {
                    Answer::Yes
                } else if rng.below(100) < unknown {
                    Answer::Unknown
                } else {
                    Answer::No
                };
            }
            let professional_judgement = [Answer::Yes, Answer::No, Answer::Unknown, Answer::No]
                [rng.below(4) as usize];
            let at = assessment_date(&mut rng);
            let abuse_event_dates = (rng.below(5) != 0).then(|| {
                let n = rng.below(6) as usize;
                (0..n)
                    .map(|_| {
                        let w = windows[rng.below(4) as usize];
                        event_date(&mut rng, at, w)
                    })
                    .collect()
            });
            let last_marac_date = (rng.below(3) != 0).then(|| {
                let w = windows[rng.below(4) as usize];
                event_date(&mut rng, at, w)
            });
            let victim_age = (rng.below(5) != 0).then(|| {
                if rng.below(3) == 0 {
                    p.marac_min_age + rng.below(3) as i64 - 1
                } else {
                    10 + rng.below(70) as i64
                }
            });
            MaracCase {
                answers,
                professional_judgement,
                assessment_date: at,
                abuse_event_dates,
                last_marac_date,
                victim_age,
            }
        })
        .collect()
}

/// One lookup in the eligibility table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableCase {
    /// The band (row `i` matches band `i`).
    pub band: i64,
    /// The age (rows need 16 or over).
    pub age: i64,
    /// The income (row `i` needs at most `20 000 + i`).
    pub income: i64,
}

/// The tier a table gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// No row matched.
    None,
    /// Low.
    Low,
    /// High.
    High,
}

impl Tier {
    /// The tier from its name.
    pub fn from_name(name: &str) -> Option<Tier> {
        match name {
            "none" => Some(Tier::None),
            "low" => Some(Tier::Low),
            "high" => Some(Tier::High),
            _ => None,
        }
    }
}

impl TableCase {
    /// The benchmark lookup: the row at `row` matches (age 30, income 10 000).
    pub fn at_row(row: usize) -> TableCase {
        TableCase {
            band: row as i64,
            age: 30,
            income: 10_000,
        }
    }

    /// The JSON form, for Waymark and for the JSON-based peers.
    pub fn json(&self) -> Json {
        json!({"band": self.band, "age": self.age, "income": self.income})
    }
}

/// Lookups in a table of `rows` rows: bands in and just outside the table, ages and incomes
/// on either side of each row's limits.
pub fn table_cases(seed: u64, n: usize, rows: usize) -> Vec<TableCase> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let band = rng.below(rows as u64 + 4) as i64 - 2;
            let age = [15, 16, 17, 30, rng.below(100) as i64][rng.below(5) as usize];
            let limit = 20_000 + band;
            let income = [
                limit - 1,
                limit,
                limit + 1,
                10_000,
                rng.below(40_000) as i64,
            ][rng.below(5) as usize];
            TableCase { band, age, income }
        })
        .collect()
}

/// One row of the generated table (`waymark_benches::generate::table`), as the hand-written
/// lookup and the peers' generators read it: `band == i`, `age >= 16`,
/// `income <= 20 000 + i`, tier low on even rows and high on odd ones.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The band it matches.
    pub band: i64,
    /// The youngest age.
    pub min_age: i64,
    /// The highest income.
    pub max_income: i64,
    /// The tier.
    pub tier: Tier,
}

/// The rows of the generated table of `rows` rows.
pub fn table_rows(rows: usize) -> Vec<Row> {
    (0..rows)
        .map(|i| Row {
            band: i as i64,
            min_age: 16,
            max_income: 20_000 + i as i64,
            tier: if i % 2 == 0 { Tier::Low } else { Tier::High },
        })
        .collect()
}

/// The hand-written first-hit lookup: the rows in order, the first that matches.
pub fn table_handwritten(rows: &[Row], c: &TableCase) -> Tier {
    rows.iter()
        .find(|r| c.band == r.band && c.age >= r.min_age && c.income <= r.max_income)
        .map_or(Tier::None, |r| r.tier)
}
