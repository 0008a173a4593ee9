//! Unit tests of the checker. They go through a few helpers that check source text held in
//! memory and describe each diagnostic by its code, message, the text each label underlines
//! (`*` marks the primary label) and its help line.

use std::path::{Path, PathBuf};

use waymark_diagnostics::Diagnostic;

use crate::hir::{self, Combine, Const, ExprKind, Node, OutputValue, Type};
use crate::{Check, MemoryLoader, check_path};

/// Checks `files`, the first being the root (named `root.wm`, or as given).
fn run(files: &[(&str, &str)]) -> Check {
    let loader = MemoryLoader::new(
        files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_string())),
    );
    let root = files.first().map_or("root.wm", |(p, _)| p);
    check_path(Path::new(root), &loader)
}

fn describe(d: &Diagnostic) -> String {
    let mut out = format!("{} {}", d.code, d.message);
    for l in &d.labels {
        let text = d
            .file
            .as_ref()
            .map(|f| f.slice(l.span).to_string())
            .unwrap_or_default();
        let mark = if l.primary { "*" } else { " " };
        out.push_str(&format!("\n  {mark}[{text}] {}", l.message));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("\n  help: {h}"));
    }
    out
}

fn describe_all(check: &Check) -> String {
    check
        .diagnostics
        .iter()
        .map(describe)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks one file and compares its diagnostics with `expect` (leading white space of
/// each line ignored, so expectations can be indented).
#[track_caller]
fn check(src: &str, expect: &str) {
    check_files(&[("root.wm", src)], expect);
}

#[track_caller]
fn check_files(files: &[(&str, &str)], expect: &str) {
    let actual = describe_all(&run(files));
    let norm = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(norm(&actual), norm(expect), "\n--- actual ---\n{actual}\n");
}

/// The codes of the diagnostics, in order.
fn codes(src: &str) -> Vec<String> {
    run(&[("root.wm", src)])
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect()
}

/// Checks a file that must be clean and returns its ruleset.
#[track_caller]
fn clean(files: &[(&str, &str)]) -> hir::Ruleset {
    let check = run(files);
    assert!(
        check.diagnostics.is_empty(),
        "expected no diagnostics:\n{}",
        describe_all(&check)
    );
    check.ruleset.expect("a clean check has a ruleset")
}

const HEAD: &str = "ruleset t version 1.0.0\n";

fn with_head(body: &str) -> String {
    format!("{HEAD}{body}")
}

// -- names --

#[test]
fn unknown_names_suggest_the_closest() {
    check(
        &with_head(
            "input q12: answer \"Threats\"\noutput f: bool \"F\" default false\nrule r { when q21 is yes set f to true }\n",
        ),
        "E0200 unknown name `q21`
           *[q21] not declared
           help: did you mean `q12`?",
    );
}

#[test]
fn names_of_imports_are_suggested_with_their_alias() {
    check_files(
        &[
            (
                "root.wm",
                "ruleset r version 1.0.0\nimport \"lib.wm\" as ric\noutput n: int \"N\" = yes_count\n",
            ),
            (
                "lib.wm",
                "ruleset l version 1.0.0\ninput q1: answer \"Q\"\noutput yes_count: int \"Y\" = count yes in [q1]\n",
            ),
        ],
        "E0200 unknown name `yes_count`
           *[yes_count] not declared
           help: did you mean `ric.yes_count`?",
    );
}

#[test]
fn duplicate_names_point_at_both() {
    check(
        &with_head("input q1: answer \"A\"\nlet q1 = 3\noutput n: bool \"N\" = q1 is yes\n"),
        "E0201 `q1` is declared twice
           *[q1] declared again here
            [q1] first declared here as an input
           help: every name in a file must be different: rename or remove one of them",
    );
}

#[test]
fn enum_values_take_their_enum_from_the_context() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "enum level ordered { standard, medium, high }\nenum band { low, high }\ninput l: level \"L\"\n\
             output top: bool \"T\" = l = high\noutput b: band \"B\" default low\nrule r { when top set b to high }\n",
        ),
    )]);
    let OutputValue::Computed(e) = &r.outputs[0].value else {
        panic!("computed")
    };
    let ExprKind::Cmp(_, _, rhs) = &e.kind else {
        panic!("comparison")
    };
    assert!(matches!(
        rhs.kind,
        ExprKind::Const(Const::Enum(hir::EnumId(0), 2))
    ));
}

#[test]
fn a_name_that_is_both_a_value_and_a_declaration_is_ambiguous() {
    check(
        &with_head(
            "enum level ordered { standard, high }\ninput high: level \"H\"\ninput l: level \"L\"\noutput t: bool \"T\" = l = high\n",
        ),
        "E0207 `high` is both an input and a value of `level`
           *[high] could mean either
            [high] `high` declared here
            [high] a value of `level`
           help: write `level.high` for the value, or rename one of them",
    );
    // Where only one reading has the right type, there is no ambiguity.
    assert!(codes(&with_head(
        "enum reason { pj, vhr }\ninput pj: answer \"P\"\noutput rs: set of reason \"R\"\nrule r { when pj is yes add pj to rs }\n"
    ))
    .is_empty());
}

#[test]
fn qualified_enum_values_resolve() {
    clean(&[(
        "root.wm",
        &with_head(
            "enum level ordered { standard, high }\nenum band { low, high }\noutput t: level \"T\" = level.high\n",
        ),
    )]);
    check(
        &with_head("enum level ordered { standard, high }\noutput t: level \"T\" = level.hihg\n"),
        "E0205 `hihg` is not a value of `level`
           *[level.hihg] not a `level`
           help: did you mean `high`?",
    );
}

