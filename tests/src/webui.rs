//! Test pages that reproduce the Backend.AI WebUI's main layout in both
//! generations (protocol §9.2), each served from its own origin on
//! 127.0.0.1 so that the sidebar width the extension remembers per origin
//! does not leak between them.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 26.x: `.bai-sider`, with the page's own `[` shortcut.
    Current,
    /// 26.x served with a strict, nonce-based CSP that forbids WebAssembly,
    /// as the real webserver sends it.
    CurrentStrictCsp,
    /// 26.x whose own `[` renders the change at once and does not call
    /// preventDefault.
    CurrentSynchronousShortcut,
    /// 23.09: an antd sider toggled by the header's menu button, no `[`.
    Legacy,
}

/// A page served until dropped.
#[derive(Debug)]
pub struct WebUiPage {
    pub url: String,
    server: JoinHandle<()>,
}

impl Drop for WebUiPage {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{:?}-{}",
        std::time::SystemTime::now(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    base64::engine::general_purpose::STANDARD.encode(&Sha256::digest(seed)[..16])
}

fn response(status: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

fn answer(layout: Layout, path: &str) -> Vec<u8> {
    let (html, script) = match layout {
        Layout::Current | Layout::CurrentStrictCsp | Layout::CurrentSynchronousShortcut => (
            include_str!("../fixtures/webui-26.html"),
            include_str!("../fixtures/webui-26.js"),
        ),
        Layout::Legacy => (
            include_str!("../fixtures/webui-2309.html"),
            include_str!("../fixtures/webui-2309.js"),
        ),
    };
    let javascript = ("Content-Type", "text/javascript; charset=utf-8".to_owned());
    match path {
        "/webui.js" => response("200 OK", &[javascript], script),
        "/" | "/summary" => {
            let nonce = nonce();
            let mut headers = vec![("Content-Type", "text/html; charset=utf-8".to_owned())];
            if layout == Layout::CurrentStrictCsp {
                headers.push((
                    "Content-Security-Policy",
                    format!(
                        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; \
                         style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'"
                    ),
                ));
            }
            let mut page = html.replace("{{nonce}}", &nonce);
            if layout == Layout::CurrentSynchronousShortcut {
                page = page.replacen("<html ", "<html data-shortcut=\"sync\" ", 1);
            }
            response("200 OK", &headers, &page)
        }
        _ => response("404 Not Found", &[], "not found"),
    }
}

impl WebUiPage {
    /// Serves `layout` on a free port of 127.0.0.1.
    pub async fn start(layout: Layout) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (reader, mut writer) = stream.into_split();
                    let mut lines = BufReader::new(reader).lines();
                    let Ok(Some(request)) = lines.next_line().await else {
                        return;
                    };
                    // The headers are read and ignored.
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line.is_empty() {
                            break;
                        }
                    }
                    let path = request.split_whitespace().nth(1).unwrap_or("/");
                    let path = path.split('?').next().unwrap_or("/");
                    let _ = writer.write_all(&answer(layout, path)).await;
                    let _ = writer.shutdown().await;
                });
            }
        });
        Ok(Self { url, server })
    }
}
