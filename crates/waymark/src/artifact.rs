//! Built artifacts (`.wmc`): a compiled ruleset that describes itself and proves it is intact.
//!
//! An artifact holds the ruleset's id, version and effective period, the hash of its source
//! files, the source files themselves (so tests, documentation and diffs work from the
//! artifact alone), the compiled program, the parameter values in force (defaults with an
//! agency profile's overrides), the name of that profile, the compiler and the format
//! version. Its layout:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `\x89WMC\r\n\x1a\n` |
//! | 4 | format version, little-endian (currently 1) |
//! | 8 | length of the body, little-endian |
//! | n | the body: JSON |
//! | 32 | SHA-256 of everything above: the artifact's content hash |
//! | 100 | optional signature: `WSIG`, the Ed25519 public key (32), the signature (64) of the content hash |
//!
//! Loading checks the magic, the format version, the lengths, the content hash, the
//! signature when a key is required, that the embedded sources still check, and that they
//! compile here to exactly the stored program. Anything else is refused with an
//! [`ArtifactError`] saying what is wrong; nothing panics on a damaged file.

use std::path::{Component, Path, PathBuf};

pub use ed25519_dalek::VerifyingKey;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use waymark_ir::program::Program;

use crate::{Diagnostics, FactErrors, Ruleset};

/// The first bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"\x89WMC\r\n\x1a\n";
/// The artifact format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const SIG_TAG: &[u8; 4] = b"WSIG";
const HEAD_LEN: usize = 8 + 4 + 8;
const SIG_LEN: usize = 4 + 32 + 64;
/// Bodies larger than this are refused before anything is allocated for them.
pub const MAX_BODY: u64 = 256 << 20;

/// Why an artifact was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArtifactError {
    /// The bytes do not start with the artifact magic.
    #[error("not a Waymark artifact (it does not start with the artifact marker)")]
    NotAnArtifact,
    /// The file ends early.
    #[error("the artifact is truncated: {0}")]
    Truncated(String),
    /// Written by a format this build does not read.
    #[error(
        "artifact format {found} is not supported (this build reads format {FORMAT_VERSION}); rebuild it with `waymark build`"
    )]
    UnsupportedFormat {
        /// The format in the file.
        found: u32,
    },
    /// The content hash does not match the content.
    #[error(
        "the artifact has been altered or damaged: its content hash is {stored} but its content hashes to {computed}"
    )]
    HashMismatch {
        /// The hash stored in the file.
        stored: String,
        /// The hash of the bytes read.
        computed: String,
    },
    /// Bytes after the content hash that are not a signature.
    #[error("the artifact has {0} unexpected bytes after its content hash")]
    TrailingBytes(usize),
    /// A key was required and the artifact is not signed.
    #[error("the artifact is not signed, and a signature by key {0} is required")]
    Unsigned(String),
    /// Signed by another key, or the signature is wrong.
    #[error("the artifact's signature does not verify with key {expected}: {reason}")]
    BadSignature {
        /// The key required.
        expected: String,
        /// What is wrong.
        reason: String,
    },
    /// The body is not the JSON this format describes.
    #[error("the artifact's body cannot be read: {0}")]
    BadBody(String),
    /// The embedded sources do not check.
    #[error("the artifact's source files do not check: {0}")]
    Sources(String),
    /// The stored program is not what these sources compile to with this build.
    #[error(
        "the artifact was compiled by {built_by} and compiles differently with {this}; rebuild it with this version"
    )]
    Incompatible {
        /// The compiler recorded in the artifact.
        built_by: String,
        /// This compiler.
        this: String,
    },
    /// The stored parameter values are not valid for the ruleset.
    #[error("the artifact's parameter values are not valid: {0}")]
    BadParams(String),
}

/// One embedded source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceText {
    /// The path, relative to the root file's folder.
    pub path: String,
    /// The text.
    pub text: String,
}

/// What an artifact holds (its JSON body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactBody {
    /// Format version (repeated inside the hashed body).
    pub format: u32,
    /// The compiler that built it, such as `waymark 0.1.0`.
    pub compiler: String,
    /// Ruleset id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Title.
    pub title: Option<String>,
    /// First day in force (`YYYY-MM-DD`).
    pub effective_from: Option<String>,
    /// Last day in force.
    pub effective_until: Option<String>,
    /// SHA-256 of the source files (the `hash` decisions carry).
    pub source_hash: String,
    /// The root file's path among `sources`.
    pub root: String,
    /// Every source file, root first.
    pub sources: Vec<SourceText>,
    /// The agency profile whose parameters were applied, if any.
    pub profile: Option<String>,
    /// The parameter values in force, by name.
    pub params: Map<String, Json>,
    /// The compiled program.
    pub program: Program,
}

/// What loading an artifact established, beyond the ruleset itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArtifactInfo {
    /// SHA-256 of the artifact, as `sha256:` and hex.
    pub hash: String,
    /// The key that signed it, hex, when it is signed (verified only when required).
    pub signed_by: Option<String>,
    /// The compiler that built it.
    pub compiler: String,
}