#[test]
fn name_ranges_expand_and_must_exist() {
    check(
        &with_head(
            "input q1: answer \"A\"\ninput q2: answer \"B\"\noutput n: int \"N\" = count yes in [q1..q3]\n",
        ),
        "E0200 `q1..q3` includes `q3`, which is not declared
           *[q1..q3] names something undeclared
           help: declare every name in the range, or shorten the range",
    );
    check(
        &with_head("input q1: answer \"A\"\noutput n: int \"N\" = count yes in [q1..p2]\n"),
        "E0208 the ends of `q1..p2` have different prefixes, `q` and `p`
           *[q1..p2] cannot expand this range
           help: both ends need the same prefix, such as `q1..q2`",
    );
}

#[test]
fn source_keys_must_be_declared() {
    check(
        "ruleset t version 1.0.0\nsource W3 \"SafeLives\"\ninput q1: answer \"A\"\nparam p: int = 3 \"P\" source W4\noutput n: bool \"N\" = count yes in [q1] >= p\n",
        "E0200 unknown source `W4`
           *[W4] not declared in the header
           help: did you mean `W3`?",
    );
}

// -- imports --

const CHECKLIST: &str = "ruleset ric version 1.0.0\nenum level ordered { standard, medium, high }\n\
input q1: answer \"Q1\"\ninput q2: answer \"Q2\"\nparam vhr: int in 1..2 = 2 \"VHR\"\nparam dk: int in 0..2 = 1 \"DK\"\n\
let yes_count = count yes in [q1, q2]\noutput band: level \"Band\" default standard\n\
output unsure: bool \"Unsure\" = count unknown in [q1, q2] >= dk\n\
rule high_band { when yes_count >= vhr set band to high }\n\
test \"ignored when imported\" { given q1 = yes expect band = standard }\n";

#[test]
fn imports_are_flattened_under_their_alias() {
    let root = "ruleset marac version 1.0.0\nimport \"ric/adult.wm\" as ric with vhr = threshold\n\
param threshold: int in 1..2 = 1 \"T\"\noutput high: bool \"H\" = ric.band = high\noutput u: bool \"U\" = ric.unsure\n";
    let r = clean(&[("m/root.wm", root), ("m/ric/adult.wm", CHECKLIST)]);
    let names: Vec<&str> = r.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["high", "u", "ric.band", "ric.unsure"]);
    assert!(r.outputs[0].public && !r.outputs[2].public);
    assert_eq!(r.lets[0].name, "ric.yes_count");
    assert_eq!(r.rules[0].name, "ric.high_band");
    assert_eq!(r.enums[0].name, "ric.level");
    assert!(r.tests.is_empty(), "imported tests are not included");
    // `vhr` is bound to the root's `threshold`; `dk` stays a parameter agencies may override.
    let vhr = r.param("ric.vhr").expect("bound parameter");
    let bound = r.params[vhr.0 as usize].bound.as_ref().expect("bound");
    assert!(matches!(bound.kind, ExprKind::Param(p) if r.params[p.0 as usize].name == "threshold"));
    let dk = r.param("ric.dk").expect("unbound parameter");
    assert!(r.params[dk.0 as usize].bound.is_none());
    assert_eq!(r.params[dk.0 as usize].default, Const::Int(1));
    assert_eq!(r.files.len(), 2);
    assert_eq!(r.files[1].name, "m/ric/adult.wm");
}

#[test]
fn one_file_imported_twice_is_two_instances_and_inputs_are_shared() {
    let root = "ruleset two version 1.0.0\nimport \"c.wm\" as a with vhr = 1\nimport \"c.wm\" as b\n\
output both: bool \"B\" = a.band = high and b.band = high\n";
    let r = clean(&[("root.wm", root), ("c.wm", CHECKLIST)]);
    assert!(r.output("a.band").is_some() && r.output("b.band").is_some());
    assert_eq!(r.inputs.len(), 2, "inputs are shared by name");
    assert_eq!(r.files.len(), 2, "the file is read once");
}

#[test]
fn nested_imports_get_nested_prefixes() {
    let r = clean(&[
        (
            "root.wm",
            "ruleset r version 1.0.0\nimport \"m.wm\" as marac\noutput x: bool \"X\" = marac.ric.band = high\n",
        ),
        (
            "m.wm",
            "ruleset m version 1.0.0\nimport \"c.wm\" as ric\noutput y: bool \"Y\" = ric.unsure\n",
        ),
        ("c.wm", CHECKLIST),
    ]);
    assert!(r.output("marac.ric.band").is_some());
    assert!(r.param("marac.ric.vhr").is_some());
}

