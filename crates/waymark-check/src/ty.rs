//! Types as written (`int in 0..130`, `set of reason`) lowered to [`hir::Type`], and the
//! words used for types in messages.

use std::str::FromStr;

use waymark_diagnostics::{Code, Diagnostic, Span, did_you_mean};
use waymark_ir::Decimal;
use waymark_syntax::ast;

use crate::checker::{Checker, Decl, Ty};
use crate::hir::{Const, EnumId, Range, Type};
use crate::load::InstId;

/// The largest enum a `set of` may use: one bit per value in a 64-bit word.
pub(crate) const MAX_SET_VARIANTS: usize = 64;

const BUILTIN_TYPES: [&str; 6] = ["answer", "bool", "int", "number", "text", "date"];

/// True when a value of type `actual` may be used where `expected` is wanted: the same
/// type, or a whole number where a decimal is wanted.
pub(crate) fn fits(actual: &Type, expected: &Type) -> bool {
    actual == expected
        || matches!((actual, expected), (Type::Int, Type::Number))
        || matches!((actual, expected), (Type::List(a), Type::List(b)) if fits(a, b))
}

/// The type both sides of an arithmetic or comparison share, if any.
pub(crate) fn common(a: &Type, b: &Type) -> Option<Type> {
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (Type::Int, Type::Number) | (Type::Number, Type::Int) => Some(Type::Number),
        _ => None,
    }
}

/// True for `int` and `number`.
pub(crate) fn is_numeric(t: &Type) -> bool {
    matches!(t, Type::Int | Type::Number)
}

impl Checker<'_> {
    /// The type as a policy author would write it.
    pub(crate) fn type_name(&self, t: &Type) -> String {
        match t {
            Type::Answer => "answer".into(),
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Number => "number".into(),
            Type::Text => "text".into(),
            Type::Date => "date".into(),
            Type::Duration => "duration".into(),
            Type::Enum(e) => self.enum_name(*e),
            Type::Set(e) => format!("set of {}", self.enum_name(*e)),
            Type::List(t) => format!("list of {}", self.type_name(t)),
        }
    }

    /// A short description with an article, for labels: "a whole number (`int`)".
    pub(crate) fn type_phrase(&self, t: &Type) -> String {
        match t {
            Type::Answer => "an answer (yes, no or don't know)".into(),
            Type::Bool => "a condition (`bool`)".into(),
            Type::Int => "a whole number (`int`)".into(),
            Type::Number => "a decimal number (`number`)".into(),
            Type::Text => "a text".into(),
            Type::Date => "a date".into(),
            Type::Duration => "a duration".into(),
            Type::Enum(e) => format!("a value of `{}`", self.enum_name(*e)),
            Type::Set(e) => format!("a set of `{}` values", self.enum_name(*e)),
            Type::List(t) => format!("a list of `{}`", self.type_name(t)),
        }
    }

    pub(crate) fn enum_name(&self, e: EnumId) -> String {
        self.enums
            .get(e.0 as usize)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| "enum".into())
    }

    /// True when `<` and `>` compare values of this type.
    pub(crate) fn is_ordered(&self, t: &Type) -> bool {
        match t {
            Type::Int | Type::Number | Type::Date => true,
            Type::Enum(e) => self.enums.get(e.0 as usize).is_some_and(|d| d.ordered),
            _ => false,
        }
    }

    /// Lowers a written type; reports unknown types, bad ranges and bad sets.
    pub(crate) fn lower_type(&mut self, inst: InstId, te: &ast::TypeExpr) -> (Ty, Option<Range>) {
        match te {
            ast::TypeExpr::Scalar(s) => {
                let Some(t) = self.scalar_type(inst, s) else {
                    return (None, None);
                };
                let range = self.lower_range(inst, &t, s);
                (Some(t), range)
            }
            ast::TypeExpr::Set(s, span) => {
                let inner = self.scalar_type(inst, s);
                if let Some(r) = &s.range {
                    self.emit(inst, range_not_allowed(r.span, "a set's values"));
                }
                match inner {
                    Some(Type::Enum(e)) => {
                        let n = self.enums.get(e.0 as usize).map_or(0, |d| d.variants.len());
                        if n > MAX_SET_VARIANTS {
                            let name = self.enum_name(e);
                            self.emit(inst, enum_too_large_for_set(*span, &name, n));
                            return (None, None);
                        }
                        (Some(Type::Set(e)), None)
                    }
                    Some(other) => {
                        let name = self.type_name(&other);
                        self.emit(inst, set_of_non_enum(s.span, &name));
                        (None, None)
                    }
                    None => (None, None),
                }
            }
            ast::TypeExpr::List(s, _) => {
                if let Some(r) = &s.range {
                    self.emit(inst, range_not_allowed(r.span, "a list's values"));
                }
                match self.scalar_type(inst, s) {
                    Some(t) => (Some(Type::List(Box::new(t))), None),
                    None => (None, None),
                }
            }
        }
    }

    fn scalar_type(&mut self, inst: InstId, s: &ast::ScalarType) -> Option<Type> {
        let name = s.name.name.as_str();
        let t = match name {
            "" => return None,
            "answer" => Type::Answer,
            "bool" => Type::Bool,
            "int" => Type::Int,
            "number" => Type::Number,
            "text" => Type::Text,
            "date" => Type::Date,
            _ => match self.lookup(inst, name) {
                Some(Decl::Enum(e)) => Type::Enum(e),
                _ => {
                    let mut candidates: Vec<String> =
                        BUILTIN_TYPES.iter().map(|s| (*s).to_string()).collect();
                    candidates.extend(self.scope_enum_names(inst));
                    let suggestion = common_synonym(name).map(str::to_string).or_else(|| {
                        did_you_mean(name, candidates.iter().map(String::as_str))
                            .map(str::to_string)
                    });
                    self.emit(inst, unknown_type(&s.name, suggestion.as_deref()));
                    return None;
                }
            },
        };
        Some(t)
    }

    fn lower_range(&mut self, inst: InstId, t: &Type, s: &ast::ScalarType) -> Option<Range> {
        let r = s.range.as_ref()?;
        if !is_numeric(t) {
            let name = self.type_name(t);
            self.emit(inst, range_on_non_number(r.span, &name));
            return None;
        }
        let lo = r.lo.as_ref().and_then(|b| self.range_bound(inst, t, b));
        let hi = r.hi.as_ref().and_then(|b| self.range_bound(inst, t, b));
        if let (Some(l), Some(h)) = (&lo, &hi)
            && crate::consts::compare(l, h) == Some(std::cmp::Ordering::Greater)
        {
            let span = match (&r.lo, &r.hi) {
                (Some(a), Some(b)) => a.span().to(b.span()),
                _ => r.span,
            };
            self.emit(inst, range_backwards(span, &self.show(l), &self.show(h)));
            return None;
        }
        Some(Range { lo, hi })
    }

    fn range_bound(&mut self, inst: InstId, t: &Type, b: &ast::NumLit) -> Option<Const> {
        match (b, t) {
            (ast::NumLit::Int(v, _), Type::Int) => Some(Const::Int(*v)),
            (ast::NumLit::Int(v, _), _) => Some(Const::Number(Decimal::from(*v))),
            (ast::NumLit::Number(text, span), Type::Int) => {
                self.emit(inst, decimal_bound_on_int(*span, text));
                None
            }
            (ast::NumLit::Number(text, _), _) => Decimal::from_str(text).ok().map(Const::Number),
        }
    }

    /// Whether a constant lies inside a range.
    pub(crate) fn in_range(c: &Const, r: &Range) -> bool {
        use std::cmp::Ordering::*;
        let above_lo = r
            .lo
            .as_ref()
            .is_none_or(|lo| matches!(crate::consts::compare(c, lo), Some(Greater | Equal) | None));
        let below_hi = r
            .hi
            .as_ref()
            .is_none_or(|hi| matches!(crate::consts::compare(c, hi), Some(Less | Equal) | None));
        above_lo && below_hi
    }

    /// A range as written: `1..24`, `0..`, `..10`.
    pub(crate) fn show_range(&self, r: &Range) -> String {
        let lo = r.lo.as_ref().map(|c| self.show(c)).unwrap_or_default();
        let hi = r.hi.as_ref().map(|c| self.show(c)).unwrap_or_default();
        format!("{lo}..{hi}")
    }
}