/// The compiler's name and version, as recorded in artifacts.
pub fn compiler_version() -> String {
    format!("waymark {}", env!("CARGO_PKG_VERSION"))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// Writes an artifact for a ruleset (with whatever parameters and profile it carries).
pub fn build(rules: &Ruleset) -> Vec<u8> {
    let hir = rules.checked();
    let root_name = hir
        .files
        .first()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let root_dir = waymark_check::normalize(Path::new(&root_name))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let sources = hir
        .files
        .iter()
        .map(|f| SourceText {
            path: relative(&root_dir, &waymark_check::normalize(Path::new(&f.name))),
            text: f.text.to_string(),
        })
        .collect::<Vec<_>>();
    let meta = &hir.meta;
    let body = ArtifactBody {
        format: FORMAT_VERSION,
        compiler: compiler_version(),
        id: meta.id.clone(),
        version: meta.version.clone(),
        title: meta.title.clone(),
        effective_from: meta.effective_from.map(|d| d.to_string()),
        effective_until: meta.effective_until.map(|d| d.to_string()),
        source_hash: rules.hash().to_string(),
        root: sources.first().map(|s| s.path.clone()).unwrap_or_default(),
        sources,
        profile: rules.profile().map(str::to_string),
        params: rules.params_json(),
        program: rules.loaded().compiled().clone(),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut out = Vec::with_capacity(HEAD_LEN + json.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// The path of `path` relative to the folder `base` (both as the checker names them).
fn relative(base: &Path, path: &Path) -> String {
    let base: Vec<Component<'_>> = base.components().collect();
    let path_c: Vec<Component<'_>> = path.components().collect();
    let common = base.iter().zip(&path_c).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for c in path_c.iter().skip(common) {
        out.push(c.as_os_str());
    }
    out.to_string_lossy().replace('\\', "/")
}

/// The parts of an artifact's bytes, checked for shape and hash.
struct Parts<'a> {
    body: &'a [u8],
    digest: [u8; 32],
    signature: Option<(&'a [u8], &'a [u8])>,
}

fn split(bytes: &[u8]) -> Result<Parts<'_>, ArtifactError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            ArtifactError::Truncated(format!("{} bytes, less than the header", bytes.len()))
        } else {
            ArtifactError::NotAnArtifact
        });
    }
    let Some(head) = bytes.get(..HEAD_LEN) else {
        return Err(ArtifactError::Truncated(format!(
            "{} bytes, less than the {HEAD_LEN}-byte header",
            bytes.len()
        )));
    };
    let mut v = [0u8; 4];
    v.copy_from_slice(&head[8..12]);
    let format = u32::from_le_bytes(v);
    if format != FORMAT_VERSION {
        return Err(ArtifactError::UnsupportedFormat { found: format });
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&head[12..20]);
    let len = u64::from_le_bytes(n);
    if len > MAX_BODY {
        return Err(ArtifactError::BadBody(format!(
            "its body claims {len} bytes, more than the {MAX_BODY}-byte limit"
        )));
    }
    let body_end = HEAD_LEN + len as usize;
    let hash_end = body_end + 32;
    if bytes.len() < hash_end {
        return Err(ArtifactError::Truncated(format!(
            "{} bytes, but the header says {hash_end}",
            bytes.len()
        )));
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&bytes[body_end..hash_end]);
    let computed = Sha256::digest(&bytes[..body_end]);
    if computed.as_slice() != digest {
        return Err(ArtifactError::HashMismatch {
            stored: format!("sha256:{}", hex(&digest)),
            computed: format!("sha256:{}", hex(&computed)),
        });
    }
    let rest = &bytes[hash_end..];
    let signature = match rest.len() {
        0 => None,
        SIG_LEN if &rest[..4] == SIG_TAG => Some((&rest[4..36], &rest[36..])),
        n => return Err(ArtifactError::TrailingBytes(n)),
    };
    Ok(Parts {
        body: &bytes[HEAD_LEN..body_end],
        digest,
        signature,
    })
}

/// True when the bytes start like an artifact (the magic), whatever their state.
pub fn looks_like_artifact(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && MAGIC.starts_with(&bytes[..bytes.len().min(MAGIC.len())])
}

