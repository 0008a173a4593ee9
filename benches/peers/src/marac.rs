//! The MARAC referral decision in every engine: yes count of q1..q24, risk level, the four
//! referral criteria (visible high risk, professional judgement, potential escalation,
//! repeat) and the minimum age, with its parameters bound when the logic is loaded.
//!
//! Waymark runs `rulesets/marac/referral.wm`. Each peer gets the same logic in its own
//! language, generated from [`Params`]: answers are an array of the words `yes`, `no` and
//! `unknown`; dates are whole numbers `YYYYMMDD`, and each encoding computes the start of
//! a window of calendar months itself, clamping the day to the end of a shorter month as
//! Waymark does (31 March minus one month is 28 or 29 February); what is not recorded is
//! left out of the input (`null` or `()` where the language has no absent key).

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use waymark::ir::Val;
use waymark_benches::handwritten;

use crate::Engine;
use crate::case::{MaracCase, Outcome, Params, REASONS, level};

/// The main workspace's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `marac.referral` (the root and the checklist it imports), as
/// `Ruleset::from_sources` takes them.
pub fn sources() -> Result<(String, Vec<(String, String)>), String> {
    let mut files = Vec::new();
    for name in ["rulesets/marac/referral.wm", "rulesets/ric/adult.wm"] {
        let text = std::fs::read_to_string(root().join(name)).map_err(|e| format!("{name}: {e}"))?;
        files.push((name.to_string(), text));
    }
    Ok(("rulesets/marac/referral.wm".to_string(), files))
}

fn outcome(
    yes_count: i64,
    risk_level: &str,
    refer_marac: bool,
    reasons: [bool; 4],
) -> Result<Outcome, String> {
    Ok(Outcome {
        yes_count: usize::try_from(yes_count).map_err(|e| e.to_string())?,
        risk_level: level(risk_level).ok_or_else(|| format!("risk level {risk_level:?}"))?,
        refer_marac,
        reasons: reasons
            .iter()
            .enumerate()
            .map(|(i, r)| u8::from(*r) << i)
            .sum(),
    })
}

// ---------------------------------------------------------------------------------------
// Hand-written Rust (waymark-benches' `handwritten` module).
// ---------------------------------------------------------------------------------------

/// The hand-written decision.
#[derive(Debug, Default)]
pub struct Handwritten {
    /// Its parameters.
    pub params: Params,
}

impl Engine for Handwritten {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = handwritten::Case;
    type Output = Outcome;

    fn input(&self, c: &MaracCase) -> Result<handwritten::Case, String> {
        Ok(c.handwritten())
    }
    fn eval(&mut self, i: &mut handwritten::Case) -> Result<Outcome, String> {
        Ok(handwritten::decide(i, &self.params))
    }
    fn read(&self, o: &Outcome) -> Result<Outcome, String> {
        Ok(*o)
    }
}

// ---------------------------------------------------------------------------------------
// Waymark, native.
// ---------------------------------------------------------------------------------------

/// Waymark's native engine: facts read once, then `run` into a reused scratch area and the
/// four outputs read from their slots.
pub struct WaymarkNative {
    rules: waymark::Ruleset,
    scratch: waymark::Scratch,
    outputs: [usize; 4],
}

impl WaymarkNative {
    /// Checks and compiles `marac.referral` from its sources and binds `params`.
    pub fn load(params: &Params) -> Result<WaymarkNative, String> {
        let (root, files) = sources()?;
        let rules = waymark::Ruleset::from_sources(&root, &files).map_err(|e| format!("{e:?}"))?;
        WaymarkNative::new(&rules, params)
    }

    /// From an already compiled ruleset.
    pub fn new(rules: &waymark::Ruleset, params: &Params) -> Result<WaymarkNative, String> {
        let rules = rules
            .with_params(&crate::case::waymark_overrides(params))
            .map_err(|e| format!("{e:?}"))?;
        let outputs = &rules.program().outputs;
        let find = |name: &str| {
            outputs
                .iter()
                .position(|o| o.name == name)
                .ok_or_else(|| format!("no output {name}"))
        };
        let outputs = [
            find("yes_count")?,
            find("risk_level")?,
            find("refer_marac")?,
            find("marac_reasons")?,
        ];
        let scratch = rules.scratch();
        Ok(WaymarkNative {
            rules,
            scratch,
            outputs,
        })
    }

    /// The ruleset with its parameters bound.
    pub fn rules(&self) -> &waymark::Ruleset {
        &self.rules
    }
}

impl Engine for WaymarkNative {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = waymark::CaseFacts;
    type Output = [Val; 4];