#[test]
fn import_problems_are_located() {
    check_files(
        &[
            (
                "root.wm",
                "ruleset r version 1.0.0\nimport \"lib.wm\" as lib with vhr = 5, nope = 1\noutput x: bool \"X\" = lib.unsure\n",
            ),
            ("lib.wm", CHECKLIST),
        ],
        "E0311 `5` is outside the range `1..2` of the parameter `vhr`
           *[5] not in `1..2`
           help: `vhr` allows values in `1..2`
         E0206 `lib.wm` has no parameter `nope`
           *[nope] not a parameter of the imported file
           help: its parameters are `vhr`, `dk`",
    );
    check_files(
        &[("root.wm", "ruleset r version 1.0.0\nimport \"root.wm\" as me\nimport \"gone.wm\" as g\noutput x: bool \"X\" = g.y\n")],
        "E0416 `root.wm` imports itself
           *[\"root.wm\"] this is the file being checked
           help: remove this import: a ruleset can already use its own names
         E0203 cannot read the imported file `gone.wm`: no such file
           *[\"gone.wm\"] imported here
           help: looked for `gone.wm`; import paths are relative to the folder of the importing file",
    );
}

#[test]
fn import_cycles_name_every_file() {
    let check = run(&[
        (
            "a.wm",
            "ruleset a version 1.0.0\nimport \"b.wm\" as b\noutput x: bool \"X\" = b.y\n",
        ),
        (
            "b.wm",
            "ruleset b version 1.0.0\nimport \"a.wm\" as a\ninput q: answer \"Q\"\noutput y: bool \"Y\" = q is yes\n",
        ),
    ]);
    assert_eq!(
        describe_all(&check),
        "E0204 files import each other: `a.wm` → `b.wm` → `a.wm`\n  *[\"a.wm\"] this import closes the cycle\n  \
         help: move what both files need into a third file that each of them imports"
    );
    assert_eq!(
        check.diagnostics[0].file.as_ref().map(|f| f.name.as_str()),
        Some("b.wm")
    );
}

#[test]
fn bindings_may_only_read_parameters() {
    check_files(
        &[
            (
                "root.wm",
                "ruleset r version 1.0.0\nimport \"c.wm\" as c with vhr = n\ninput n: int \"N\"\noutput x: bool \"X\" = c.unsure\n",
            ),
            ("c.wm", CHECKLIST),
        ],
        "E0417 the value passed to `vhr` reads `n`, which changes from case to case
           *[n] not fixed before a case is evaluated
           help: pass a fixed value or one of this file's parameters",
    );
}

#[test]
fn shared_inputs_must_agree_on_their_type() {
    check_files(
        &[("root.wm", "ruleset r version 1.0.0\nimport \"c.wm\" as c\ninput q1: bool \"Q\"\noutput x: bool \"X\" = q1 or c.unsure\n"), ("c.wm", CHECKLIST)],
        "E0300 the input `q1` is `bool` here but `answer` in `c.wm`
           *[q1] `q1` is `bool` here
           help: inputs are shared by name across imported files, so `q1` needs one type; `c.wm` line 3 declares it `answer`",
    );
}

#[test]
fn imported_outputs_cannot_be_set() {
    check_files(
        &[("root.wm", "ruleset r version 1.0.0\nimport \"c.wm\" as c\ninput j: answer \"J\"\nrule r { when j is yes set c.band to high }\n"), ("c.wm", CHECKLIST)],
        "E0211 `c.band` is an output of an imported file and cannot be set here
           *[c.band] belongs to the imported file
           help: an imported file works out its own outputs; declare an output in this file, set it here, and read `c.band` where it is needed",
    );
}

// -- types --

#[test]
fn a_quoted_number_is_a_text() {
    check(
        &with_head(
            "input q1: answer \"A\"\nparam vhr: int in 1..24 = \"14\" \"V\"\noutput h: bool \"H\" = count yes in [q1] >= vhr\n",
        ),
        "E0300 the default of `vhr` must be `int`, but this is `text`
           *[\"14\"] expected `int`
           help: remove the quotes: `14`",
    );
}

#[test]
fn answers_are_never_silently_conditions() {
    check(
        &with_head(
            "enum level ordered { standard, high }\ninput q1: answer \"A\"\ninput q2: answer \"B\"\noutput r: level \"R\" default standard\nrule both { when q1 and q2 set r to high }\n",
        ),
        "E0301 `q1` is an answer, not a condition
           *[q1] yes, no or don't know
           help: say what don't know means, e.g. `q1 is yes`
         E0301 `q2` is an answer, not a condition
           *[q2] yes, no or don't know
           help: say what don't know means, e.g. `q2 is yes`",
    );
    for body in [
        "if q1 then 1 else 2",
        "count yes in [q1] + (if not q1 then 1 else 0)",
    ] {
        let src = with_head(&format!(
            "input q1: answer \"A\"\noutput n: int \"N\" = {body}\n"
        ));
        assert_eq!(codes(&src), vec!["E0301"], "{body}");
    }
}

#[test]
fn comparing_answers_with_their_words_is_definite() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "input q1: answer \"A\"\noutput y: bool \"Y\" = q1 = yes\noutput u: bool \"U\" = q1 = unknown\n",
        ),
    )]);
    let OutputValue::Computed(e) = &r.outputs[0].value else {
        panic!()
    };
    assert!(matches!(e.kind, ExprKind::Is(_, hir::IsTest::Yes)));
    let OutputValue::Computed(e) = &r.outputs[1].value else {
        panic!()
    };
    assert!(matches!(e.kind, ExprKind::Is(_, hir::IsTest::Unknown)));
    check(
        &with_head("input q1: answer \"A\"\noutput y: bool \"Y\" = q1 != yes\n"),
        "W0413 `q1 != yes` is also true when the answer is don't know
           *[q1 != yes] counts don't know as no
           help: write `q1 is no` or `q1 is no or q1 is unknown`",
    );
}

#[test]
fn is_not_on_answers_warns() {
    check(
        &with_head("input q1: answer \"A\"\noutput y: bool \"Y\" = q1 is not no\n"),
        "W0413 `q1 is not no` is also true when the answer is don't know
           *[q1 is not no] counts don't know as yes
           help: write `q1 is yes` or `q1 is yes or q1 is unknown`",
    );
}

#[test]
fn conditions_must_be_bool() {
    check(
        &with_head(
            "input n: int \"N\"\noutput f: bool \"F\" default false\nrule r { when n set f to true }\n",
        ),
        "E0302 a condition must be true or false, but `n` is a whole number (`int`)
           *[n] not a condition
           help: compare it, e.g. `n >= 14`",
    );
}

#[test]
fn unordered_enums_have_no_less_than() {
    check(
        &with_head("enum service { helpline, idva }\ninput s: service \"S\"\noutput i: bool \"I\" = s > helpline\n"),
        "E0308 `>` needs an order, but `service` is not ordered
           *[s > helpline] no order between these values
            [service] `service` declared without `ordered`
           help: declare `enum service ordered { … }` with the lowest value first, or compare with `=`",
    );
}

#[test]
fn ints_and_numbers_mix_and_division_gives_a_number() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "input a: int \"A\"\ninput b: number \"B\"\noutput x: number \"X\" = a + b\noutput y: number \"Y\" = a / 2\noutput z: number \"Z\" = a\n",
        ),
    )]);
    for o in &r.outputs {
        let OutputValue::Computed(e) = &o.value else {
            panic!()
        };
        assert_eq!(e.ty, Type::Number, "{}", o.name);
    }
    assert_eq!(
        codes(&with_head(
            "input a: int \"A\"\noutput x: int \"X\" = a / 2\n"
        )),
        vec!["E0300"]
    );
}