fn common_synonym(name: &str) -> Option<&'static str> {
    match name {
        "integer" | "whole" | "i64" | "u32" | "usize" => Some("int"),
        "boolean" | "flag" => Some("bool"),
        "string" | "str" => Some("text"),
        "decimal" | "float" | "real" | "money" | "f64" => Some("number"),
        "datetime" | "day" => Some("date"),
        "tristate" | "yesno" => Some("answer"),
        _ => None,
    }
}

fn unknown_type(name: &ast::Ident, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownType, format!("unknown type `{}`", name.name))
        .with_primary(name.span, "no such type");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("types are `answer`, `bool`, `int`, `number`, `text`, `date`, or the name of an `enum` in this file"),
    }
}

fn range_backwards(span: Span, lo: &str, hi: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadRange,
        format!("the range `{lo}..{hi}` is empty: its lower end is above its upper end"),
    )
    .with_primary(span, "lower end above upper end")
    .with_help(format!("write the lower end first: `{hi}..{lo}`"))
}

fn range_on_non_number(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(Code::TypeMismatch, format!("a `{ty}` cannot have a range"))
        .with_primary(span, "range not allowed here")
        .with_help("only `int` and `number` values can have an allowed range")
}

fn range_not_allowed(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::TypeMismatch, format!("{what} cannot have a range"))
        .with_primary(span, "range not allowed here")
        .with_help("remove the range")
}

fn decimal_bound_on_int(span: Span, text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`{text}` is not a whole number, but the range is for an `int`"),
    )
    .with_primary(span, "decimal bound")
    .with_help("use whole numbers for the ends of an `int` range, or make the type `number`")
}

fn enum_too_large_for_set(span: Span, name: &str, n: usize) -> Diagnostic {
    Diagnostic::new(
        Code::BadSetType,
        format!("`{name}` has {n} values, too many for a set"),
    )
    .with_primary(
        span,
        format!("a set can hold at most {MAX_SET_VARIANTS} different values"),
    )
    .with_help(format!(
        "split `{name}` into smaller enums of at most {MAX_SET_VARIANTS} values"
    ))
}

fn set_of_non_enum(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(Code::BadSetType, format!("a set must hold values of an enum, not `{ty}`"))
        .with_primary(span, "not an enum")
        .with_help("declare an `enum` of the possible values and use `set of` it, or use `list of` for other values")
}