    fn input(&self, c: &MaracCase) -> Result<waymark::CaseFacts, String> {
        self.rules
            .facts_from_json(&c.facts())
            .map_err(|e| format!("{e:?}"))
    }
    fn eval(&mut self, f: &mut waymark::CaseFacts) -> Result<[Val; 4], String> {
        self.rules.run(f, &mut self.scratch);
        Ok(self.outputs.map(|i| self.rules.output_value(&self.scratch, i)))
    }
    fn read(&self, o: &[Val; 4]) -> Result<Outcome, String> {
        let (Val::Int(yes), Val::Enum(lv), Val::Bool(refer), Val::Set(reasons)) =
            (o[0], o[1], o[2], o[3])
        else {
            return Err(format!("unexpected outputs {o:?}"));
        };
        let lv = ["standard", "medium", "high"]
            .get(lv as usize)
            .ok_or_else(|| format!("level {lv}"))?;
        outcome(yes, lv, refer, [0, 1, 2, 3].map(|b| reasons & (1 << b) != 0))
    }
}

// ---------------------------------------------------------------------------------------
// Waymark, WebAssembly component.
// ---------------------------------------------------------------------------------------

/// Waymark's WebAssembly component under wasmtime (`waymark-host`), with the host's
/// default limits (fuel, memory, deadline) unless loaded otherwise: typed facts in, the
/// decision as JSON text out (the component's own output form).
pub struct WaymarkWasm {
    rules: waymark_host::Ruleset,
}

/// The component file, when it has been built (`bash scripts/component`).
pub fn component_file() -> Option<PathBuf> {
    let path = if std::env::var_os("WAYMARK_COMPONENT").is_some() {
        waymark_host::component_path()
    } else {
        root().join("target/wasm32-wasip2/component/waymark_component.wasm")
    };
    path.is_file().then_some(path)
}

/// Loads the component with its default limits, or with fuel and deadline switched off.
pub fn component(metered: bool) -> Result<waymark_host::Component, String> {
    let path = component_file().ok_or("the component is not built (bash scripts/component)")?;
    let mut options = waymark_host::Options {
        cache_dir: Some(waymark_host::default_cache_dir(&path)),
        component: path,
        ..waymark_host::Options::default()
    };
    if !metered {
        options.fuel = None;
        options.deadline = None;
    }
    waymark_host::Component::load(options).map_err(|e| e.to_string())
}

impl WaymarkWasm {
    /// Compiles `marac.referral` in the component and binds `params`.
    pub fn load(component: &waymark_host::Component, params: &Params) -> Result<Self, String> {
        let (root, files) = sources()?;
        let rules = component
            .from_sources(&root, &files)
            .and_then(|r| r.with_params(&crate::case::waymark_overrides(params)))
            .map_err(|e| e.to_string())?;
        Ok(WaymarkWasm { rules })
    }

    /// The ruleset in the component.
    pub fn rules(&self) -> &waymark_host::Ruleset {
        &self.rules
    }
}

