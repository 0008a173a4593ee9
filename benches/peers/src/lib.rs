//! Waymark side by side with the engines a team would pick instead (GoRules ZEN, regorus,
//! CEL, JsonLogic through datalogic-rs, rhai) and with hand-written Rust, on the same
//! decision logic.
//!
//! Every engine implements [`Engine`]: it turns a generated case into its own native input
//! once ([`Engine::input`], not timed), evaluates it ([`Engine::eval`], the timed part) and
//! reads its own output back into a comparable value ([`Engine::read`], not timed).
//! [`check`] holds an engine against Waymark's native decision on generated cases; the
//! benchmark refuses to time an engine that disagrees on any of them.
//!
//! Workloads: [`marac`] (the MARAC referral decision of `rulesets/marac/referral.wm`) and
//! [`table`] (the first-hit eligibility table of `waymark_benches::generate::table`).

pub mod case;
pub mod marac;
pub mod table;

use std::fmt::Debug;

/// One engine with one workload's logic loaded.
pub trait Engine {
    /// The engine-independent case.
    type Case;
    /// What the decision is compared as.
    type Expected: PartialEq + Debug;
    /// The engine's own input form, built once per case.
    type Input;
    /// The engine's own output form.
    type Output;

    /// The case in the engine's own input form.
    fn input(&self, case: &Self::Case) -> Result<Self::Input, String>;
    /// Evaluates the logic on one input: the part that is timed.
    fn eval(&mut self, input: &mut Self::Input) -> Result<Self::Output, String>;
    /// Reads the engine's output back.
    fn read(&self, output: &Self::Output) -> Result<Self::Expected, String>;
}

/// The decision of `engine` on `case`, evaluated twice (a second evaluation of the same
/// input must give the same decision: the benchmark reuses its inputs).
pub fn decide<E: Engine>(engine: &mut E, case: &E::Case) -> Result<E::Expected, String> {
    let mut input = engine.input(case)?;
    let first = engine.eval(&mut input)?;
    let first = engine.read(&first)?;
    let again = engine.eval(&mut input)?;
    let again = engine.read(&again)?;
    if first != again {
        return Err(format!(
            "a second evaluation of the same input differs: {first:?} then {again:?}"
        ));
    }
    Ok(first)
}

/// Holds `engine` against `reference` on every case that `expressible` accepts: the number
/// of cases compared, or the first disagreement.
pub fn check<E, R>(
    engine: &mut E,
    reference: &mut R,
    cases: &[E::Case],
    expressible: impl Fn(&E::Case) -> bool,
) -> Result<usize, String>
where
    E: Engine,
    R: Engine<Case = E::Case, Expected = E::Expected>,
    E::Case: Debug,
{
    let mut compared = 0;
    for case in cases.iter().filter(|c| expressible(c)) {
        let expected = decide(reference, case).map_err(|e| format!("reference: {e}"))?;
        let got = decide(engine, case).map_err(|e| format!("{e}\n  case: {case:?}"))?;
        if got != expected {
            return Err(format!(
                "disagrees with Waymark\n  case: {case:?}\n  Waymark: {expected:?}\n  engine:  {got:?}"
            ));
        }
        compared += 1;
    }
    Ok(compared)
}

/// Runs `f` on a thread with a large stack: some peers parse and evaluate a 3 000-row table
/// as 3 000 nested conditionals, recursively.
pub fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .ok()?
        .join()
        .ok()
}
