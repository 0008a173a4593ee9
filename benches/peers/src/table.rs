//! The eligibility table in every engine: `rows` rows, first hit, three whole-number
//! columns (`band == i`, `age >= 16`, `income <= 20 000 + i`), tier `low` or `high`,
//! `none` when no row matches.
//!
//! Waymark runs the source text of `waymark_benches::generate::table`. Each peer gets the
//! same table in its own form: a ZEN decision table (hit policy first), a Rego `else`
//! chain, CEL over the rows as a list, a JsonLogic `if` with one condition per row, a rhai
//! `if … else if` chain. Every one is generated from [`table_rows`].

use serde_json::{Value as Json, json};
use waymark::ir::Val;

use crate::Engine;
use crate::case::{Row, TableCase, Tier, table_handwritten, table_rows};
use crate::marac::{
    Cel, JsonLogic, RegoInterp, RegoVm, Rhai, Zen, cel_context, cel_json, datalogic_json,
    decision_outcome, rego_json_value, rhai_json, rhai_scope, typed,
};

const FIELDS: [&str; 3] = ["band", "age", "income"];

fn tier_name(t: Tier) -> &'static str {
    match t {
        Tier::None => "none",
        Tier::Low => "low",
        Tier::High => "high",
    }
}

fn tier_of(name: Option<&str>) -> Result<Tier, String> {
    match name {
        None => Ok(Tier::None),
        Some(n) => Tier::from_name(n).ok_or_else(|| format!("tier {n:?}")),
    }
}

/// The hand-written lookup over the rows.
pub struct Handwritten {
    rows: Vec<Row>,
}

impl Handwritten {
    /// The rows of a table of `rows` rows.
    pub fn new(rows: usize) -> Handwritten {
        Handwritten {
            rows: table_rows(rows),
        }
    }
}

impl Engine for Handwritten {
    type Case = TableCase;
    type Expected = Tier;
    type Input = TableCase;
    type Output = Tier;

    fn input(&self, c: &TableCase) -> Result<TableCase, String> {
        Ok(*c)
    }
    fn eval(&mut self, i: &mut TableCase) -> Result<Tier, String> {
        Ok(table_handwritten(&self.rows, i))
    }
    fn read(&self, o: &Tier) -> Result<Tier, String> {
        Ok(*o)
    }
}

/// The Waymark source of a table of `rows` rows.
pub fn waymark_source(rows: usize) -> String {
    waymark_benches::generate::table(rows)
}

/// Waymark, native.
pub struct WaymarkNative {
    rules: waymark::Ruleset,
    scratch: waymark::Scratch,
}

impl WaymarkNative {
    /// Checks and compiles the table's source.
    pub fn load(source: &str) -> Result<WaymarkNative, String> {
        let rules = waymark::Ruleset::from_sources(
            "table.wm",
            &[("table.wm".to_string(), source.to_string())],
        )
        .map_err(|e| format!("{e:?}"))?;
        let scratch = rules.scratch();
        Ok(WaymarkNative { rules, scratch })
    }
}

impl Engine for WaymarkNative {
    type Case = TableCase;
    type Expected = Tier;
    type Input = waymark::CaseFacts;
    type Output = Val;

    fn input(&self, c: &TableCase) -> Result<waymark::CaseFacts, String> {
        self.rules
            .facts_from_json(&c.json())
            .map_err(|e| format!("{e:?}"))
    }
    fn eval(&mut self, f: &mut waymark::CaseFacts) -> Result<Val, String> {
        self.rules.run(f, &mut self.scratch);
        Ok(self.rules.output_value(&self.scratch, 0))
    }
    fn read(&self, o: &Val) -> Result<Tier, String> {
        match o {
            Val::Enum(0) => Ok(Tier::None),
            Val::Enum(1) => Ok(Tier::Low),
            Val::Enum(2) => Ok(Tier::High),
            other => Err(format!("tier {other:?}")),
        }
    }
}

/// Waymark through the WebAssembly component.
pub struct WaymarkWasm {
    rules: waymark_host::Ruleset,
}