/// A JSON facts object as the component's typed values.
pub fn typed(json: &Json) -> Vec<(String, waymark_host::Value)> {
    use waymark_host::{Scalar, Value};
    let scalar = |k: &str, v: &Json| match v {
        Json::String(s) if s == "yes" => Scalar::Yes,
        Json::String(s) if s == "no" => Scalar::No,
        Json::String(s) if s == "unknown" => Scalar::Unknown,
        Json::String(s) if k.ends_with("date") || k.ends_with("dates") => Scalar::Date(s.clone()),
        Json::String(s) => Scalar::Text(s.clone()),
        Json::Number(n) => n.as_i64().map_or(Scalar::Unknown, Scalar::Int),
        Json::Bool(b) => Scalar::Boolean(*b),
        _ => Scalar::Unknown,
    };
    json.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let value = match v {
                        Json::Array(items) => {
                            Value::List(items.iter().map(|i| scalar(k, i)).collect())
                        }
                        other => match scalar(k, other) {
                            Scalar::Yes => Value::Yes,
                            Scalar::No => Value::No,
                            Scalar::Unknown => Value::Unknown,
                            Scalar::Boolean(b) => Value::Boolean(b),
                            Scalar::Int(i) => Value::Int(i),
                            Scalar::Number(n) => Value::Number(n),
                            Scalar::Text(t) => Value::Text(t),
                            Scalar::Date(d) => Value::Date(d),
                        },
                    };
                    (k.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the outcome of a decision written as JSON.
pub fn decision_outcome(text: &str) -> Result<Json, String> {
    let d: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
    d.get("outcome").cloned().ok_or_else(|| format!("no outcome in {text}"))
}

fn read_outcome_json(o: &Json) -> Result<Outcome, String> {
    let reasons: Vec<&str> = o["marac_reasons"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    outcome(
        o["yes_count"].as_i64().ok_or("yes_count")?,
        o["risk_level"].as_str().ok_or("risk_level")?,
        o["refer_marac"].as_bool().ok_or("refer_marac")?,
        REASONS.map(|r| reasons.contains(&r)),
    )
}

impl Engine for WaymarkWasm {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = Vec<(String, waymark_host::Value)>;
    type Output = String;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(typed(&c.facts()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<String, String> {
        self.rules.evaluate_typed(i, false).map_err(|e| e.to_string())
    }
    fn read(&self, o: &String) -> Result<Outcome, String> {
        read_outcome_json(&decision_outcome(o)?)
    }
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic shared by the encodings (as text in each language).
// ---------------------------------------------------------------------------------------

/// Days in month `m` of year `y`, as an expression in a C-like language with `?:`, `%`,
/// `==`, `&&`, `||` (ZEN uses `and`/`or`; `and`, `or` are substituted there).
fn dim_expr(y: &str, m: &str) -> String {
    format!(
        "({m} == 2 ? ((({y} % 4 == 0 && {y} % 100 != 0) || {y} % 400 == 0) ? 29 : 28) : (({m} == 4 || {m} == 6 || {m} == 9 || {m} == 11) ? 30 : 31))"
    )
}

// ---------------------------------------------------------------------------------------
// GoRules ZEN: a decision graph (input node, one expression node, output node).
// ---------------------------------------------------------------------------------------

/// The ZEN decision graph (JDM JSON).
pub fn zen_graph(p: &Params) -> Json {
    let zen = |s: String| s.replace("&&", " and ").replace("||", " or ");
    let mut exprs: Vec<(String, String)> = vec![
        ("yes_count".into(), "count(answers, # == 'yes')".into()),
        ("ad_d".into(), "assessment_date % 100".into()),
        ("ad_m".into(), "floor(assessment_date / 100) % 100".into()),
        ("ad_y".into(), "floor(assessment_date / 10000)".into()),
    ];
    for (w, months) in [("esc", p.escalation_window_months), ("rep", p.repeat_window_months)] {
        exprs.push((format!("{w}_t"), format!("$.ad_y * 12 + $.ad_m - 1 - {months}")));
        exprs.push((format!("{w}_y"), format!("floor($.{w}_t / 12)")));
        exprs.push((format!("{w}_m"), format!("$.{w}_t % 12 + 1")));
        exprs.push((
            format!("{w}_dim"),
            zen(dim_expr(&format!("$.{w}_y"), &format!("$.{w}_m"))),
        ));
        exprs.push((
            format!("{w}_from"),
            format!("$.{w}_y * 10000 + $.{w}_m * 100 + min([$.ad_d, $.{w}_dim])"),
        ));
    }
    exprs.extend([
        (
            "events_in_window".into(),
            "abuse_event_dates == null ? 0 : count(abuse_event_dates, # >= $.esc_from and # <= assessment_date)".into(),
        ),
        (
            "visible_high_risk".into(),
            format!("$.yes_count >= {}", p.vhr_threshold),
        ),
        (
            "professional_judgement".into(),
            "professional_judgement == 'yes'".into(),
        ),
        (
            "potential_escalation".into(),
            format!("$.events_in_window >= {}", p.escalation_count),
        ),
        (
            "repeat".into(),
            "last_marac_date != null and last_marac_date >= $.rep_from and last_marac_date <= assessment_date".into(),
        ),
        (
            "any_criterion".into(),
            "$.visible_high_risk or $.professional_judgement or $.potential_escalation or $.repeat".into(),
        ),
        (
            "risk_level".into(),
            format!(
                "$.any_criterion ? 'high' : ($.yes_count >= {} ? 'medium' : 'standard')",
                p.medium_from
            ),
        ),
        (
            "refer_marac".into(),
            format!(
                "$.any_criterion and not (victim_age != null and victim_age < {})",
                p.marac_min_age
            ),
        ),
    ]);
    let expressions: Vec<Json> = exprs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| json!({"id": format!("x{i}"), "key": k, "value": v}))
        .collect();
    json!({
        "nodes": [
            {"id": "in", "name": "request", "type": "inputNode", "content": {}},
            {"id": "marac", "name": "marac", "type": "expressionNode",
             "content": {"expressions": expressions, "passThrough": false}},
            {"id": "out", "name": "response", "type": "outputNode", "content": {}}
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "marac"},
            {"id": "e2", "sourceId": "marac", "targetId": "out"}
        ]
    })
}

/// A ZEN decision graph ready to evaluate (`Decision::compile` done).
pub struct Zen {
    decision: zen_engine::Decision,
}

impl Zen {
    /// Loads a graph into a decision and compiles it.
    pub fn from_graph(graph: &Json) -> Result<Zen, String> {
        let content: zen_engine::model::DecisionContent =
            serde_json::from_value(graph.clone()).map_err(|e| e.to_string())?;
        let engine = zen_engine::DecisionEngine::default();
        let mut decision = engine
            .create_decision(std::sync::Arc::new(content))
            .map_err(|e| format!("{e:?}"))?;
        decision.compile();
        decision.validate().map_err(|e| format!("{e:?}"))?;
        Ok(Zen { decision })
    }

    /// Evaluates one input (ZEN's API is async: driven to completion on this thread).
    pub fn run(&self, input: &zen_engine::Variable) -> Result<zen_engine::Variable, String> {
        pollster::block_on(self.decision.evaluate(input.clone()))
            .map(|r| r.result)
            .map_err(|e| format!("{e:?}"))
    }
}

/// ZEN with the MARAC graph.
pub struct ZenMarac(pub Zen);

impl ZenMarac {
    /// Loads the graph for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        Zen::from_graph(&zen_graph(p)).map(ZenMarac)
    }
}

fn read_flat_json(o: &Json) -> Result<Outcome, String> {
    let b = |k: &str| o[k].as_bool().ok_or_else(|| format!("{k} in {o}"));
    outcome(
        o["yes_count"]
            .as_i64()
            .or_else(|| o["yes_count"].as_f64().map(|f| f as i64))
            .or_else(|| o["yes_count"].as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| format!("yes_count in {o}"))?,
        o["risk_level"].as_str().ok_or("risk_level")?,
        b("refer_marac")?,
        [
            b("visible_high_risk")?,
            b("professional_judgement")?,
            b("potential_escalation")?,
            b("repeat")?,
        ],
    )
}

impl Engine for ZenMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = zen_engine::Variable;
    type Output = zen_engine::Variable;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(zen_engine::Variable::from(c.peer_json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&o.to_value())
    }
}

// ---------------------------------------------------------------------------------------
// Rego (regorus): the interpreter, and the RVM (Rego compiled to a register VM).
// ---------------------------------------------------------------------------------------

/// The Rego policy; the decision is `data.marac.decision`.
pub fn rego_policy(p: &Params) -> String {
    format!(
        r#"package marac

import rego.v1

yes_count := count([a | some a in input.answers; a == "yes"])

leap(y) if {{
	y % 4 == 0
	y % 100 != 0
}}

leap(y) if y % 400 == 0

days_in_month(y, m) := 29 if {{
	m == 2
	leap(y)
}} else := 28 if {{
	m == 2
}} else := 30 if {{
	m in {{4, 6, 9, 11}}
}} else := 31

# The start of a window of `months` calendar months before `date` (YYYYMMDD).
window_start(date, months) := s if {{
	d := date % 100
	m := ((date - d) / 100) % 100
	y := (date - date % 10000) / 10000
	t := (y * 12 + m - 1) - months
	ty := (t - t % 12) / 12
	tm := t % 12 + 1
	s := (ty * 10000 + tm * 100) + min({{d, days_in_month(ty, tm)}})
}}

escalation_from := window_start(input.assessment_date, {ew})

repeat_from := window_start(input.assessment_date, {rw})

default events_in_window := 0

events_in_window := count([e |
	some e in input.abuse_event_dates
	e >= escalation_from
	e <= input.assessment_date
])

default visible_high_risk := false

visible_high_risk if yes_count >= {vhr}

default professional_judgement := false

professional_judgement if input.professional_judgement == "yes"

default potential_escalation := false

potential_escalation if events_in_window >= {ec}

default repeat := false

repeat if {{
	input.last_marac_date >= repeat_from
	input.last_marac_date <= input.assessment_date
}}

any_criterion if visible_high_risk
any_criterion if professional_judgement
any_criterion if potential_escalation
any_criterion if repeat

default risk_level := "standard"

risk_level := "high" if any_criterion
else := "medium" if yes_count >= {mf}

too_young if input.victim_age < {ma}

default refer_marac := false

refer_marac if {{
	any_criterion
	not too_young
}}

decision := {{
	"yes_count": yes_count,
	"risk_level": risk_level,
	"refer_marac": refer_marac,
	"visible_high_risk": visible_high_risk,
	"professional_judgement": professional_judgement,
	"potential_escalation": potential_escalation,
	"repeat": repeat,
}}
"#,
        ew = p.escalation_window_months,
        rw = p.repeat_window_months,
        vhr = p.vhr_threshold,
        ec = p.escalation_count,
        mf = p.medium_from,
        ma = p.marac_min_age,
    )
}

/// A Rego policy in regorus's interpreter.
pub struct RegoInterp {
    engine: regorus::Engine,
    rule: String,
}

impl RegoInterp {
    /// Parses the policy; `rule` is the rule evaluated (such as `data.marac.decision`).
    pub fn load(policy: &str, rule: &str) -> Result<RegoInterp, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("policy.rego".into(), policy.into())
            .map_err(|e| e.to_string())?;
        Ok(RegoInterp {
            engine,
            rule: rule.into(),
        })
    }

    /// Evaluates the rule on one input.
    pub fn run(&mut self, input: &regorus::Value) -> Result<regorus::Value, String> {
        self.engine.set_input(input.clone());
        self.engine
            .eval_rule(self.rule.clone())
            .map_err(|e| e.to_string())
    }
}

/// A Rego policy compiled for regorus's RVM.
pub struct RegoVm {
    vm: regorus::rvm::RegoVM,
}

impl RegoVm {
    /// Compiles the policy to an RVM program with `rule` as its entry point.
    pub fn load(policy: &str, rule: &str) -> Result<RegoVm, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("policy.rego".into(), policy.into())
            .map_err(|e| e.to_string())?;
        let entry: regorus::Rc<str> = rule.into();
        let compiled = engine
            .compile_with_entrypoint(&entry)
            .map_err(|e| e.to_string())?;
        let program =
            regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &[rule])
                .map_err(|e| e.to_string())?;
        let mut vm = regorus::rvm::RegoVM::new();
        vm.load_program(program);
        Ok(RegoVm { vm })
    }

    /// Evaluates the entry point on one input.
    pub fn run(&mut self, input: &regorus::Value) -> Result<regorus::Value, String> {
        self.vm.set_input(input.clone());
        self.vm.execute().map_err(|e| e.to_string())
    }
}

