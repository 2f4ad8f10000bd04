//! Routing by method that says which methods a path takes: a request with
//! another method gets a 405 problem with `Allow` (RFC 9110 §15.5.6 makes
//! it mandatory; poem's own router leaves it out). [`get`] and [`post`]
//! replace poem's in the route table; [`AllowFromSpec`] does the same for
//! the operations of an OpenAPI service.

use poem::http::header::ALLOW;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Result};
use poem_openapi::registry::MetaApi;

use super::problem::ApiError;

/// The endpoints of one path, by method.
#[derive(Default)]
pub struct Methods {
    methods: Vec<(Method, poem::endpoint::BoxEndpoint<'static>)>,
}

impl std::fmt::Debug for Methods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.methods.iter().map(|(method, _)| method))
            .finish()
    }
}

impl Methods {
    #[must_use]
    pub fn method<E>(mut self, method: Method, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.methods
            .push((method, ep.into_endpoint().map_to_response().boxed()));
        self
    }

    #[must_use]
    pub fn get<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::GET, ep)
    }

    #[must_use]
    pub fn post<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::POST, ep)
    }

    #[must_use]
    pub fn delete<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::DELETE, ep)
    }
}

/// `Methods::default().get(ep)`.
pub fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().get(ep)
}

/// `Methods::default().post(ep)`.
pub fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().post(ep)
}

/// The `Allow` value for a set of methods: HEAD goes with GET (it is
/// answered as a GET without the body).
fn allow_value<'a>(methods: impl IntoIterator<Item = &'a Method>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for method in methods {
        names.push(method.as_str());
        if *method == Method::GET {
            names.push(Method::HEAD.as_str());
        }
    }
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// 405 with `Allow`.
fn not_allowed(allow: &str) -> Response {
    let mut response = ApiError::method_not_allowed().into_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

impl Endpoint for Methods {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let find = |method: &Method| {
            self.methods
                .iter()
                .find(|(m, _)| m == method)
                .map(|(_, ep)| ep)
        };
        if let Some(ep) = find(req.method()) {
            return ep.call(req).await;
        }
        if req.method() == Method::HEAD
            && let Some(ep) = find(&Method::GET)
        {
            req.set_method(Method::GET);
            let mut response = ep.call(req).await?;
            response.set_body(());
            return Ok(response);
        }
        Ok(not_allowed(&allow_value(
            self.methods.iter().map(|(m, _)| m),
        )))
    }
}

/// Adds `Allow` to the 405s of an OpenAPI service, from the methods its
/// document lists for the path.
#[derive(Debug, Clone)]
pub struct AllowFromSpec {
    /// Path templates (`/sessions/{id}`) and the `Allow` value of each.
    paths: Vec<(Vec<String>, String)>,
}

impl AllowFromSpec {
    pub fn new(apis: Vec<MetaApi>) -> Self {
        let paths = apis
            .into_iter()
            .flat_map(|api| api.paths)
            .map(|path| {
                let segments = segments(&path.path).map(str::to_owned).collect();
                let allow = allow_value(path.operations.iter().map(|op| &op.method));
                (segments, allow)
            })
            .collect();
        Self { paths }
    }

    /// The `Allow` value for a request path, if a template matches it.
    fn allow_for(&self, path: &str) -> Option<&str> {
        let wanted: Vec<&str> = segments(path).collect();
        self.paths.iter().find_map(|(template, allow)| {
            let matches = template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                });
            matches.then_some(allow.as_str())
        })
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/')
}

impl<E: Endpoint> poem::Middleware<E> for AllowFromSpec {
    type Output = AllowFromSpecEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AllowFromSpecEndpoint {
            inner,
            spec: self.clone(),
        }
    }
}

#[derive(Debug)]
pub struct AllowFromSpecEndpoint<E> {
    inner: E,
    spec: AllowFromSpec,
}

impl<E: Endpoint> Endpoint for AllowFromSpecEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        // Inside a nest the URI is the rest of the path.
        let path = req.uri().path().to_owned();
        match self.inner.call(req).await {
            Ok(output) => Ok(output.into_response()),
            Err(error) if error.status() == StatusCode::METHOD_NOT_ALLOWED => {
                match self.spec.allow_for(&path) {
                    Some(allow) => Ok(not_allowed(allow)),
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_goes_with_get_and_the_list_is_sorted() {
        assert_eq!(allow_value(&[Method::POST, Method::GET]), "GET, HEAD, POST");
        assert_eq!(allow_value(&[Method::DELETE]), "DELETE");
    }

    #[test]
    fn templates_match_whole_segments() {
        let spec = AllowFromSpec {
            paths: vec![
                (vec!["sessions".into()], "GET, HEAD".into()),
                (vec!["sessions".into(), "{id}".into()], "DELETE".into()),
            ],
        };
        assert_eq!(spec.allow_for("/sessions"), Some("GET, HEAD"));
        assert_eq!(spec.allow_for("/sessions/ab12"), Some("DELETE"));
        assert_eq!(spec.allow_for("/sessions/ab12/x"), None);
        assert_eq!(spec.allow_for("/session"), None);
    }
}
