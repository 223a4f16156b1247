//! The OpenAPI side of problems, shared by the facades' documents: the problem
//! responses many routes answer (each registered once as a response component and
//! referenced by its status from every route that answers it), the `Retry-After` header
//! some of them carry, and the `x-api-key` security scheme. Which route answers which is
//! each facade's to decide; this module only writes the document's parts the same way
//! everywhere. Nothing here runs while serving requests.

use utoipa::openapi::{
    Components, ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
    path::Operation,
    security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme},
};

use crate::CONTENT_TYPE;

/// The name of the security scheme of the routes that take a caller's key.
pub const API_KEY_SCHEME: &str = "api_key";

/// The schema every problem response refers to; each facade declares it.
const PROBLEM_SCHEMA: &str = "ProblemDocument";

/// One problem response many routes share.
#[derive(Debug, Clone, Copy)]
pub struct SharedProblem {
    /// The status it is answered with, e.g. `"503"`.
    pub status: &'static str,
    /// Its response component's name.
    pub name: &'static str,
    pub description: &'static str,
    /// It carries `Retry-After` (seconds).
    pub retry_after: bool,
}

impl SharedProblem {
    pub const fn new(status: &'static str, name: &'static str, description: &'static str) -> Self {
        Self {
            status,
            name,
            description,
            retry_after: false,
        }
    }

    /// The same response, with a `Retry-After` header.
    pub const fn with_retry_after(self) -> Self {
        Self {
            retry_after: true,
            ..self
        }
    }
}

// What the service shell answers on any facade route, whatever the route does.

pub const UNAUTHORIZED: SharedProblem = SharedProblem::new(
    "401",
    "Unauthorized",
    "No key, or an unknown one, in `x-api-key` (`unauthorized`, with a `WWW-Authenticate` challenge); nothing changed",
);
pub const FORBIDDEN: SharedProblem = SharedProblem::new(
    "403",
    "Forbidden",
    "The caller's key lacks the scope this route needs (`forbidden`, with `scope`); nothing changed",
);
pub const PAYLOAD_TOO_LARGE: SharedProblem = SharedProblem::new(
    "413",
    "PayloadTooLarge",
    "The body is larger than the limit (`payload_too_large`)",
);
pub const UNSUPPORTED_MEDIA_TYPE: SharedProblem = SharedProblem::new(
    "415",
    "UnsupportedMediaType",
    "The body is not sent as application/json (`unsupported_media_type`)",
);
pub const RATE_LIMITED: SharedProblem = SharedProblem::new(
        "429",
        "RateLimited",
        "The caller (by key, else by client address) is over `RATE_LIMIT_PER_SEC` (`rate_limited`); retry after `Retry-After` seconds",
)
.with_retry_after();
pub const OVERLOADED: SharedProblem = SharedProblem::new(
    "503",
    "Overloaded",
    "Too many requests in progress (`overloaded`); retry after `Retry-After` seconds",
)
.with_retry_after();

/// Writes a facade's problems into its document: the `x-api-key` scheme (described by
/// `key_description`), every problem of `shared` as a response component, and, on each
/// operation, the problems `pick(path, writes, operation)` names, by reference (`writes`:
/// a `POST` or a `PUT`, as opposed to a read).
pub fn document_problems(
    doc: &mut utoipa::openapi::OpenApi,
    key_header: &str,
    key_description: &str,
    shared: &[&SharedProblem],
    pick: impl Fn(&str, bool, &mut Operation) -> Vec<&'static SharedProblem>,
) {
    let components = doc.components.get_or_insert_with(Default::default);
    add_api_key_scheme(components, key_header, key_description);
    register(components, shared);
    for (path, item) in doc.paths.paths.iter_mut() {
        for (operation, writes) in [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
        ] {
            if let Some(operation) = operation {
                let answers = pick(path, writes, operation);
                answer(operation, &answers);
            }
        }
    }
}

/// Registers each shared problem as a response component (a problem+json body of the
/// `ProblemDocument` schema, and `Retry-After` where it has one).
pub fn register(components: &mut Components, shared: &[&SharedProblem]) {
    for problem in shared {
        let mut response = ResponseBuilder::new()
            .description(problem.description)
            .content(
                CONTENT_TYPE,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(PROBLEM_SCHEMA)))
                    .build(),
            );
        if problem.retry_after {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        components
            .responses
            .insert(problem.name.to_owned(), RefOr::T(response.build()));
    }
}

/// Adds the shared problems to an operation's answers, by reference; a status the route
/// documents itself keeps its own description.
pub fn answer(operation: &mut Operation, shared: &[&SharedProblem]) {
    for SharedProblem { status, name, .. } in shared {
        operation
            .responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
}

/// Declares the key header `header` as the security scheme [`API_KEY_SCHEME`].
pub fn add_api_key_scheme(components: &mut Components, header: &str, description: &str) {
    components.add_security_scheme(
        API_KEY_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            header,
            description,
        ))),
    );
}

/// Marks an operation as taking a caller's key.
pub fn require_api_key(operation: &mut Operation) {
    operation.security = Some(vec![SecurityRequirement::new(
        API_KEY_SCHEME,
        Vec::<String>::new(),
    )]);
}