/// A regorus value as JSON.
pub fn rego_json_value(v: &regorus::Value) -> Result<Json, String> {
    let text = v.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// The MARAC policy in regorus's interpreter.
pub struct RegoInterpMarac(pub RegoInterp);
/// The MARAC policy on regorus's RVM.
pub struct RegoVmMarac(pub RegoVm);

impl RegoInterpMarac {
    /// Loads the policy for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        RegoInterp::load(&rego_policy(p), "data.marac.decision").map(RegoInterpMarac)
    }
}

impl RegoVmMarac {
    /// Compiles the policy for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        RegoVm::load(&rego_policy(p), "data.marac.decision").map(RegoVmMarac)
    }
}

impl Engine for RegoInterpMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = regorus::Value;
    type Output = regorus::Value;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(regorus::Value::from(c.peer_json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&rego_json_value(o)?)
    }
}

impl Engine for RegoVmMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = regorus::Value;
    type Output = regorus::Value;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(regorus::Value::from(c.peer_json()))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&rego_json_value(o)?)
    }
}

// ---------------------------------------------------------------------------------------
// CEL (cel-rust).
// ---------------------------------------------------------------------------------------

/// CEL has no local bindings in cel-rust (no `cel.bind`): a value used more than once is
/// bound with the comprehension idiom `[value].map(name, body)[0]`.
fn cel_bind(value: &str, name: &str, body: &str) -> String {
    format!("[{value}].map({name}, {body})[0]")
}

