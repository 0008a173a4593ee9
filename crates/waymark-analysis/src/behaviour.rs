//! The behavioural diff: output by output, a proof that two rulesets agree on every
//! case, or the cases where they differ, confirmed on the real engine.

use std::collections::{HashMap, HashSet};

use biodivine_lib_bdd::{Bdd, BddVariable};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use waymark_check::hir::{self, Const, OutputId, ParamId, Type};

use crate::concrete::{Val, const_val};
use crate::facts::{self, Pool, Rng};
use crate::render;
use crate::sym::{Enc, Eval, Mgr, R, Sv};
use crate::{DiffOptions, Limits};

/// Whether an output behaves the same in both rulesets.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Proven the same for every case.
    Equivalent {
        /// How it was proven.
        proof: String,
        /// The atoms the proof treated as independent unknowns, as text.
        atoms: Vec<String>,
    },
    /// Some cases differ; the examples reproduce on the engine.
    Differs {
        /// How many assignments of the finite inputs change the output (`None` when
        /// only the random search found the difference).
        patterns: Option<f64>,
        /// The same number written out exactly.
        patterns_text: String,
        /// Minimal cases, evaluated with the engine.
        examples: Vec<Example>,
        /// The changed region in plain words.
        summary: Vec<String>,
        /// For ordered outputs, how many patterns go up and down.
        #[serde(skip_serializing_if = "Option::is_none")]
        directions: Option<Directions>,
    },
    /// Neither proven nor confirmed.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// A case where the two rulesets decide differently.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Example {
    /// The facts (absent inputs left out).
    pub facts: Json,
    /// The old ruleset's decision for the output, from the engine.
    pub old: Json,
    /// The new ruleset's decision for the output, from the engine.
    pub new: Json,
    /// `symbolic` or `random search`.
    pub found_by: String,
}

/// How the changed patterns move an ordered output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Directions {
    /// Patterns whose value goes up.
    pub up: f64,
    /// Patterns whose value goes down.
    pub down: f64,
    /// Every change of value, with its patterns.
    pub transitions: Vec<Transition>,
}

/// One change of value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transition {
    /// The old value (`undetermined` when unknown).
    pub from: String,
    /// The new value.
    pub to: String,
    /// How many patterns.
    pub patterns: f64,
}

/// The verdict on one output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputDiff {
    /// The output's name.
    pub output: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How many random cases differed on this output, when the random search ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_differed: Option<usize>,
}

/// The random search over facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RandomSearch {
    /// Its seed.
    pub seed: u64,
    /// How many cases were evaluated by both rulesets.
    pub tried: usize,
    /// How many made-up cases one of the rulesets refused.
    pub refused: usize,
}

/// The behavioural diff of two rulesets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BehaviouralDiff {
    /// The old ruleset, as `id version`.
    pub old: String,
    /// The new ruleset.
    pub new: String,
    /// Public outputs in both, by name.
    pub outputs: Vec<OutputDiff>,
    /// Public outputs only the old ruleset has.
    pub only_in_old: Vec<String>,
    /// Public outputs only the new ruleset has.
    pub only_in_new: Vec<String>,
    /// Every atom used, as text.
    pub atoms: Vec<String>,
    /// The random search, where it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_search: Option<RandomSearch>,
}

/// A behavioural diff with its changed regions, to test cases against.
pub struct DiffAnalysis {
    /// The diff.
    pub report: BehaviouralDiff,
    mgr: Option<Mgr>,
    regions: HashMap<String, Bdd>,
    exact: HashMap<String, bool>,
}

impl DiffAnalysis {
    /// Whether a case lies in the changed region of an output: for its finite inputs
    /// (and whether its opaque inputs are given), some values of the atoms change the
    /// output. Exact for rulesets without atoms. `None` when the output has no region
    /// (inconclusive or unknown) or a value is outside an input's domain.
    pub fn in_changed_region(&self, output: &str, facts: &Json) -> Option<bool> {
        let m = self.mgr.as_ref()?;
        let region = self.regions.get(output)?;
        let lits = facts::literals(m, facts)?;
        Some(!region.restrict(&lits).is_false())
    }

    /// True when the output's changed region is exact: its values read no atom and
    /// no value computed from opaque inputs, so every case in it really differs.
    pub fn is_exact(&self, output: &str) -> Option<bool> {
        self.exact.get(output).copied()
    }
}

