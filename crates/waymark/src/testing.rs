//! Running the `test` blocks written in a ruleset.

use serde_json::Value as Json;
use waymark_check::hir;
use waymark_eval::Facts;
use waymark_ir::program::ConstVal;

use crate::Ruleset;

/// One test's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// Passed?
    pub passed: bool,
    /// For each failed expectation: output, expected, actual.
    pub failures: Vec<(String, Json, Json)>,
    /// The decision with its explanation, for failed tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Json>,
    /// Line in the file.
    pub line: usize,
}

/// All tests of a ruleset.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestReport {
    /// Ruleset id.
    pub ruleset: String,
    /// Each test.
    pub tests: Vec<TestOutcome>,
}

impl TestReport {
    /// How many passed.
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.passed).count()
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.tests.len() - self.passed()
    }
}

pub(crate) fn run(rules: &Ruleset) -> TestReport {
    let h = rules.checked();
    let mut tests = Vec::new();
    for t in &h.tests {
        tests.push(run_one(rules, h, t));
    }
    TestReport {
        ruleset: rules.id().to_string(),
        tests,
    }
}

fn run_one(rules: &Ruleset, h: &hir::Ruleset, t: &hir::TestDef) -> TestOutcome {
    let line = h
        .files
        .get(t.loc.file.0 as usize)
        .map_or(0, |f| f.line_col(t.loc.span.start).0);
    let p = rules.program();
    let overrides: Vec<(String, Json)> = t
        .params
        .iter()
        .filter_map(|(id, c)| {
            let info = p.params.get(id.0 as usize)?;
            Some((
                info.name.clone(),
                crate::const_json(p, &info.ty, &waymark_compile::const_val(c)),
            ))
        })
        .collect();
    let bound = if overrides.is_empty() {
        Ok(rules.clone())
    } else {
        rules.with_params(&overrides)
    };
    let rules = match bound {
        Ok(r) => r,
        Err(e) => {
            return TestOutcome {
                name: t.name.clone(),
                passed: false,
                failures: vec![("parameters".into(), Json::Null, Json::String(e.to_string()))],
                explanation: None,
                line,
            };
        }
    };
    let mut facts = Facts::unknown(p);
    for (input, c) in &t.facts {
        let c = waymark_compile::const_val(c);
        match c {
            ConstVal::Text(s) => facts.set_text(input.0 as usize, s),
            ConstVal::List(items) => facts.set_list(
                input.0 as usize,
                items.iter().map(crate::facts::scalar).collect(),
            ),
            other => facts.set(input.0 as usize, crate::facts::scalar(&other)),
        }
    }
    let decision = rules.evaluate(&facts, false);
    let mut failures = Vec::new();
    for (out, expected) in &t.expect {
        let Some(info) = p.outputs.get(out.0 as usize) else {
            continue;
        };
        let expected = match expected {
            Some(c) => crate::const_json(p, &info.ty, &waymark_compile::const_val(c)),
            None => Json::Null,
        };
        let actual = decision
            .outcome
            .get(&info.name)
            .cloned()
            .unwrap_or(Json::Null);
        if actual != expected {
            failures.push((info.name.clone(), expected, actual));
        }
    }
    let passed = failures.is_empty();
    let explanation = if passed {
        None
    } else {
        rules.evaluate(&facts, true).explanation
    };
    TestOutcome {
        name: t.name.clone(),
        passed,
        failures,
        explanation,
        line,
    }
}