fn cel_window_start(months: i64, body_name: &str, body: &str) -> String {
    let t = format!("(assessment_date / 10000) * 12 + (assessment_date / 100) % 100 - 1 - {months}");
    let start = format!(
        "ty * 10000 + tm * 100 + (assessment_date % 100 < {dim} ? assessment_date % 100 : {dim})",
        dim = dim_expr("ty", "tm")
    );
    cel_bind(
        &t,
        "t",
        &cel_bind(
            "t / 12",
            "ty",
            &cel_bind("t % 12 + 1", "tm", &cel_bind(&start, body_name, body)),
        ),
    )
}

/// The CEL expression; variables `answers`, `professional_judgement`, `assessment_date`,
/// `abuse_event_dates`, `last_marac_date`, `victim_age` (`null` when not recorded).
pub fn cel_expr(p: &Params) -> String {
    let result = format!(
        "{{'yes_count': yc, 'risk_level': any ? 'high' : (yc >= {mf} ? 'medium' : 'standard'), \
         'refer_marac': any && !(victim_age != null && victim_age < {ma}), \
         'visible_high_risk': r[0], 'professional_judgement': r[1], 'potential_escalation': r[2], 'repeat': r[3]}}",
        mf = p.medium_from,
        ma = p.marac_min_age
    );
    let criteria = format!(
        "[yc >= {vhr}, professional_judgement == 'yes', ev >= {ec}, \
         last_marac_date != null && last_marac_date >= rf && last_marac_date <= assessment_date]",
        vhr = p.vhr_threshold,
        ec = p.escalation_count
    );
    let body = cel_bind(
        &criteria,
        "r",
        &cel_bind("r[0] || r[1] || r[2] || r[3]", "any", &result),
    );
    let events = "abuse_event_dates == null ? 0 : abuse_event_dates.filter(e, e >= ef && e <= assessment_date).size()";
    let body = cel_bind(events, "ev", &body);
    let body = cel_window_start(p.repeat_window_months, "rf", &body);
    let body = cel_window_start(p.escalation_window_months, "ef", &body);
    cel_bind("answers.filter(a, a == 'yes').size()", "yc", &body)
}