/// Binds a ruleset's parameters on the engine to exactly the values the analysis uses.
pub(crate) fn bind(
    engine: &waymark::Ruleset,
    params: &[(ParamId, Const)],
) -> Result<waymark::Ruleset, String> {
    let rs = engine.checked();
    let mut all = Vec::new();
    for (i, p) in rs.params.iter().enumerate() {
        let over = params.iter().rev().find(|(id, _)| id.0 as usize == i);
        if p.bound.is_some() {
            if over.is_some() {
                return Err(format!(
                    "parameter `{}` is set by the ruleset that imports it",
                    p.name
                ));
            }
            continue;
        }
        let c = over.map_or(&p.default, |x| &x.1);
        all.push((p.name.clone(), render::val_json(rs, &p.ty, &const_val(c))));
    }
    engine.with_params(&all).map_err(|e| e.to_string())
}

/// The variables of finite inputs.
fn finite_vars(m: &Mgr) -> HashSet<BddVariable> {
    let mut set = HashSet::new();
    for input in &m.inputs {
        match &input.enc {
            Enc::Finite { bits, .. } => set.extend(bits.iter().copied()),
            Enc::Bits { known, bits, .. } => {
                set.extend(known.iter().copied());
                set.extend(bits.iter().copied());
            }
            Enc::Opaque { .. } => {}
        }
    }
    set
}

/// A region over the finite inputs only: some values of the other variables satisfy it.
pub(crate) fn project(m: &Mgr, region: &Bdd) -> R<Bdd> {
    let finite = finite_vars(m);
    let others: Vec<BddVariable> = m
        .vars
        .variables()
        .into_iter()
        .filter(|v| !finite.contains(v))
        .collect();
    m.and(&region.exists(&others), &m.domain)
}

/// How many finite-input assignments a region holds, as a number and exactly.
pub(crate) fn patterns(m: &Mgr, region: &Bdd) -> R<(f64, String)> {
    let p = project(m, region)?;
    let free = usize::from(m.vars.num_vars()).saturating_sub(m.finite_bits);
    let exact = p.exact_cardinality() >> free;
    let text = exact.to_string();
    Ok((text.parse::<f64>().unwrap_or(f64::INFINITY), text))
}

/// A value's cells keyed by how the value appears in a decision.
fn keyed(m: &Mgr, rs: &hir::Ruleset, ty: &Type, sv: &Sv) -> R<Vec<(String, Bdd)>> {
    let cells = m.to_part(sv)?;
    let mut out: Vec<(String, Bdd)> = Vec::new();
    for (v, b) in cells {
        let key = match &v {
            Val::Unknown => "undetermined".to_string(),
            Val::Opaque(o) => format!("<{}>", o.text),
            other => match render::val_json(rs, ty, other) {
                Json::String(s) => s,
                j => j.to_string(),
            },
        };
        if let Some(cell) = out.iter_mut().find(|(k, _)| *k == key) {
            cell.1 = m.or(&cell.1, &b)?;
        } else {
            out.push((key, b));
        }
    }
    Ok(out)
}

struct Changed {
    region: Bdd,
    transitions: Vec<(String, String, Bdd)>,
}