#[test]
fn date_arithmetic_needs_a_unit() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "input d: date \"D\"\ninput e: list of date \"E\"\noutput back: date \"B\" = d - 12 months\noutput n: int \"N\" = count e within 6 months before d\noutput w: bool \"W\" = d within 2 weeks after 2024-01-01\n",
        ),
    )]);
    let OutputValue::Computed(e) = &r.outputs[0].value else {
        panic!()
    };
    assert!(matches!(
        e.kind,
        ExprKind::DateShift {
            subtract: true,
            unit: waymark_ir::Unit::Months,
            ..
        }
    ));
    check(
        &with_head("input d: date \"D\"\noutput back: date \"B\" = d - 12\n"),
        "E0306 cannot use `-` on `date` and `int`
           *[d - 12] not date arithmetic
           help: say the unit: `… - 12 months`",
    );
    assert_eq!(
        codes(&with_head("output x: int \"X\" = 3 months\n")),
        vec!["E0306"]
    );
    assert_eq!(
        codes(&with_head(
            "input d: date \"D\"\noutput x: date \"X\" = d + d\n"
        )),
        vec!["E0306"]
    );
}

#[test]
fn counts_need_the_right_lists() {
    check(
        &with_head(
            "input c1: bool \"A\"\ninput c2: bool \"B\"\noutput n: int \"N\" = count yes in [c1, c2]\n",
        ),
        "E0305 `count yes in` needs a `list of answer`, but this is `list of bool`
           *[[c1, c2]] expected `list of answer`
           help: to count true conditions, write `count true in [...]`",
    );
    assert!(codes(&with_head("input c1: bool \"A\"\ninput c2: bool \"B\"\noutput n: int \"N\" = count true in [c1, c2]\n")).is_empty());
    assert_eq!(
        codes(&with_head(
            "input d: date \"D\"\noutput n: int \"N\" = count d within 3 months before d\n"
        )),
        vec!["E0305"]
    );
    assert_eq!(
        codes(&with_head(
            "input q: answer \"Q\"\noutput n: int \"N\" = count q\n"
        )),
        vec!["E0305"]
    );
}

#[test]
fn sets_are_of_small_enums() {
    let values: Vec<String> = (0..65).map(|i| format!("v{i}")).collect();
    let src = with_head(&format!(
        "enum big {{ {} }}\ninput s: set of big \"S\"\noutput n: int \"N\" = count s\n",
        values.join(", ")
    ));
    assert_eq!(codes(&src), vec!["E0307"]);
    assert_eq!(
        codes(&with_head(
            "input s: set of int \"S\"\noutput n: int \"N\" = count s\n"
        )),
        vec!["E0307"]
    );
}

#[test]
fn min_and_max_are_the_only_functions() {
    check(
        &with_head("input a: int \"A\"\noutput x: int \"X\" = maximum(a, 3)\n"),
        "E0312 unknown function `maximum`
           *[maximum] no such function
           help: did you mean `max`?",
    );
    assert_eq!(
        codes(&with_head("output x: int \"X\" = min()\n")),
        vec!["E0312"]
    );
    let r = clean(&[(
        "root.wm",
        &with_head("input a: int \"A\"\noutput x: number \"X\" = max(a, 2.5)\n"),
    )]);
    let OutputValue::Computed(e) = &r.outputs[0].value else {
        panic!()
    };
    assert_eq!(e.ty, Type::Number);
}

#[test]
fn membership_needs_a_matching_collection() {
    clean(&[(
        "root.wm",
        &with_head(
            "enum reason { a, b }\ninput r: set of reason \"R\"\ninput x: int \"X\"\noutput y: bool \"Y\" = a in r and x in [1, 2]\n",
        ),
    )]);
    assert_eq!(
        codes(&with_head(
            "enum reason { a, b }\ninput x: int \"X\"\noutput y: bool \"Y\" = x in {a}\n"
        )),
        vec!["E0300"]
    );
}

#[test]
fn ranges_and_defaults() {
    check(
        &with_head(
            "input q: answer \"Q\"\nparam p: int in 1..24 = 30 \"P\"\noutput h: bool \"H\" = count yes in [q] >= p\n",
        ),
        "E0303 the default `30` of `p` is outside its range `1..24`
           *[30] not in `1..24`
           help: use a default in `1..24`, or widen the range",
    );
    check(
        &with_head("input age: int in 130..0 \"A\"\noutput h: bool \"H\" = age > 3\n"),
        "E0304 the range `130..0` is empty: its lower end is above its upper end
           *[130..0] lower end above upper end
           help: write the lower end first: `0..130`",
    );
}

#[test]
fn unknown_types_suggest_the_builtin() {
    check(
        &with_head("input age: integer \"A\"\noutput h: bool \"H\" = age > 3\n"),
        "E0202 unknown type `integer`
           *[integer] no such type
           help: did you mean `int`?",
    );
}

// -- outputs and rules --

#[test]
fn outputs_combine_by_their_type() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "enum level ordered { low, high }\nenum reason { a }\ninput q: answer \"Q\"\n\
output l: level \"L\" default low\noutput s: set of reason \"S\"\noutput b: bool \"B\" default false\n\
rule r { when q is yes set l to high add a to s set b to true }\n",
        ),
    )]);
    let combines: Vec<Combine> = r
        .outputs
        .iter()
        .map(|o| match &o.value {
            OutputValue::Rules { combine, .. } => *combine,
            OutputValue::Computed(_) => panic!("rules"),
        })
        .collect();
    assert_eq!(combines, [Combine::Max, Combine::Union, Combine::Single]);
    assert_eq!(r.rules[0].actions[1].kind, hir::ActionKind::Add);
}