/// A JSON value as a CEL value.
pub fn cel_value(v: &Json) -> cel::Value {
    match v {
        Json::Null => cel::Value::Null,
        Json::Bool(b) => cel::Value::Bool(*b),
        Json::Number(n) => n.as_i64().map_or(cel::Value::Null, cel::Value::Int),
        Json::String(s) => cel::Value::String(std::sync::Arc::new(s.clone())),
        Json::Array(a) => cel::Value::List(std::sync::Arc::new(a.iter().map(cel_value).collect())),
        Json::Object(o) => {
            let map: std::collections::HashMap<String, cel::Value> =
                o.iter().map(|(k, v)| (k.clone(), cel_value(v))).collect();
            cel::Value::from(map)
        }
    }
}

/// A CEL value as JSON (maps with text keys, lists, scalars).
pub fn cel_json(v: &cel::Value) -> Json {
    match v {
        cel::Value::Null => Json::Null,
        cel::Value::Bool(b) => Json::Bool(*b),
        cel::Value::Int(i) => json!(i),
        cel::Value::UInt(u) => json!(u),
        cel::Value::Float(f) => json!(f),
        cel::Value::String(s) => Json::String(s.to_string()),
        cel::Value::List(l) => Json::Array(l.iter().map(cel_json).collect()),
        cel::Value::Map(m) => Json::Object(
            m.map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        cel::objects::Key::String(s) => s.to_string(),
                        cel::objects::Key::Int(i) => i.to_string(),
                        cel::objects::Key::Uint(u) => u.to_string(),
                        cel::objects::Key::Bool(b) => b.to_string(),
                    };
                    (key, cel_json(v))
                })
                .collect(),
        ),
        other => Json::String(format!("{other:?}")),
    }
}

/// A CEL context whose variables are the fields of a JSON object (`names` not in the
/// object are `null`).
pub fn cel_context(fields: &Json, names: &[&str]) -> cel::Context<'static, 'static> {
    let mut ctx = cel::Context::default();
    for name in names {
        let v = fields.get(*name).map_or(cel::Value::Null, cel_value);
        ctx.add_variable_from_value(*name, v);
    }
    ctx
}

/// A compiled CEL program.
pub struct Cel {
    program: cel::Program,
}

impl Cel {
    /// Compiles an expression.
    pub fn load(expr: &str) -> Result<Cel, String> {
        cel::Program::compile(expr)
            .map(|program| Cel { program })
            .map_err(|e| format!("{e:?}"))
    }

    /// Evaluates it in a context.
    pub fn run(&self, ctx: &cel::Context<'static, 'static>) -> Result<cel::Value, String> {
        self.program.execute(ctx).map_err(|e| format!("{e:?}"))
    }
}

/// The MARAC expression in CEL.
pub struct CelMarac(pub Cel);

const MARAC_FIELDS: [&str; 6] = [
    "answers",
    "professional_judgement",
    "assessment_date",
    "abuse_event_dates",
    "last_marac_date",
    "victim_age",
];

impl CelMarac {
    /// Compiles the expression for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        Cel::load(&cel_expr(p)).map(CelMarac)
    }
}

impl Engine for CelMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = cel::Context<'static, 'static>;
    type Output = cel::Value;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(cel_context(&c.peer_json(), &MARAC_FIELDS))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&cel_json(o))
    }
}

// ---------------------------------------------------------------------------------------
// JsonLogic (datalogic-rs).
// ---------------------------------------------------------------------------------------

fn jl_var(name: &str) -> Json {
    json!({"var": name})
}

/// JsonLogic for the start of a window of `months` before the assessment date. JsonLogic has
/// no local bindings: shared parts are written out again where used. `outer` reads the
/// assessment date one scope up (inside `filter`).
fn jl_window_start(months: i64, outer: bool) -> Json {
    let ad = if outer {
        json!({"val": [[1], "assessment_date"]})
    } else {
        jl_var("assessment_date")
    };
    let d = json!({"%": [ad, 100]});
    let m = json!({"%": [{"floor": [{"/": [ad, 100]}]}, 100]});
    let y = json!({"floor": [{"/": [ad, 10000]}]});
    let t = json!({"-": [{"+": [{"*": [y, 12]}, m]}, 1 + months]});
    let ty = json!({"floor": [{"/": [t, 12]}]});
    let tm = json!({"+": [{"%": [t, 12]}, 1]});
    let leap = json!({"or": [
        {"and": [{"==": [{"%": [ty, 4]}, 0]}, {"!=": [{"%": [ty, 100]}, 0]}]},
        {"==": [{"%": [ty, 400]}, 0]}
    ]});
    let dim = json!({"if": [
        {"==": [tm, 2]}, {"if": [leap, 29, 28]},
        {"in": [tm, [4, 6, 9, 11]]}, 30,
        31
    ]});
    json!({"+": [{"*": [ty, 10000]}, {"*": [tm, 100]}, {"min": [d, dim]}]})
}

