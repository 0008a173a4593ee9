//! Gaps: public outputs that can be undetermined even when every answer is known and
//! every other input is given.

use serde::Serialize;
use serde_json::Value as Json;
use waymark_check::hir::{Const, OutputId, ParamId};

use crate::DiffOptions;
use crate::behaviour::bind;
use crate::concrete::Val;
use crate::facts::{self, Pool, Rng};
use crate::sym::{Enc, Eval, Mgr, R, Sv};

/// Whether an output can be undetermined with every input given.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GapVerdict {
    /// Proven: the output is set for every combination of known answers and given inputs.
    Closed {
        /// How it was proven.
        proof: String,
    },
    /// A case with every input given where the engine leaves the output undetermined.
    Open {
        /// The facts.
        example: Json,
    },
    /// Neither proven nor confirmed.
    Inconclusive {
        /// Why.
        reason: String,
    },
}

/// The gap check of one public output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gap {
    /// The output.
    pub output: String,
    /// The verdict.
    pub verdict: GapVerdict,
}

impl Gap {
    /// True when the output is proven never undetermined.
    pub fn is_closed(&self) -> bool {
        matches!(self.verdict, GapVerdict::Closed { .. })
    }
}

/// For each public output: can it be undetermined when every `answer` input is yes or
/// no and every other input is given?
pub fn gaps(
    ruleset: &waymark::Ruleset,
    params: &[(ParamId, Const)],
    opts: &DiffOptions,
) -> Vec<Gap> {
    let rs = ruleset.checked();
    let public: Vec<(String, OutputId)> = rs
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.public)
        .map(|(i, o)| (o.name.clone(), OutputId(i as u32)))
        .collect();
    let fail = |reason: String| {
        public
            .iter()
            .map(|(name, _)| Gap {
                output: name.clone(),
                verdict: GapVerdict::Inconclusive {
                    reason: reason.clone(),
                },
            })
            .collect::<Vec<_>>()
    };
    let engine = match bind(ruleset, params) {
        Ok(e) => e,
        Err(e) => return fail(format!("cannot bind parameters: {e}")),
    };
    let mut m = match Mgr::new(&[rs], opts.limits.clone()) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let given = match everything_given(&m) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let pool = Pool::new(&[rs]);
    let mut rng = Rng::new(opts.seed);
    let mut ev = Eval::new(rs, params);
    let mut out = Vec::new();
    for (name, id) in &public {
        let verdict = (|| -> R<GapVerdict> {
            let sv = ev.output(&mut m, *id)?;
            let unknown = match &sv {
                Sv::S { known, .. } => known.not(),
                other => {
                    let mut u = m.ff();
                    for (v, b) in m.to_part(other)? {
                        if v.is_unknown() {
                            u = m.or(&u, &b)?;
                        }
                    }
                    u
                }
            };
            let mut region = m.and(&m.and(&unknown, &given)?, &m.domain)?;
            if region.is_false() {
                return Ok(GapVerdict::Closed {
                    proof: "symbolic, exact over finite inputs".into(),
                });
            }
            for _ in 0..opts.max_patterns_tried {
                if region.is_false() {
                    break;
                }
                let narrowed = facts::minimise(&m, &region, false)?;
                let Some(w) = narrowed.sat_witness() else {
                    break;
                };
                let (base, opaque) = facts::from_valuation(&m, &w);
                let tries = if opaque.is_empty() {
                    1
                } else {
                    opts.opaque_tries.max(1)
                };
                for attempt in 0..tries {
                    let mut f = base.clone();
                    for k in &opaque {
                        if let Some(input) = m.inputs.get(*k)
                            && let Enc::Opaque { make_as, .. } = &input.enc
                        {
                            f.insert(
                                input.name.clone(),
                                pool.value(&input.name, make_as, &mut rng, attempt),
                            );
                        }
                    }
                    if facts::run(&engine, &f).is_some_and(|o| o.get(name) == Some(&Json::Null)) {
                        return Ok(GapVerdict::Open {
                            example: Json::Object(f),
                        });
                    }
                }
                region = m.and_not(&region, &facts::input_cube(&m, &w))?;
            }
            Ok(GapVerdict::Inconclusive {
                reason: "the output may be undetermined depending on conditions on dates, lists, texts or numbers, but no case tried reproduces it on the engine".into(),
            })
        })();
        out.push(Gap {
            output: name.clone(),
            verdict: verdict.unwrap_or_else(|reason| GapVerdict::Inconclusive { reason }),
        });
    }
    out
}

/// Every answer known and every other input given.
fn everything_given(m: &Mgr) -> R<biodivine_lib_bdd::Bdd> {
    let mut b = m.tt();
    for input in &m.inputs {
        match &input.enc {
            Enc::Finite { bits, values, .. } if values.first().is_some_and(Val::is_unknown) => {
                b = m.and_not(&b, &m.cube(bits, 0))?;
            }
            Enc::Bits { known: Some(k), .. } | Enc::Opaque { known: Some(k), .. } => {
                b = m.and(&b, &m.vars.mk_var(*k))?;
            }
            _ => {}
        }
    }
    Ok(b)
}
