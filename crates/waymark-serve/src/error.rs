//! Errors: why the service cannot start or reload ([`ServeError`]), and the JSON answer of a
//! request that cannot be served ([`ApiError`]).
//!
//! Every error answer has the same shape: `{"error": KIND, "message": TEXT, "errors": [...]}`
//! with `diagnostics` added when a posted ruleset does not check. `errors` lists every
//! problem found, as `{"input", "kind", "message"}` objects, the list `waymark eval` gives.

use std::net::SocketAddr;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};
use waymark::FactError;
use waymark_diagnostics::Diagnostic;

/// Why the service cannot start, or why a reload was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound.
    #[error("cannot listen on `{addr}`: {message}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
    /// A non-loopback address without a token.
    #[error(
        "refusing to listen on `{addr}` without a token: case data would be open to the network; give `--token-file FILE`, or listen on a loopback address such as 127.0.0.1"
    )]
    NoToken {
        /// The address.
        addr: SocketAddr,
    },
    /// Some rulesets (or the profile, key or folders) do not load; every problem is listed.
    #[error("the rulesets do not load:\n{}", .0.join("\n"))]
    Load(Vec<String>),
    /// A usage problem.
    #[error("{0}")]
    Usage(String),
}

/// A request that cannot be served: its status, kind and every problem.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub errors: Vec<Json>,
    pub diagnostics: Option<Vec<Json>>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            errors: Vec::new(),
            diagnostics: None,
        }
    }

    /// A malformed request: every problem, each naming the field concerned.
    pub fn bad_request(problems: Vec<(String, String)>) -> ApiError {
        let message = problems
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            errors: problems
                .into_iter()
                .map(|(field, m)| json!({"input": field, "kind": "bad_request", "message": m}))
                .collect(),
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
        }
    }

    /// A body that is not JSON, located by line and column.
    pub fn bad_json(what: &str, e: &serde_json::Error) -> ApiError {
        let message = format!("{what} is not valid JSON: {e}");
        ApiError {
            errors: vec![json!({"input": "", "kind": "not_an_object", "message": message})],
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad_json", message)
        }
    }

    /// Facts with problems: 400, or 422 when a size limit was exceeded.
    pub fn facts(errors: &[FactError]) -> ApiError {
        ApiError::problems(errors, "the facts", "bad_facts")
    }

    /// Parameter overrides with problems (and any problems with the facts beside them).
    pub fn params(errors: &[FactError]) -> ApiError {
        ApiError::problems(errors, "the parameters or facts", "bad_params")
    }

    fn problems(errors: &[FactError], what: &str, kind: &'static str) -> ApiError {
        let (status, kind) = if errors.iter().any(is_limit) {
            (StatusCode::UNPROCESSABLE_ENTITY, "limit")
        } else {
            (StatusCode::BAD_REQUEST, kind)
        };
        let message = match errors.len() {
            1 => format!("{what}: 1 problem"),
            n => format!("{what}: {n} problems"),
        };
        ApiError {
            errors: errors
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Json::Null))
                .collect(),
            ..ApiError::new(status, kind, message)
        }
    }

    /// A posted ruleset that does not parse or check.
    pub fn diagnostics(diags: &[Diagnostic]) -> ApiError {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        ApiError {
            diagnostics: Some(
                diags
                    .iter()
                    .map(waymark_diagnostics::to_json_value)
                    .collect(),
            ),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "diagnostics",
                format!("the ruleset has {errors} error(s)"),
            )
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }

    pub fn timeout(budget: std::time::Duration) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeout",
            format!(
                "the work took longer than its budget of {} ms",
                budget.as_millis()
            ),
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The JSON object of this error (one line, no newline).
    pub fn to_json(&self) -> Json {
        let mut body = json!({
            "error": self.kind,
            "message": self.message,
            "errors": self.errors,
        });
        if let (Some(d), Some(obj)) = (&self.diagnostics, body.as_object_mut()) {
            obj.insert("diagnostics".into(), Json::Array(d.clone()));
        }
        body
    }
}

/// True for a fact problem that is a size limit (too large, a list too long).
pub(crate) fn is_limit(e: &FactError) -> bool {
    e.kind == waymark::FactErrorKind::Limit
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut bytes = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        bytes.push(b'\n');
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"waymark\""),
            );
        }
        response
    }
}