#[test]
fn actions_use_the_right_verb() {
    check(
        &with_head(
            "enum reason { a }\ninput q: answer \"Q\"\noutput s: set of reason \"S\"\nrule r { when q is yes set s to a }\n",
        ),
        "E0309 `s` is a set: values are added to it, not set
           *[set s to a] `set` on a set
           help: write `add a to s`",
    );
    check(
        &with_head(
            "input q: answer \"Q\"\noutput b: bool \"B\" default false\nrule r { when q is yes add true to b }\n",
        ),
        "E0309 `b` holds one value: it is set, not added to
           *[add true to b] `add` to a single value
           help: write `set b to true`",
    );
}

#[test]
fn only_outputs_can_be_set() {
    check(
        &with_head("input q: answer \"Q\"\ninput p: answer \"P\"\nrule r { when q is yes set p to yes }\n"),
        "E0211 `p` is an input, not an output
           *[p] only outputs can be set
            [p] `p` declared here
           help: rules and tables set outputs; declare one with `output NAME: TYPE \"label\" default …`",
    );
}

#[test]
fn computed_outputs_are_not_set_by_rules() {
    check(
        &with_head(
            "input q: answer \"Q\"\noutput n: int \"N\" = count yes in [q]\nrule r { when q is yes set n to 2 }\n",
        ),
        "E0310 `n` is computed by a formula, so rules cannot set it
           *[set n to 2] set here
            [count yes in [q]] computed here
           help: either remove the formula and give `n` a `default`, or stop setting it here",
    );
}

#[test]
fn outputs_set_by_rules_need_a_default() {
    check(
        &with_head(
            "input q: answer \"Q\"\noutput f: bool \"F\"\nrule r { when q is yes set f to true }\n",
        ),
        "E0410 `f` is set by rules but has no default
           *[f] no value when no rule applies
            [set f to true] set here
           help: say what it is when no rule applies, e.g. `default false`",
    );
}

#[test]
fn conflicting_rules_are_refused_unless_one_is_an_exception() {
    check(
        &with_head("input q: answer \"Q\"\ninput age: optional int in 0..130 \"A\"\noutput refer: bool \"R\" default false\n\
rule injured { when q is yes set refer to true }\nrule young { when age < 16 set refer to false }\n"),
        "E0400 rule `injured` and rule `young` can both set `refer`, to different values
           *[set refer to false] rule `young` sets `refer` to `false`
            [set refer to true] rule `injured` sets it to `true`
           help: make one an exception to the other (`exception NAME to BASE`), or put them in one `hit first` table",
    );
    let r = clean(&[(
        "root.wm",
        &with_head(
            "input q: answer \"Q\"\ninput age: optional int in 0..130 \"A\"\noutput refer: bool \"R\" default false\n\
rule injured { when q is yes set refer to true }\nexception young to injured { when age < 16 set refer to false }\n\
exception younger to young { when age < 10 set refer to true }\n",
        ),
    )]);
    assert_eq!(r.rules[0].exceptions, vec![hir::RuleId(1)]);
    assert_eq!(r.rules[1].exception_to, Some(hir::RuleId(0)));
    // `younger` overrides `injured` through `young`; `also` gives the same value as `injured`,
    // but conflicts with `young`, which is an exception to `injured` only.
    assert_eq!(
        codes(&with_head(
            "input q: answer \"Q\"\ninput age: optional int in 0..130 \"A\"\noutput refer: bool \"R\" default false\n\
rule injured { when q is yes set refer to true }\nexception young to injured { when age < 16 set refer to false }\n\
rule also { when q is yes set refer to true }\n"
        )),
        vec!["E0400"]
    );
}

#[test]
fn a_rule_cannot_set_one_output_twice() {
    check(
        &with_head(
            "input q: answer \"Q\"\noutput f: bool \"F\" default false\nrule r { when q is yes set f to true set f to false }\n",
        ),
        "E0400 rule `r` sets `f` twice, to different values
           *[set f to false] sets `f` to `false`
            [set f to true] already sets it to `true`
           help: set each single-valued output once per rule",
    );
}

#[test]
fn rules_that_never_fire_together_do_not_conflict() {
    clean(&[(
        "root.wm",
        &with_head(
            "input age: int in 0..130 \"A\"\noutput route: text \"R\" default \"\"\n\
rule child { when age < 16 set route to \"children\" }\nrule adult { when age >= 16 set route to \"adults\" }\n",
        ),
    )]);
}

#[test]
fn exceptions_need_a_base_and_no_cycle() {
    check(
        &with_head(
            "input q: answer \"Q\"\noutput f: bool \"F\" default false\nrule base { when q is yes set f to true }\nexception e to bsae { when q is no set f to false }\n",
        ),
        "E0209 no rule called `bsae`
           *[bsae] not a rule
           help: did you mean `base`?",
    );
    check(
        &with_head("input q: answer \"Q\"\noutput f: bool \"F\" default false\nexception a to b { when q is yes set f to true }\nexception b to a { when q is no set f to false }\n"),
        "E0210 exceptions form a cycle: `a` → `b` → `a`
           *[b] `a` is an exception to `b`
            [a] `b` is an exception to `a`
           help: one rule in the cycle must be the base: declare it with `rule` instead of `exception … to …`",
    );
}

