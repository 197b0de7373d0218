//! The transport the design names for hosts that give no `fetch`: gloo-net over the global `fetch`,
//! with the same credential rule as every JS host (the core's `Settings::may_receive_credentials`),
//! never following a redirect.

use crate::config::Settings;
use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::origin::Origin;
use base64::Engine;
use futures::future::LocalBoxFuture;

pub struct GlooTransport {
    auth: String,
    origins: Vec<Origin>,
}

/// The base64 of `email:token` that Basic auth sends.
pub fn basic_credential(email: &str, token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
}

impl GlooTransport {
    pub fn new(email: &str, token: &str, settings: &Settings) -> Self {
        GlooTransport {
            auth: format!("Basic {}", basic_credential(email, token)),
            origins: settings.credential_origins(),
        }
    }

    fn may_authorise(&self, url: &str) -> bool {
        Origin::of(url).is_ok_and(|o| self.origins.contains(&o))
    }
}

impl Transport for GlooTransport {
    fn send(&self, req: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let err = |e: gloo_net::Error| TransportError {
                code: "FETCH".into(),
                message: e.to_string(),
            };
            let method =
                gloo_net::http::Method::from_bytes(req.method.as_bytes()).map_err(|_| {
                    TransportError {
                        code: "INTERNAL".into(),
                        message: format!("bad method {}", req.method),
                    }
                })?;
            let mut b = gloo_net::http::RequestBuilder::new(&req.url).method(method);
            if self.may_authorise(&req.url) {
                b = b.header("authorization", &self.auth);
            }
            for (k, v) in &req.headers {
                if !k.eq_ignore_ascii_case("authorization") {
                    b = b.header(k, v);
                }
            }
            // Never follow a redirect with the Authorization header.
            b = b.redirect(web_sys::RequestRedirect::Manual);
            let r = match &req.body {
                Some(body) => b.body(body.clone()).map_err(err)?,
                None => b.build().map_err(err)?,
            };
            let resp = r.send().await.map_err(err)?;
            let mut out = HttpResponse::new(resp.status(), resp.text().await.map_err(err)?);
            for (k, v) in resp.headers().entries() {
                out.headers.insert(k.to_ascii_lowercase(), v);
            }
            Ok(out)
        })
    }
}