/// The JsonLogic rule: an object template (datalogic-rs templating) with one field per
/// output.
pub fn jsonlogic_rule(p: &Params) -> Json {
    let yes_count = json!({"length": [{"filter": [jl_var("answers"), {"==": [{"var": ""}, "yes"]}]}]});
    let vhr = json!({">=": [yes_count, p.vhr_threshold]});
    let pj = json!({"==": [jl_var("professional_judgement"), "yes"]});
    let ad_outer = json!({"val": [[1], "assessment_date"]});
    let events = json!({"length": [{"filter": [
        {"var": ["abuse_event_dates", []]},
        {"and": [
            {">=": [{"var": ""}, jl_window_start(p.escalation_window_months, true)]},
            {"<=": [{"var": ""}, ad_outer]}
        ]}
    ]}]});
    let esc = json!({">=": [events, p.escalation_count]});
    let rep = json!({"and": [
        {"!=": [jl_var("last_marac_date"), null]},
        {">=": [jl_var("last_marac_date"), jl_window_start(p.repeat_window_months, false)]},
        {"<=": [jl_var("last_marac_date"), jl_var("assessment_date")]}
    ]});
    let any = json!({"or": [vhr, pj, esc, rep]});
    let young = json!({"and": [
        {"!=": [jl_var("victim_age"), null]},
        {"<": [jl_var("victim_age"), p.marac_min_age]}
    ]});
    json!({
        "yes_count": yes_count,
        "risk_level": {"if": [any, "high", {">=": [yes_count, p.medium_from]}, "medium", "standard"]},
        "refer_marac": {"and": [any, {"!": [young]}]},
        "visible_high_risk": {"!!": [vhr]},
        "professional_judgement": {"!!": [pj]},
        "potential_escalation": {"!!": [esc]},
        "repeat": {"!!": [rep]}
    })
}

/// A compiled JsonLogic rule with its own arena, reset after every evaluation.
pub struct JsonLogic {
    engine: datalogic_rs::Engine,
    logic: datalogic_rs::Logic,
    arena: datalogic_rs::bumpalo::Bump,
}

impl JsonLogic {
    /// Compiles a rule (templating on: a multi-key object is an output template).
    pub fn load(rule: &Json) -> Result<JsonLogic, String> {
        let engine = datalogic_rs::Engine::builder().with_templating(true).build();
        let logic = engine
            .compile(rule.to_string().as_str())
            .map_err(|e| e.to_string())?;
        Ok(JsonLogic {
            engine,
            logic,
            arena: datalogic_rs::bumpalo::Bump::new(),
        })
    }

    /// Evaluates it on parsed data; the result copied out of the arena.
    pub fn run(
        &mut self,
        data: &datalogic_rs::ParsedData,
    ) -> Result<datalogic_rs::datavalue::OwnedDataValue, String> {
        let out = self
            .engine
            .evaluate(&self.logic, data, &self.arena)
            .map(|v| v.to_owned())
            .map_err(|e| e.to_string());
        self.arena.reset();
        out
    }
}

/// The MARAC rule in JsonLogic.
pub struct JsonLogicMarac(pub JsonLogic);

impl JsonLogicMarac {
    /// Compiles the rule for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        JsonLogic::load(&jsonlogic_rule(p)).map(JsonLogicMarac)
    }
}

/// A datalogic value as JSON.
pub fn datalogic_json(v: &datalogic_rs::datavalue::OwnedDataValue) -> Result<Json, String> {
    serde_json::from_str(&v.to_string()).map_err(|e| format!("{e}: {v}"))
}

impl Engine for JsonLogicMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = datalogic_rs::ParsedData;
    type Output = datalogic_rs::datavalue::OwnedDataValue;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        datalogic_rs::ParsedData::from_json(&c.peer_json().to_string()).map_err(|e| e.to_string())
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&datalogic_json(o)?)
    }
}

// ---------------------------------------------------------------------------------------
// rhai.
// ---------------------------------------------------------------------------------------