#[test]
fn rules_that_can_never_fire() {
    check(
        &with_head("input n: int \"N\"\noutput f: bool \"F\" default false\nrule r { when n > 5 and n < 3 set f to true }\n"),
        "E0401 the rule `r` can never fire: no value of `n` passes all of its tests at once
           *[n > 5 and n < 3] never true
           help: as written the rule does nothing: check the numbers and the `and`/`or` in its condition, or remove it",
    );
    let never = [
        "q is yes and q is no",
        "q is yes and not (q is yes)",
        "false",
        "1 > 2",
        "age > 200",
        "q is unknown and q is yes",
        "(q is yes or q is no) and q is unknown",
        "count yes in [q, p] >= 3",
        "age is unknown and age > 3",
        "lvl > high",
    ];
    for cond in never {
        let src = with_head(&format!(
            "enum level ordered {{ low, high }}\ninput q: answer \"Q\"\ninput p: answer \"P\"\ninput lvl: level \"L\"\ninput age: optional int in 0..130 \"A\"\n\
output f: bool \"F\" default false\nrule r {{ when {cond} set f to true }}\nrule uses {{ when q is yes and p is yes and lvl = low and age > 1 set f to true }}\n"
        ));
        // `not (q is yes)` also gets W0413 (don't know counted as no); only E0401 matters here.
        let found: Vec<String> = codes(&src).into_iter().filter(|c| c != "W0413").collect();
        assert_eq!(found, vec!["E0401"], "`{cond}` never fires");
    }
    let possible = [
        "q is yes or q is no",
        "age >= 130",
        "not (q is yes) and not (q is no)",
        "lvl >= high",
        "threshold > 100 and q is yes",
    ];
    for cond in possible {
        let src = with_head(&format!(
            "enum level ordered {{ low, high }}\ninput q: answer \"Q\"\ninput p: answer \"P\"\ninput lvl: level \"L\"\ninput age: optional int in 0..130 \"A\"\n\
param threshold: int = 3 \"T\"\noutput f: bool \"F\" default false\nrule r {{ when {cond} set f to true }}\n\
rule uses {{ when q is yes and p is yes and lvl = low and age > threshold set f to true }}\n"
        ));
        let found: Vec<String> = codes(&src).into_iter().filter(|c| c != "W0413").collect();
        assert!(found.is_empty(), "`{cond}` can fire: {found:?}");
    }
}

/// `not` in front of a yes or no test counts don't know as the other answer (W0413);
/// `not` in front of `is unknown`, or of a condition without an answer test, does not.
#[test]
fn not_over_an_answer_test_counts_dont_know() {
    let warned = [
        "not (q is yes)",
        "not (q is no)",
        "not (q is yes or p is yes)",
        "lvl = low and not (p is yes and q is yes)",
    ];
    for cond in warned {
        let src = with_head(&format!(
            "enum level ordered {{ low, high }}\ninput q: answer \"Q\"\ninput p: answer \"P\"\ninput lvl: level \"L\"\n\
output f: bool \"F\" default false\nrule r {{ when {cond} set f to true }}\n\
rule uses {{ when q is yes and p is yes and lvl = low set f to true }}\n"
        ));
        assert_eq!(codes(&src), vec!["W0413"], "`{cond}`");
    }
    let clean = [
        "not (q is unknown)",
        "not (lvl = low)",
        "q is no or q is unknown",
        "not (q is unknown) and p is yes",
    ];
    for cond in clean {
        let src = with_head(&format!(
            "enum level ordered {{ low, high }}\ninput q: answer \"Q\"\ninput p: answer \"P\"\ninput lvl: level \"L\"\n\
output f: bool \"F\" default false\nrule r {{ when {cond} set f to true }}\n\
rule uses {{ when q is yes and p is yes and lvl = low set f to true }}\n"
        ));
        assert!(codes(&src).is_empty(), "`{cond}`: {:?}", codes(&src));
    }
}

// -- tables --

#[test]
fn tables_are_checked_cell_by_cell() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "enum tier { idva, outreach, helpline }\ninput n: int in 0..24 \"N\"\ninput j: answer \"J\"\nparam cut: int = 14 \"C\"\n\
output service: tier \"S\" default helpline\n\
table t \"T\" hit first {\n  | n | j | => | service |\n  |---|---|----|---------|\n  | >= cut | - | => | idva |\n  | 10..13 | yes, unknown | => | outreach |\n  | - | - | => | - |\n}\n",
        ),
    )]);
    let t = &r.tables[0];
    assert!(matches!(
        t.rows[0].cells[0],
        hir::CellTest::CompareExpr(hir::CmpOp::Ge, _)
    ));
    assert!(matches!(
        t.rows[1].cells[0],
        hir::CellTest::Range(Const::Int(10), Const::Int(13))
    ));
    assert!(matches!(&t.rows[1].cells[1], hir::CellTest::OneOf(v) if v.len() == 2));
    assert!(t.rows[2].actions[0].is_none());
    // The output is computed after the table that sets it.
    let pos = |n: Node| r.order.iter().position(|x| *x == n);
    assert!(pos(Node::Table(hir::TableId(0))) < pos(Node::Output(hir::OutputId(0))));
}

#[test]
fn table_shapes_and_policies() {
    check(
        &with_head(
            "input n: int \"N\"\ninput j: answer \"J\"\noutput b: bool \"B\" default false\n\
table t \"T\" hit first {\n  | n | j | => | b |\n  | > 3 | => | true |\n}\n",
        ),
        "E0411 this row has 1 test, but the table has 2 columns
           *[| > 3 | => | true |] expected 2 tests
           help: give one test per column: `n`, `j`",
    );
    check(
        &with_head(
            "input n: int \"N\"\noutput b: bool \"B\" default false\ntable t \"T\" hit collect {\n  | n | => | b |\n  | > 3 | => | true |\n}\n",
        ),
        "E0412 a `collect` table cannot set `b`, which holds one `bool`
           *[b] single-valued output
           help: use `hit first`, or make `b` an ordered enum or a set",
    );
    check(
        &with_head("input n: int \"N\"\noutput b: bool \"B\" default false\ntable t \"T\" hit first {\n  | n | => | b |\n  | > 3 | => | true |\n  | 5 | => | false |\n}\n"),
        "W0402 row 2 of the table `t` is never used: row 1 matches every case it matches
           *[| 5 | => | false |] never reached
            [| > 3 | => | true |] row 1 comes first
           help: in a `hit first` table the first matching row wins: remove row 2, or move it above row 1",
    );
}

#[test]
fn rows_of_one_first_hit_table_do_not_conflict_but_other_writers_do() {
    let table = "input n: int \"N\"\noutput b: bool \"B\" default false\ntable t \"T\" hit first {\n  | n | => | b |\n  | > 3 | => | true |\n  | - | => | false |\n}\n";
    assert!(codes(&with_head(table)).is_empty());
    let with_rule = format!("{table}rule r {{ when n > 10 set b to false }}\n");
    assert_eq!(codes(&with_head(&with_rule)), vec!["E0400"]);
}