fn variant_names(rs: &hir::Ruleset, e: hir::EnumId) -> Vec<String> {
    rs.enums
        .get(e.0 as usize)
        .map(|d| d.variants.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default()
}

/// Where two values of an output differ.
fn changed(
    m: &Mgr,
    old: (&hir::Ruleset, &Type, &Sv),
    new: (&hir::Ruleset, &Type, &Sv),
) -> R<Changed> {
    if let (
        Sv::S {
            known: ko,
            bits: bo,
        },
        Sv::S {
            known: kn,
            bits: bn,
        },
        Type::Set(eo),
        Type::Set(en),
    ) = (old.2, new.2, old.1, new.1)
    {
        let (no, nn) = (variant_names(old.0, *eo), variant_names(new.0, *en));
        let mut bit_diff = m.ff();
        let mut names: Vec<&String> = no.iter().collect();
        names.extend(nn.iter().filter(|n| !no.contains(n)));
        for name in names {
            let a = no
                .iter()
                .position(|x| x == name)
                .and_then(|i| bo.get(i).cloned())
                .unwrap_or_else(|| m.ff());
            let b = nn
                .iter()
                .position(|x| x == name)
                .and_then(|i| bn.get(i).cloned())
                .unwrap_or_else(|| m.ff());
            bit_diff = m.or(&bit_diff, &a.xor(&b))?;
        }
        let both = m.and(ko, kn)?;
        let region = m.or(&ko.xor(kn), &m.and(&both, &bit_diff)?)?;
        let region = m.and(&region, &m.domain)?;
        return Ok(Changed {
            region,
            transitions: Vec::new(),
        });
    }
    let a = keyed(m, old.0, old.1, old.2)?;
    let b = keyed(m, new.0, new.1, new.2)?;
    let mut region = m.ff();
    let mut transitions = Vec::new();
    for (ka, ca) in &a {
        for (kb, cb) in &b {
            if ka == kb {
                continue;
            }
            let both = m.and(&m.and(ca, cb)?, &m.domain)?;
            if both.is_false() {
                continue;
            }
            region = m.or(&region, &both)?;
            transitions.push((ka.clone(), kb.clone(), both));
        }
    }
    Ok(Changed {
        region,
        transitions,
    })
}

fn atoms_of(m: &Mgr, svs: &[&Sv]) -> Vec<String> {
    let mut support = HashSet::new();
    for sv in svs {
        m.support(sv, &mut support);
    }
    m.atoms
        .iter()
        .filter(|a| support.contains(&a.t) || a.u.is_some_and(|u| support.contains(&u)))
        .map(|a| a.text.clone())
        .collect()
}

fn listing(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The changed region in plain words.
fn summary(m: &mut Mgr, evals: &mut [&mut Eval<'_>], proj: &Bdd) -> R<Vec<String>> {
    let mut lines = Vec::new();
    for input in &m.inputs {
        let Enc::Finite { bits, words, .. } = &input.enc else {
            continue;
        };
        let mut allowed = Vec::new();
        let mut excluded = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if m.and(proj, &m.cube(bits, i))?.is_false() {
                excluded.push(w.clone());
            } else {
                allowed.push(w.clone());
            }
        }
        if excluded.is_empty() || allowed.is_empty() {
            continue;
        }
        lines.push(if allowed.len() == 1 {
            format!(
                "every changed case has {} = {}",
                input.name,
                listing(&allowed)
            )
        } else if excluded.len() <= allowed.len() {
            format!(
                "{} is not {} in every changed case",
                input.name,
                listing(&excluded)
            )
        } else {
            format!(
                "{} is {} in every changed case",
                input.name,
                listing(&allowed)
            )
        });
    }
    // Whole-number values computed from finite inputs only, such as a yes count.
    let finite = finite_vars(m);
    let mut said: HashSet<(String, Vec<i64>)> = HashSet::new();
    for ev in evals.iter_mut() {
        let rs = ev.rs;
        let mut named: Vec<(String, R<Sv>)> = Vec::new();
        for (i, l) in rs.lets.iter().enumerate() {
            if l.ty == Type::Int {
                named.push((l.name.clone(), ev.let_value(m, i)));
            }
        }
        for (i, o) in rs.outputs.iter().enumerate() {
            if o.ty == Type::Int {
                named.push((o.name.clone(), ev.output(m, OutputId(i as u32))));
            }
        }
        for (name, sv) in named {
            let Ok(Sv::P(cells)) = sv else { continue };
            let reads_finite_only = cells
                .iter()
                .all(|(_, b)| b.support_set().iter().all(|v| finite.contains(v)));
            let ints: Option<Vec<(i64, &Bdd)>> = cells
                .iter()
                .filter(|(v, _)| !v.is_unknown())
                .map(|(v, b)| match v {
                    Val::Int(i) => Some((*i, b)),
                    _ => None,
                })
                .collect();
            let Some(mut ints) = ints else { continue };
            if !reads_finite_only || ints.len() < 2 {
                continue;
            }
            ints.sort_by_key(|(i, _)| *i);
            let mut allowed = Vec::new();
            for (i, b) in &ints {
                if !m.and(proj, b)?.is_false() {
                    allowed.push(*i);
                }
            }
            if allowed.is_empty() || allowed.len() == ints.len() {
                continue;
            }
            let short = name.rsplit('.').next().unwrap_or(&name).to_string();
            if !said.insert((short, allowed.clone())) {
                continue;
            }
            let contiguous = allowed.windows(2).all(|w| w[1] == w[0] + 1);
            lines.push(match allowed.as_slice() {
                [one] => format!("every changed case has {name} = {one}"),
                [lo, .., hi] if contiguous => {
                    format!("{name} is between {lo} and {hi} in every changed case")
                }
                _ => format!(
                    "{name} is {} in every changed case",
                    listing(&allowed.iter().map(i64::to_string).collect::<Vec<_>>())
                ),
            });
        }
    }
    Ok(lines)
}

struct Ctx<'a> {
    old: &'a waymark::Ruleset,
    new: &'a waymark::Ruleset,
    pool: Pool,
    opts: &'a DiffOptions,
}

fn differs_on(ctx: &Ctx<'_>, facts: &Map<String, Json>, output: &str) -> Option<(Json, Json)> {
    let o = facts::run(ctx.old, facts)?;
    let n = facts::run(ctx.new, facts)?;
    let (a, b) = (o.get(output)?, n.get(output)?);
    (a != b).then(|| (a.clone(), b.clone()))
}

/// Minimal cases in the region that reproduce on the engine.
fn confirm(ctx: &Ctx<'_>, m: &Mgr, region: &Bdd, output: &str, rng: &mut Rng) -> R<Vec<Example>> {
    let mut examples = Vec::new();
    let mut remaining = m.and(region, &m.domain)?;
    for _ in 0..ctx.opts.max_patterns_tried {
        if remaining.is_false() || examples.len() >= ctx.opts.max_examples {
            break;
        }
        let narrowed = facts::minimise(m, &remaining, true)?;
        let Some(w) = narrowed.sat_witness() else {
            break;
        };
        let (base, opaque) = facts::from_valuation(m, &w);
        let tries = if opaque.is_empty() {
            1
        } else {
            ctx.opts.opaque_tries.max(1)
        };
        for attempt in 0..tries {
            let mut f = base.clone();
            for k in &opaque {
                if let Some(input) = m.inputs.get(*k)
                    && let Enc::Opaque { make_as, .. } = &input.enc
                {
                    f.insert(
                        input.name.clone(),
                        ctx.pool.value(&input.name, make_as, rng, attempt),
                    );
                }
            }
            if let Some((o, n)) = differs_on(ctx, &f, output) {
                examples.push(Example {
                    facts: Json::Object(f),
                    old: o,
                    new: n,
                    found_by: "symbolic".into(),
                });
                break;
            }
        }
        remaining = m.and_not(&remaining, &facts::input_cube(m, &w))?;
    }
    Ok(examples)
}

fn all_inconclusive(
    report: &mut BehaviouralDiff,
    common: &[(String, OutputId, OutputId)],
    reason: &str,
) {
    report.outputs = common
        .iter()
        .map(|(name, ..)| OutputDiff {
            output: name.clone(),
            verdict: Verdict::Inconclusive {
                reason: reason.to_string(),
            },
            random_differed: None,
        })
        .collect();
}

/// The behavioural diff of two rulesets, each with parameter overrides (on top of its
/// defaults; bound imported parameters keep their binding).
pub fn behavioural_diff(
    old: &waymark::Ruleset,
    old_params: &[(ParamId, Const)],
    new: &waymark::Ruleset,
    new_params: &[(ParamId, Const)],
    opts: &DiffOptions,
) -> BehaviouralDiff {
    analyse_diff(old, old_params, new, new_params, opts).report
}

/// Like [`behavioural_diff`], keeping the changed regions.
pub fn analyse_diff(
    old: &waymark::Ruleset,
    old_params: &[(ParamId, Const)],
    new: &waymark::Ruleset,
    new_params: &[(ParamId, Const)],
    opts: &DiffOptions,
) -> DiffAnalysis {
    let (oh, nh) = (old.checked(), new.checked());
    let public = |rs: &hir::Ruleset| -> Vec<(String, OutputId)> {
        rs.outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| o.public)
            .map(|(i, o)| (o.name.clone(), OutputId(i as u32)))
            .collect()
    };
    let (po, pn) = (public(oh), public(nh));
    let common: Vec<(String, OutputId, OutputId)> = po
        .iter()
        .filter_map(|(name, a)| {
            pn.iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| (name.clone(), *a, *b))
        })
        .collect();
    let mut report = BehaviouralDiff {
        old: format!("{} {}", oh.meta.id, oh.meta.version),
        new: format!("{} {}", nh.meta.id, nh.meta.version),
        outputs: Vec::new(),
        only_in_old: po
            .iter()
            .filter(|(n, _)| !pn.iter().any(|(x, _)| x == n))
            .map(|(n, _)| n.clone())
            .collect(),
        only_in_new: pn
            .iter()
            .filter(|(n, _)| !po.iter().any(|(x, _)| x == n))
            .map(|(n, _)| n.clone())
            .collect(),
        atoms: Vec::new(),
        random_search: None,
    };
    let fail = |mut report: BehaviouralDiff, reason: &str| {
        all_inconclusive(&mut report, &common, reason);
        DiffAnalysis {
            report,
            mgr: None,
            regions: HashMap::new(),
            exact: HashMap::new(),
        }
    };
    let (old_e, new_e) = match (bind(old, old_params), bind(new, new_params)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(report, &format!("cannot bind parameters: {e}")),
    };
    let mut m = match Mgr::new(&[oh, nh], opts.limits.clone()) {
        Ok(m) => m,
        Err(e) => return fail(report, &e),
    };
    if !m.conflicts.is_empty() {
        let reason = m.conflicts.join("; ");
        return fail(report, &reason);
    }
    let ctx = Ctx {
        old: &old_e,
        new: &new_e,
        pool: Pool::new(&[oh, nh]),
        opts,
    };
    let mut rng = Rng::new(opts.seed);
    // The random search, where some inputs are opaque.
    let mut random: HashMap<String, (usize, Option<Example>)> = HashMap::new();
    let any_opaque = m.inputs.iter().any(|i| matches!(i.enc, Enc::Opaque { .. }));
    if any_opaque && opts.random_cases > 0 {
        let mut search = RandomSearch {
            seed: opts.seed,
            tried: 0,
            refused: 0,
        };
        for _ in 0..opts.random_cases {
            let f = facts::random(&m, &ctx.pool, &mut rng);
            let (Some(o), Some(n)) = (facts::run(&old_e, &f), facts::run(&new_e, &f)) else {
                search.refused += 1;
                continue;
            };
            search.tried += 1;
            for (name, ..) in &common {
                let entry = random.entry(name.clone()).or_insert((0, None));
                if let (Some(a), Some(b)) = (o.get(name), n.get(name))
                    && a != b
                {
                    entry.0 += 1;
                    if entry.1.is_none() {
                        entry.1 = Some(Example {
                            facts: Json::Object(f.clone()),
                            old: a.clone(),
                            new: b.clone(),
                            found_by: "random search".into(),
                        });
                    }
                }
            }
        }
        report.random_search = Some(search);
    }
    let mut eo = Eval::new(oh, old_params);
    let mut en = Eval::new(nh, new_params);
    let mut regions = HashMap::new();
    let mut exact = HashMap::new();
    for (name, a, b) in &common {
        let (random_differed, random_example) = match random.get(name) {
            Some((n, ex)) => (Some(*n), ex.clone()),
            None if report.random_search.is_some() => (Some(0), None),
            None => (None, None),
        };
        let result = (|| -> R<Verdict> {
            let so = eo.output(&mut m, *a)?;
            let sn = en.output(&mut m, *b)?;
            let (to, tn) = (
                oh.outputs.get(a.0 as usize).map(|o| o.ty.clone()),
                nh.outputs.get(b.0 as usize).map(|o| o.ty.clone()),
            );
            let (Some(to), Some(tn)) = (to, tn) else {
                return Err("an output has no type".into());
            };
            let ch = changed(&m, (oh, &to, &so), (nh, &tn, &sn))?;
            let atoms = atoms_of(&m, &[&so, &sn]);
            regions.insert(name.clone(), ch.region.clone());
            let opaque_cells = [&so, &sn].iter().any(|sv| {
                m.to_part(sv)
                    .map_or(true, |cells| cells.iter().any(|(v, _)| v.is_opaque()))
            });
            exact.insert(name.clone(), atoms.is_empty() && !opaque_cells);
            if ch.region.is_false() {
                if let Some(ex) = random_example.clone() {
                    return Ok(Verdict::Differs {
                        patterns: None,
                        patterns_text: "none found symbolically".into(),
                        examples: vec![ex],
                        summary: vec!["the symbolic analysis found no changed pattern, but the engine differs".into()],
                        directions: None,
                    });
                }
                let proof = if atoms.is_empty() {
                    "symbolic, exact over finite inputs".to_string()
                } else {
                    "symbolic, exact over finite inputs; conditions on other inputs treated as independent unknowns".to_string()
                };
                return Ok(Verdict::Equivalent { proof, atoms });
            }
            let (count, text) = patterns(&m, &ch.region)?;
            let mut examples = confirm(&ctx, &m, &ch.region, name, &mut rng)?;
            if examples.is_empty()
                && let Some(ex) = random_example.clone()
            {
                examples.push(ex);
            }
            if examples.is_empty() {
                return Ok(Verdict::Inconclusive {
                    reason: format!(
                        "{text} pattern(s) of the finite inputs may change `{name}`, depending on {}; no case tried reproduces it on the engine",
                        if atoms.is_empty() {
                            "nothing else".to_string()
                        } else {
                            atoms
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                });
            }
            let proj = project(&m, &ch.region)?;
            let mut lines = summary(&mut m, &mut [&mut eo, &mut en], &proj)?;
            let mut transitions = Vec::new();
            for (from, to, b) in &ch.transitions {
                let (p, _) = patterns(&m, b)?;
                transitions.push(Transition {
                    from: from.clone(),
                    to: to.clone(),
                    patterns: p,
                });
            }
            for t in &transitions {
                lines.push(format!(
                    "{} pattern(s) go from {} to {}",
                    t.patterns, t.from, t.to
                ));
            }
            let directions = match &to {
                Type::Enum(e) if oh.enums.get(e.0 as usize).is_some_and(|d| d.ordered) => {
                    let names = variant_names(oh, *e);
                    let rank = |s: &str| names.iter().position(|n| n == s);
                    let (mut up, mut down) = (0.0, 0.0);
                    for t in &transitions {
                        match (rank(&t.from), rank(&t.to)) {
                            (Some(x), Some(y)) if y > x => up += t.patterns,
                            (Some(x), Some(y)) if y < x => down += t.patterns,
                            _ => {}
                        }
                    }
                    Some(Directions {
                        up,
                        down,
                        transitions: transitions.clone(),
                    })
                }
                Type::Bool => {
                    let (mut up, mut down) = (0.0, 0.0);
                    for t in &transitions {
                        match (t.from.as_str(), t.to.as_str()) {
                            ("false", "true") => up += t.patterns,
                            ("true", "false") => down += t.patterns,
                            _ => {}
                        }
                    }
                    Some(Directions {
                        up,
                        down,
                        transitions: transitions.clone(),
                    })
                }
                _ => None,
            };
            Ok(Verdict::Differs {
                patterns: Some(count),
                patterns_text: text,
                examples,
                summary: lines,
                directions,
            })
        })();
        let verdict = match result {
            Ok(v) => v,
            Err(reason) => match random_example {
                Some(ex) => Verdict::Differs {
                    patterns: None,
                    patterns_text: format!("not counted: {reason}"),
                    examples: vec![ex],
                    summary: Vec::new(),
                    directions: None,
                },
                None => Verdict::Inconclusive { reason },
            },
        };
        report.outputs.push(OutputDiff {
            output: name.clone(),
            verdict,
            random_differed,
        });
    }
    report.atoms = m.atoms.iter().map(|a| a.text.clone()).collect();
    DiffAnalysis {
        report,
        mgr: Some(m),
        regions,
        exact,
    }
}

/// How many finite-input patterns give one value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueCount {
    /// The value as in a decision (`null` when undetermined; opaque values as text).
    pub value: Json,
    /// How many assignments of the finite inputs can give it.
    pub patterns: f64,
}