/// The rhai script: one block (its variables end with it, so the scope is unchanged) that
/// ends in an object map.
pub fn rhai_script(p: &Params) -> String {
    format!(
        r#"
fn window_start(date, months) {{
    let d = date % 100;
    let m = (date / 100) % 100;
    let y = date / 10000;
    let t = y * 12 + m - 1 - months;
    let ty = t / 12;
    let tm = t % 12 + 1;
    let dim = if tm == 2 {{
        if (ty % 4 == 0 && ty % 100 != 0) || ty % 400 == 0 {{ 29 }} else {{ 28 }}
    }} else if tm == 4 || tm == 6 || tm == 9 || tm == 11 {{ 30 }} else {{ 31 }};
    ty * 10000 + tm * 100 + if d < dim {{ d }} else {{ dim }}
}}

{{
    let yes_count = 0;
    for a in answers {{ if a == "yes" {{ yes_count += 1; }} }}
    let esc_from = window_start(assessment_date, {ew});
    let rep_from = window_start(assessment_date, {rw});
    let events = 0;
    if abuse_event_dates != () {{
        for e in abuse_event_dates {{
            if e >= esc_from && e <= assessment_date {{ events += 1; }}
        }}
    }}
    let vhr = yes_count >= {vhr};
    let pj = professional_judgement == "yes";
    let esc = events >= {ec};
    let rep = last_marac_date != () && last_marac_date >= rep_from && last_marac_date <= assessment_date;
    let any = vhr || pj || esc || rep;
    let young = victim_age != () && victim_age < {ma};
    #{{
        yes_count: yes_count,
        risk_level: if any {{ "high" }} else if yes_count >= {mf} {{ "medium" }} else {{ "standard" }},
        refer_marac: any && !young,
        visible_high_risk: vhr,
        professional_judgement: pj,
        potential_escalation: esc,
        repeat: rep
    }}
}}
"#,
        ew = p.escalation_window_months,
        rw = p.repeat_window_months,
        vhr = p.vhr_threshold,
        ec = p.escalation_count,
        mf = p.medium_from,
        ma = p.marac_min_age,
    )
}

/// A rhai value from JSON (`null` is `()`).
pub fn rhai_value(v: &Json) -> rhai::Dynamic {
    match v {
        Json::Null => rhai::Dynamic::UNIT,
        Json::Bool(b) => (*b).into(),
        Json::Number(n) => n.as_i64().map_or(rhai::Dynamic::UNIT, rhai::Dynamic::from),
        Json::String(s) => s.clone().into(),
        Json::Array(a) => rhai::Dynamic::from_array(a.iter().map(rhai_value).collect()),
        Json::Object(o) => {
            let map: rhai::Map = o
                .iter()
                .map(|(k, v)| (k.as_str().into(), rhai_value(v)))
                .collect();
            rhai::Dynamic::from_map(map)
        }
    }
}

/// A rhai value as JSON.
pub fn rhai_json(v: &rhai::Dynamic) -> Json {
    if let Some(b) = v.clone().try_cast::<bool>() {
        return json!(b);
    }
    if let Some(i) = v.clone().try_cast::<rhai::INT>() {
        return json!(i);
    }
    if let Some(s) = v.clone().try_cast::<rhai::ImmutableString>() {
        return json!(s.as_str());
    }
    if let Some(m) = v.clone().try_cast::<rhai::Map>() {
        return Json::Object(m.iter().map(|(k, v)| (k.to_string(), rhai_json(v))).collect());
    }
    if let Some(a) = v.clone().try_cast::<rhai::Array>() {
        return Json::Array(a.iter().map(rhai_json).collect());
    }
    Json::Null
}

/// A rhai scope holding the fields of a JSON object as variables (`names` not in the
/// object are `()`).
pub fn rhai_scope(fields: &Json, names: &[&str]) -> rhai::Scope<'static> {
    let mut scope = rhai::Scope::new();
    for name in names {
        let v = fields.get(*name).map_or(rhai::Dynamic::UNIT, rhai_value);
        scope.push_dynamic(*name, v);
    }
    scope
}

/// A compiled rhai script.
pub struct Rhai {
    engine: rhai::Engine,
    ast: rhai::AST,
}

impl Rhai {
    /// Compiles a script (expression depth limits off: a long table is a long `else if`
    /// chain).
    pub fn load(script: &str) -> Result<Rhai, String> {
        let mut engine = rhai::Engine::new();
        engine.set_max_expr_depths(0, 0);
        engine.set_optimization_level(rhai::OptimizationLevel::Full);
        let ast = engine.compile(script).map_err(|e| e.to_string())?;
        Ok(Rhai { engine, ast })
    }

    /// Runs it with a scope of inputs.
    pub fn run(&self, scope: &mut rhai::Scope<'static>) -> Result<rhai::Dynamic, String> {
        self.engine
            .eval_ast_with_scope::<rhai::Dynamic>(scope, &self.ast)
            .map_err(|e| e.to_string())
    }
}

/// The MARAC script in rhai.
pub struct RhaiMarac(pub Rhai);

impl RhaiMarac {
    /// Compiles the script for `params`.
    pub fn load(p: &Params) -> Result<Self, String> {
        Rhai::load(&rhai_script(p)).map(RhaiMarac)
    }
}

impl Engine for RhaiMarac {
    type Case = MaracCase;
    type Expected = Outcome;
    type Input = rhai::Scope<'static>;
    type Output = rhai::Dynamic;

    fn input(&self, c: &MaracCase) -> Result<Self::Input, String> {
        Ok(rhai_scope(&c.peer_json(), &MARAC_FIELDS))
    }
    fn eval(&mut self, i: &mut Self::Input) -> Result<Self::Output, String> {
        self.0.run(i)
    }
    fn read(&self, o: &Self::Output) -> Result<Outcome, String> {
        read_flat_json(&rhai_json(o))
    }
}