// -- order and unused --

#[test]
fn cycles_show_their_path() {
    check(
        &with_head("input q: answer \"Q\"\nlet a = b or q is yes\nlet b = a\noutput f: bool \"F\" = a\n"),
        "E0407 `a` depends on itself: `a` → `b` → `a`
           *[a] `a` reads `b`
            [b] `b` reads `a`
           help: a value cannot be worked out from itself: break the cycle, e.g. with a derived value computed from inputs only",
    );
    // A rule that reads the output it sets.
    assert_eq!(
        codes(&with_head(
            "input q: answer \"Q\"\noutput f: bool \"F\" default false\nrule r { when q is yes and not f set f to true }\n"
        )),
        vec!["E0407"]
    );
}

#[test]
fn order_puts_everything_after_what_it_reads() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "input q: answer \"Q\"\ninput age: optional int in 0..130 \"A\"\nlet young = age < 16\noutput refer: bool \"R\" default false\n\
output shown: bool \"S\" = refer\nrule base { when q is yes set refer to true }\nexception kid to base { when young set refer to false }\n",
        ),
    )]);
    let pos = |n: Node| r.order.iter().position(|x| *x == n).expect("in order");
    assert_eq!(r.order.len(), 1 + 2 + 2);
    assert!(pos(Node::Let(hir::LetId(0))) < pos(Node::Rule(hir::RuleId(1))));
    assert!(
        pos(Node::Rule(hir::RuleId(1))) < pos(Node::Rule(hir::RuleId(0))),
        "a base after its exceptions"
    );
    assert!(pos(Node::Rule(hir::RuleId(0))) < pos(Node::Output(hir::OutputId(0))));
    assert!(pos(Node::Output(hir::OutputId(0))) < pos(Node::Output(hir::OutputId(1))));
}

#[test]
fn unused_declarations_warn() {
    check(
        &with_head(
            "input q: answer \"Q\"\ninput p: answer \"P\"\nparam t: int = 1 \"T\"\nlet l = 3\noutput f: bool \"F\" = q is yes\noutput g: bool \"G\" default false\n",
        ),
        "W0404 the input `p` is never used
           *[p] nothing reads this
           help: use it in a rule, table or formula, or remove it; tests do not count as uses
         W0405 the parameter `t` is never used
           *[t] nothing reads this
           help: use it in a rule, table or formula, or remove it; tests do not count as uses
         W0406 the derived value `l` is never used
           *[l] nothing reads this
           help: use it in a rule, table or formula, or remove it; tests do not count as uses
         W0403 nothing sets the output `g`
           *[g] never set
           help: add a rule or table that sets it, give it a formula with `= …`, or remove it",
    );
}

// -- tests and properties --

#[test]
fn tests_name_inputs_parameters_and_outputs() {
    check(
        &with_head(
            "input q1: answer \"Q\"\nparam t: int in 1..5 = 1 \"T\"\noutput f: bool \"F\" = count yes in [q1] >= t\n\
test \"x\" {\n  given q01 = yes, q1 = 3\n  with tt = 2\n  expect ff = true, f = 7\n}\n",
        ),
        "E0409 the test gives a value to `q01`, but there is no input `q01`
           *[q01] not an input
           help: did you mean `q1`?
         E0300 the value given to `q1` must be `answer`, but this is `int`
           *[3] expected `answer`
         E0206 there is no parameter `tt`
           *[tt] not a parameter
           help: did you mean `t`?
         E0409 there is no output `ff` in this file
           *[ff] not an output of this file
           help: did you mean `f`?
         E0300 the expected value of `f` must be `bool`, but this is `int`
           *[7] expected `bool`",
    );
}

#[test]
fn tests_are_lowered_to_constants() {
    let r = clean(&[(
        "root.wm",
        &with_head(
            "enum reason { a, b }\ninput q1: answer \"Q1\"\ninput q2: answer \"Q2\"\ninput d: list of date \"D\"\nparam t: int in 1..2 = 1 \"T\"\n\
output n: int \"N\" = count yes in [q1, q2] + count d + t\noutput s: set of reason \"S\"\nrule r { when q1 is yes add a to s }\n\
test \"t\" {\n  given q1..q2 = yes, d = [2024-01-01]\n  with t = 2\n  expect n = 5, s = {a}\n}\n\
property \"p\" { monotone n in q1..q2 }\nproperty \"never\" { never n > 5 }\nproperty \"agree\" { agree with \"old/v1.wm\" on n }\n",
        ),
    )]);
    let t = &r.tests[0];
    assert_eq!(t.facts.len(), 3);
    assert_eq!(t.facts[0].1, Const::Answer(waymark_ir::Answer::Yes));
    assert_eq!(t.params, vec![(hir::ParamId(0), Const::Int(2))]);
    assert_eq!(t.expect[1].1, Some(Const::Set(hir::EnumId(0), 1)));
    assert!(
        matches!(&r.properties[0].body, hir::PropertyBody::Monotone { inputs, .. } if inputs.len() == 2)
    );
    assert!(
        matches!(&r.properties[2].body, hir::PropertyBody::Agree { other, .. } if other == Path::new("old/v1.wm"))
    );
}