impl WaymarkWasm {
    /// Compiles the table's source in the component.
    pub fn load(component: &waymark_host::Component, source: &str) -> Result<Self, String> {
        let rules = component
            .from_sources("table.wm", &[("table.wm".to_string(), source.to_string())])
            .map_err(|e| e.to_string())?;
        Ok(WaymarkWasm { rules })
    }
}

impl Engine for WaymarkWasm {
    type Case = TableCase;
    type Expected = Tier;
    type Input = Vec<(String, waymark_host::Value)>;
    type Output = String;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        Ok(typed(&c.json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<String, String> {
        self.rules.evaluate_typed(i, false).map_err(|e| e.to_string())
    }
    fn read(&self, o: &String) -> Result<Tier, String> {
        tier_of(decision_outcome(o)?["tier"].as_str())
    }
}

/// The ZEN decision graph: a decision table, hit policy first.
pub fn zen_graph(rows: usize) -> Json {
    let rules: Vec<Json> = table_rows(rows)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "_id": format!("r{i}"),
                "band": r.band.to_string(),
                "age": format!(">= {}", r.min_age),
                "income": format!("<= {}", r.max_income),
                "tier": format!("'{}'", tier_name(r.tier)),
            })
        })
        .collect();
    json!({
        "nodes": [
            {"id": "in", "name": "request", "type": "inputNode", "content": {}},
            {"id": "dt", "name": "eligibility", "type": "decisionTableNode", "content": {
                "hitPolicy": "first",
                "inputs": [
                    {"id": "band", "name": "Band", "field": "band"},
                    {"id": "age", "name": "Age", "field": "age"},
                    {"id": "income", "name": "Income", "field": "income"}
                ],
                "outputs": [{"id": "tier", "name": "Tier", "field": "tier"}],
                "rules": rules,
                "passThrough": false
            }},
            {"id": "out", "name": "response", "type": "outputNode", "content": {}}
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "dt"},
            {"id": "e2", "sourceId": "dt", "targetId": "out"}
        ]
    })
}

/// The table in ZEN.
pub struct ZenTable(pub Zen);

impl ZenTable {
    /// Loads the graph.
    pub fn load(rows: usize) -> Result<Self, String> {
        Zen::from_graph(&zen_graph(rows)).map(ZenTable)
    }
}

impl Engine for ZenTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = zen_engine::Variable;
    type Output = zen_engine::Variable;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        Ok(zen_engine::Variable::from(c.json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(o.to_value()["tier"].as_str())
    }
}

/// The Rego policy: one rule body per row, chained with `else` (first hit); the decision is
/// `data.table.tier`.
pub fn rego_policy(rows: usize) -> String {
    let mut s = String::from("package table\n\nimport rego.v1\n\ndefault tier := \"none\"\n\n");
    for (i, r) in table_rows(rows).iter().enumerate() {
        let head = if i == 0 { "tier :=" } else { "else :=" };
        s.push_str(&format!(
            "{head} \"{}\" if {{\n\tinput.band == {}\n\tinput.age >= {}\n\tinput.income <= {}\n}} ",
            tier_name(r.tier),
            r.band,
            r.min_age,
            r.max_income
        ));
    }
    s.push('\n');
    s
}

/// The table in regorus's interpreter.
pub struct RegoInterpTable(pub RegoInterp);
/// The table on regorus's RVM.
pub struct RegoVmTable(pub RegoVm);

impl RegoInterpTable {
    /// Parses the policy.
    pub fn load(rows: usize) -> Result<Self, String> {
        RegoInterp::load(&rego_policy(rows), "data.table.tier").map(RegoInterpTable)
    }
}

impl RegoVmTable {
    /// Compiles the policy.
    pub fn load(rows: usize) -> Result<Self, String> {
        RegoVm::load(&rego_policy(rows), "data.table.tier").map(RegoVmTable)
    }
}

impl Engine for RegoInterpTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = regorus::Value;
    type Output = regorus::Value;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        Ok(regorus::Value::from(c.json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(rego_json_value(o)?.as_str())
    }
}