/// Reads an artifact's body after checking its shape, hash and (with `key`) signature.
pub fn read_body(
    bytes: &[u8],
    key: Option<&VerifyingKey>,
) -> Result<(ArtifactBody, ArtifactInfo), ArtifactError> {
    let parts = split(bytes)?;
    let signed_by = parts.signature.map(|(k, _)| hex(k));
    if let Some(key) = key {
        let expected = hex(key.as_bytes());
        let Some((k, s)) = parts.signature else {
            return Err(ArtifactError::Unsigned(expected));
        };
        if k != key.as_bytes() {
            return Err(ArtifactError::BadSignature {
                expected,
                reason: format!("it was signed by key {}", hex(k)),
            });
        }
        let sig = Signature::from_slice(s).map_err(|e| ArtifactError::BadSignature {
            expected: expected.clone(),
            reason: e.to_string(),
        })?;
        key.verify(&parts.digest, &sig)
            .map_err(|_| ArtifactError::BadSignature {
                expected,
                reason: "the signature is not valid for this content".into(),
            })?;
    }
    let body: ArtifactBody =
        serde_json::from_slice(parts.body).map_err(|e| ArtifactError::BadBody(e.to_string()))?;
    if body.format != FORMAT_VERSION {
        return Err(ArtifactError::UnsupportedFormat { found: body.format });
    }
    let info = ArtifactInfo {
        hash: format!("sha256:{}", hex(&parts.digest)),
        signed_by,
        compiler: body.compiler.clone(),
    };
    Ok((body, info))
}

/// Loads an artifact into a ruleset: checks everything described in the module docs.
pub fn load(bytes: &[u8], key: Option<&VerifyingKey>) -> Result<Ruleset, ArtifactError> {
    let (body, info) = read_body(bytes, key)?;
    let files: Vec<(String, String)> = body
        .sources
        .iter()
        .map(|s| (s.path.clone(), s.text.clone()))
        .collect();
    let rules = Ruleset::from_sources(&body.root, &files)
        .map_err(|Diagnostics(d)| ArtifactError::Sources(first_errors(&d)))?;
    if rules.hash() != body.source_hash {
        return Err(ArtifactError::Sources(format!(
            "the files hash to {} but the artifact records {}",
            rules.hash(),
            body.source_hash
        )));
    }
    if rules.loaded().compiled() != &body.program {
        return Err(ArtifactError::Incompatible {
            built_by: body.compiler.clone(),
            this: compiler_version(),
        });
    }
    let overrides: Vec<(String, Json)> = body
        .params
        .into_iter()
        .filter(|(name, _)| {
            rules
                .program()
                .params
                .iter()
                .any(|p| &p.name == name && p.overridable)
        })
        .collect();
    let rules = rules
        .with_params(&overrides)
        .map_err(|FactErrors(e)| {
            ArtifactError::BadParams(
                e.iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?
        .with_profile_name(body.profile)
        .with_artifact(info);
    Ok(rules)
}

fn first_errors(d: &[waymark_diagnostics::Diagnostic]) -> String {
    let errors: Vec<String> = d
        .iter()
        .filter(|x| x.is_error())
        .take(3)
        .map(|x| x.message.clone())
        .collect();
    errors.join("; ")
}

/// Signs an artifact (replacing any signature it has) after checking its hash.
pub fn sign(bytes: &[u8], key: &SigningKey) -> Result<Vec<u8>, ArtifactError> {
    let parts = split(bytes)?;
    let end = HEAD_LEN + parts.body.len() + 32;
    let mut out = bytes[..end].to_vec();
    let sig = key.sign(&parts.digest);
    out.extend_from_slice(SIG_TAG);
    out.extend_from_slice(key.verifying_key().as_bytes());
    out.extend_from_slice(&sig.to_bytes());
    Ok(out)
}

/// Why a key file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// Reads a signing key: 64 hex digits (the 32-byte secret seed), as `waymark keygen` writes.
pub fn signing_key_from_hex(text: &str) -> Result<SigningKey, KeyError> {
    let bytes = unhex(text).ok_or_else(|| KeyError("a key file holds hex digits only".into()))?;
    let seed: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        KeyError(format!(
            "a signing key is 32 bytes (64 hex digits), this has {}",
            b.len()
        ))
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key: 64 hex digits.
pub fn verifying_key_from_hex(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = unhex(text).ok_or_else(|| KeyError("a key file holds hex digits only".into()))?;
    verifying_key_from_bytes(&bytes)
}

/// Reads a public key from its 32 bytes.
pub fn verifying_key_from_bytes(bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let raw: [u8; 32] = bytes.try_into().map_err(|_| {
        KeyError(format!(
            "a public key is 32 bytes (64 hex digits), this has {}",
            bytes.len()
        ))
    })?;
    VerifyingKey::from_bytes(&raw)
        .map_err(|e| KeyError(format!("not a valid Ed25519 public key: {e}")))
}

/// The hex form of a key pair made from a 32-byte secret seed: (secret, public).
pub fn key_pair_hex(seed: [u8; 32]) -> (String, String) {
    let key = SigningKey::from_bytes(&seed);
    (hex(&seed), hex(key.verifying_key().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(
                Path::new("rulesets/marac"),
                Path::new("rulesets/ric/adult.wm")
            ),
            "../ric/adult.wm"
        );
        assert_eq!(
            relative(
                Path::new("rulesets/marac"),
                Path::new("rulesets/marac/referral.wm")
            ),
            "referral.wm"
        );
        assert_eq!(relative(Path::new(""), Path::new("a.wm")), "a.wm");
    }
}