#[test]
fn test_mistakes() {
    check(
        &with_head(
            "input q1: answer \"Q\"\ninput q2: answer \"Q\"\noutput f: int \"F\" = count yes in [q1, q2]\n\
test \"a\" { given q1..q2 = yes, q2 = no expect f = 1 }\ntest \"a\" { given q1 = yes }\n",
        ),
        "E0418 the test gives `q2` twice
           *[q2] given again here
            [q1..q2] first given here
           help: give each input once: check where ranges such as `q1..q14` overlap
         E0408 two checks are called \"a\"
           *[\"a\"] this test has the same name
            [\"a\"] as this test
           help: give every test and property its own name, so a failure says which one failed
         W0415 the test \"a\" checks nothing
           *[\"a\"] no `expect`
           help: say what should come out, e.g. `expect f = …`",
    );
    check(
        &with_head(
            "input age: int in 0..130 \"A\"\ninput q: answer \"Q\"\noutput o: bool \"O\" = q is yes and age > 3\n\
test \"old\" { given age = 200 expect o = false }\nproperty \"m\" { monotone o in age }\n",
        ),
        "E0311 `200` is outside the range `0..130` of the input `age`
           *[200] not in `0..130`
           help: `age` allows values in `0..130`
         E0414 `monotone` varies answers, but `age` is `int`
           *[age] not an answer
           help: list answer inputs only, e.g. `monotone risk_level in q1..q24`",
    );
}

// -- robustness --

#[test]
fn the_root_file_must_be_readable() {
    let check = check_path(Path::new("nowhere.wm"), &MemoryLoader::default());
    assert_eq!(
        describe_all(&check),
        "E0005 cannot read `nowhere.wm`: no such file\n  help: check the path and that the file can be read"
    );
    assert!(check.ruleset.is_none());
}

#[test]
fn syntax_errors_are_included_and_do_not_cascade() {
    let check = run(&[(
        "root.wm",
        "ruleset t version 1.0.0\ninput q1: answer \"Q\"\nrule r { when q1 is yes set }\noutput f: bool \"F\" = q1 is yes\n",
    )]);
    let codes: Vec<&str> = check.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec!["E0100"]);
    assert!(check.ruleset.is_none());
}

#[test]
fn warnings_still_give_a_ruleset() {
    let check = run(&[(
        "root.wm",
        &with_head(
            "input q1: answer \"Q\"\ninput q2: answer \"Q\"\noutput f: bool \"F\" = q1 is yes\n",
        ),
    )]);
    assert_eq!(check.diagnostics.len(), 1);
    assert!(check.ruleset.is_some());
}

#[test]
fn the_reference_rulesets_check_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulesets");
    let mut files = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "wm") {
                files.push(path);
            }
        }
    }
    for file in files {
        let check = check_path(&file, &crate::FsLoader);
        assert!(
            !check.has_errors(),
            "{}:\n{}",
            file.display(),
            describe_all(&check)
        );
    }
}

mod props {
    use proptest::prelude::*;

    use super::*;

    const SAMPLE: &str = "ruleset t version 1.0.0\nsource W1 \"S\"\nenum level ordered { standard, medium, high }\nenum reason { a, b }\n\
input q1: answer \"Q1\"\ninput q2: answer \"Q2\"\ninput age: optional int in 0..130 \"Age\"\ninput d: date \"D\"\ninput ev: optional list of date \"E\"\n\
param t: int in 1..2 = 2 \"T\" source W1\nlet yc = count yes in [q1..q2]\nlet recent = if ev is known then count ev within 12 months before d else 0\n\
output risk: level \"R\" default standard\noutput rs: set of reason \"RS\"\noutput refer: bool \"F\" default false\n\
rule hi { when yc >= t or recent >= 3 set risk to high add a to rs }\nrule r { when risk = high set refer to true }\n\
exception young to r { when age is known and age < 16 set refer to false }\n\
table tb \"T\" hit first {\n  | age | q1 | => | rs |\n  | < 18 | yes | => | b |\n  | - | - | => | - |\n}\n\
test \"x\" { given q1..q2 = yes, d = 2024-01-01 expect risk = high, refer = true }\nproperty \"m\" { monotone risk in q1..q2 }\n";

    fn check_text(text: &str) -> Check {
        run(&[("root.wm", text)])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any bytes: never a panic, and a ruleset only without errors.
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let check = check_text(&text);
            prop_assert_eq!(check.ruleset.is_some(), !check.has_errors());
        }

        /// A valid ruleset with a slice cut out or a piece pasted in: never a panic.
        #[test]
        fn mutated_rulesets_never_panic(cut in 0usize..2000, len in 0usize..40, paste in "[a-z0-9_ .=<>(){}\\[\\]|,\"-]{0,12}") {
            let mut text = SAMPLE.to_string();
            let start = text.char_indices().map(|(i, _)| i).nth(cut % SAMPLE.len()).unwrap_or(0);
            let end = text.char_indices().map(|(i, _)| i).find(|i| *i >= start + len).unwrap_or(text.len());
            text.replace_range(start..end, &paste);
            let check = check_text(&text);
            prop_assert_eq!(check.ruleset.is_some(), !check.has_errors());
            for d in &check.diagnostics {
                prop_assert!(d.file.is_some());
            }
        }
    }

    #[test]
    fn the_sample_is_clean() {
        let check = check_text(SAMPLE);
        assert!(check.diagnostics.is_empty(), "{}", describe_all(&check));
    }

    #[test]
    fn every_single_token_deletion_is_survived() {
        let words: Vec<&str> = SAMPLE.split(' ').collect();
        for i in 0..words.len() {
            let mut w = words.clone();
            w.remove(i);
            let check = check_text(&w.join(" "));
            assert_eq!(check.ruleset.is_some(), !check.has_errors());
        }
    }
}

#[test]
fn deep_formulas_are_checked_without_running_out_of_stack() {
    for depth in [40, 60, 127, 200] {
        let cond = format!("{}q1 is yes{}", "(not ".repeat(depth), ")".repeat(depth));
        let sum = format!("{}n{}", "(1 + ".repeat(depth), ")".repeat(depth));
        let ifs = format!(
            "{}0{}",
            "(if q1 is yes then 1 else ".repeat(depth),
            ")".repeat(depth)
        );
        let src = with_head(&format!(
            "input q1: answer \"Q\"\ninput n: int \"N\"\noutput f: bool \"F\" default false\noutput s: int \"S\" = {sum}\n\
             output i: int \"I\" = {ifs}\nrule r {{ when {cond} set f to true }}\n"
        ));
        let check = run(&[("root.wm", &src)]);
        assert_eq!(check.ruleset.is_some(), !check.has_errors());
    }
}