impl Engine for RegoVmTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = regorus::Value;
    type Output = regorus::Value;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        Ok(regorus::Value::from(c.json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(rego_json_value(o)?.as_str())
    }
}

fn row_condition(r: &Row) -> String {
    format!(
        "band == {} && age >= {} && income <= {}",
        r.band, r.min_age, r.max_income
    )
}

/// The CEL expression. cel-rust refuses expressions nested deeper than 96 (a chain of
/// conditionals, one per row, is as deep as the table is long), so the table is data: the
/// rows are a list in the context and the first of the matching rows gives the tier.
pub const CEL_EXPR: &str = "[rows.filter(r, band == r.band && age >= r.min_age && income <= r.max_income)].map(m, m.size() > 0 ? m[0].tier : 'none')[0]";

/// The rows as a CEL list of maps.
pub fn cel_rows(rows: usize) -> cel::Value {
    let list: Vec<Json> = table_rows(rows)
        .iter()
        .map(|r| json!({"band": r.band, "min_age": r.min_age, "max_income": r.max_income, "tier": tier_name(r.tier)}))
        .collect();
    crate::marac::cel_value(&Json::Array(list))
}

/// The table in CEL: the expression and the rows it reads.
pub struct CelTable {
    cel: Cel,
    rows: cel::Value,
}

impl CelTable {
    /// Compiles the expression and builds the rows.
    pub fn load(rows: usize) -> Result<Self, String> {
        Ok(CelTable {
            cel: Cel::load(CEL_EXPR)?,
            rows: cel_rows(rows),
        })
    }
}

impl Engine for CelTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = cel::Context<'static, 'static>;
    type Output = cel::Value;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        let mut ctx = cel_context(&c.json(), &FIELDS);
        ctx.add_variable_from_value("rows", self.rows.clone());
        Ok(ctx)
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.cel.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(cel_json(o).as_str())
    }
}

/// The JsonLogic rule: one `if` with a condition and a result per row, `none` last.
pub fn jsonlogic_rule(rows: usize) -> Json {
    let mut args = Vec::new();
    for r in table_rows(rows) {
        args.push(json!({"and": [
            {"==": [{"var": "band"}, r.band]},
            {">=": [{"var": "age"}, r.min_age]},
            {"<=": [{"var": "income"}, r.max_income]}
        ]}));
        args.push(json!(tier_name(r.tier)));
    }
    args.push(json!("none"));
    json!({ "if": args })
}

/// The table in JsonLogic.
pub struct JsonLogicTable(pub JsonLogic);

impl JsonLogicTable {
    /// Compiles the rule.
    pub fn load(rows: usize) -> Result<Self, String> {
        JsonLogic::load(&jsonlogic_rule(rows)).map(JsonLogicTable)
    }
}

impl Engine for JsonLogicTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = datalogic_rs::ParsedData;
    type Output = datalogic_rs::datavalue::OwnedDataValue;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        datalogic_rs::ParsedData::from_json(&c.json().to_string()).map_err(|e| e.to_string())
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(datalogic_json(o)?.as_str())
    }
}

/// The rhai script: an `if … else if` chain, one branch per row.
pub fn rhai_script(rows: usize) -> String {
    let mut s = String::new();
    for r in table_rows(rows) {
        s.push_str(&format!(
            "if {} {{ \"{}\" }} else ",
            row_condition(&r),
            tier_name(r.tier)
        ));
    }
    s.push_str("{ \"none\" }\n");
    s
}

/// The table in rhai.
pub struct RhaiTable(pub Rhai);

impl RhaiTable {
    /// Compiles the script.
    pub fn load(rows: usize) -> Result<Self, String> {
        Rhai::load(&rhai_script(rows)).map(RhaiTable)
    }
}

impl Engine for RhaiTable {
    type Case = TableCase;
    type Expected = Tier;
    type Input = rhai::Scope<'static>;
    type Output = rhai::Dynamic;

    fn input(&self, c: &TableCase) -> Result<Self::Input, String> {
        Ok(rhai_scope(&c.json(), &FIELDS))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Tier, String> {
        tier_of(rhai_json(o).as_str())
    }
}