/// The symbolic value of one public output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputPartition {
    /// The output.
    pub output: String,
    /// Its values, or why they could not be computed.
    pub values: Result<Vec<ValueCount>, String>,
}

/// Evaluates a ruleset symbolically with parameter overrides and counts, for each
/// public output, the finite-input patterns that can give each value.
pub fn symbolic_outputs(
    rs: &hir::Ruleset,
    params: &[(ParamId, Const)],
    limits: &Limits,
) -> Result<Vec<OutputPartition>, String> {
    let mut m = Mgr::new(&[rs], limits.clone())?;
    let mut ev = Eval::new(rs, params);
    let mut out = Vec::new();
    for (i, o) in rs.outputs.iter().enumerate() {
        if !o.public {
            continue;
        }
        let values = (|| -> R<Vec<ValueCount>> {
            let sv = ev.output(&mut m, OutputId(i as u32))?;
            let mut counts = Vec::new();
            for (v, b) in m.to_part(&sv)? {
                let value = match &v {
                    Val::Opaque(o) => Json::String(o.text.clone()),
                    other => render::val_json(rs, &o.ty, other),
                };
                let b = m.and(&b, &m.domain)?;
                if b.is_false() {
                    continue;
                }
                counts.push(ValueCount {
                    value,
                    patterns: patterns(&m, &b)?.0,
                });
            }
            Ok(counts)
        })();
        out.push(OutputPartition {
            output: o.name.clone(),
            values,
        });
    }
    Ok(out)
}
