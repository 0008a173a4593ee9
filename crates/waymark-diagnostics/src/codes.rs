//! The catalogue of diagnostic codes.
//!
//! Codes are stable: a code, once published, keeps its meaning. `E` codes are errors and
//! `W` codes are warnings. docs/language.md lists every code, and a test checks that each
//! code here is both documented and triggered by at least one test case.

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in messages, such as `E0200`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> crate::Severity {
                match self { $(Code::$variant => crate::Severity::$sev,)* }
            }

            /// A one-line description for the catalogue.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The code with this text, if there is one.
            pub fn parse(text: &str) -> Option<Code> {
                match text { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    // Reading files.
    NotUtf8 = "E0001", Error, "the file is not valid UTF-8 text";
    FileTooLarge = "E0002", Error, "the file is larger than the limit";
    ControlCharacter = "E0003", Error, "the file contains a NUL or another control character";
    NestingTooDeep = "E0004", Error, "brackets are nested too deeply";
    ReadFailed = "E0005", Error, "a file could not be read";
    LimitExceeded = "E0006", Error, "the rules are larger than the limits of the system loading them";
    // Syntax.
    Syntax = "E0100", Error, "the text does not follow the grammar";
    InvalidDate = "E0101", Error, "a date that does not exist or is badly written";
    IntegerTooLarge = "E0102", Error, "a whole number too large to store";
    InvalidNumber = "E0103", Error, "a decimal number that cannot be stored";
    MissingHeader = "E0104", Error, "the file does not start with a `ruleset` header";
    InvalidEscape = "E0105", Error, "an unknown escape sequence in a text";
    DuplicateHeaderClause = "E0106", Error, "a header clause given twice";
    DocCommentMisplaced = "E0107", Error, "a `///` documentation comment that documents nothing";
    InvalidVersion = "E0108", Error, "a version that is not `MAJOR.MINOR.PATCH`";
    // Names and imports.
    UnknownName = "E0200", Error, "a name that is not declared";
    DuplicateName = "E0201", Error, "a name declared twice";
    UnknownType = "E0202", Error, "a type that does not exist";
    ImportNotFound = "E0203", Error, "an imported file that cannot be read";
    ImportCycle = "E0204", Error, "files that import each other";
    UnknownVariant = "E0205", Error, "a value that is not one of the enum's values";
    UnknownImportParam = "E0206", Error, "a parameter binding that names no parameter";
    AmbiguousName = "E0207", Error, "a name that is both an enum value and a declaration";
    BadNameRange = "E0208", Error, "a name range such as `q1..q24` that cannot be expanded";
    UnknownBaseRule = "E0209", Error, "an exception to a rule that does not exist";
    ExceptionCycle = "E0210", Error, "exceptions that are exceptions to each other";
    NotAnOutput = "E0211", Error, "a rule or test that sets something that is not an output";
    // Types.
    TypeMismatch = "E0300", Error, "a value of the wrong type";
    AnswerAsCondition = "E0301", Error, "an answer used as a condition without saying what don't know means";
    NotACondition = "E0302", Error, "a condition that is not true or false";
    DefaultOutOfRange = "E0303", Error, "a parameter default outside its allowed range";
    BadRange = "E0304", Error, "a range whose lower end is above its upper end";
    BadCount = "E0305", Error, "`count` over something that cannot be counted that way";
    BadDateArithmetic = "E0306", Error, "date arithmetic that does not make sense";
    BadSetType = "E0307", Error, "a set of something other than an enum, or an enum too large for a set";
    UnorderedComparison = "E0308", Error, "`<` or `>` on an enum that is not `ordered`";
    WrongAction = "E0309", Error, "`set` on a set output or `add` to a single-valued output";
    ComputedOutputSet = "E0310", Error, "a rule that sets an output computed by a formula";
    ValueOutOfRange = "E0311", Error, "a value outside the range its input or parameter allows";
    BadCall = "E0312", Error, "an unknown function or the wrong number of arguments";
    // Rules, tables, tests and properties.
    ConflictingRules = "E0400", Error, "two rules that set one output to different values with no exception between them";
    NeverFires = "E0401", Error, "a rule whose condition can never be true";
    UnreachableRow = "W0402", Warning, "a table row that an earlier row always matches first";
    OutputNeverSet = "W0403", Warning, "an output that no rule sets";
    UnusedInput = "W0404", Warning, "an input that nothing reads";
    UnusedParam = "W0405", Warning, "a parameter that nothing reads";
    UnusedLet = "W0406", Warning, "a derived value that nothing reads";
    Cycle = "E0407", Error, "derived values or outputs that depend on themselves";
    DuplicateTest = "E0408", Error, "two tests or properties with the same name";
    TestUnknownName = "E0409", Error, "a test that gives or expects a name that does not exist";
    MissingDefault = "E0410", Error, "an output set by rules that has no default";
    TableShape = "E0411", Error, "a table row with the wrong number of cells";
    CollectSingleValued = "E0412", Error, "a `collect` table that sets a single-valued output";
    UnknownCountedAs = "W0413", Warning, "a test on an answer that silently counts don't know as yes or no";
    MonotoneNotAnswer = "E0414", Error, "a `monotone` property over something that is not an answer or an ordered output";
    TestNeverChecks = "W0415", Warning, "a test with no `expect`";
    SelfImport = "E0416", Error, "a file that imports itself";
    NotConstant = "E0417", Error, "a value that must be fixed before any case is evaluated but reads case data";
    DuplicateFact = "E0418", Error, "a test that gives the same input twice";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            let first = code.as_str().as_bytes()[0];
            match code.severity() {
                crate::Severity::Error => assert_eq!(first, b'E'),
                crate::Severity::Warning => assert_eq!(first, b'W'),
            }
        }
    }
}
